"""The cost of authentication on the bus: raw nats-py rates on two nats-servers started in
the same run, one with the generated authorization (each client its identity, every message
checked against its permissions) and one without (RAPPORT_NATS_AUTH=off).

- publish + ack: facts published to the PROFILES stream, waiting for every PubAck
  (`--window` in flight at once, as the outbox relay does);
- request/reply: the gateway's request to a responder in profiles' queue group, one at a time
  and `--window` at once.

    python -m bench.bus [--messages N] [--window W] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import nats
import nats.errors

from shared.contracts.events import MemberDeleted
from shared.contracts.subjects import event_subject, rpc_subject
from shared.messaging.provisioning import provision
from shared.natsserver import NatsServer, start_nats_server
from shared.settings import Settings
from tests.support import bus_config, bus_passwords, connect_as

SUBJECT = event_subject(MemberDeleted)
RPC = rpc_subject("profiles", "bench")
PAYLOAD = b'{"specversion":"1.0","type":"member.deleted","data":{"member_id":"m"}}'


async def connect(server: NatsServer, identity: str, authenticated: bool) -> nats.NATS:
    if authenticated:
        return await connect_as(server.url, identity)
    return await nats.connect(server.url)


async def publish_rate(server: NatsServer, authenticated: bool, count: int, window: int) -> float:
    nc = await connect(server, "profiles", authenticated)
    js = nc.jetstream()
    run = uuid.uuid4().hex  # new ids every run: a duplicate is acked without being stored
    started = time.perf_counter()
    for first in range(0, count, window):
        await asyncio.gather(
            *(
                js.publish(SUBJECT, PAYLOAD, headers={"Nats-Msg-Id": f"{run}-{n}"})
                for n in range(first, min(count, first + window))
            )
        )
    elapsed = time.perf_counter() - started
    await nc.close()
    return count / elapsed


async def answered(gateway: nats.NATS) -> None:
    """Wait until the responder answers (a fresh connection's first request has been seen
    to find no responder yet, with authentication on: see docs/performance.md)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            await gateway.request(RPC, b"{}", timeout=5)
            return
        except nats.errors.NoRespondersError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.01)


async def request_rate(server: NatsServer, authenticated: bool, count: int, window: int) -> float:
    responder = await connect(server, "profiles", authenticated)
    gateway = await connect(server, "gateway", authenticated)

    async def answer(msg) -> None:
        await msg.respond(b'{"ok":true}')

    await responder.subscribe(RPC, queue="profiles", cb=answer)
    await responder.flush()
    await answered(gateway)
    started = time.perf_counter()
    for first in range(0, count, window):
        await asyncio.gather(
            *(
                gateway.request(RPC, b"{}", timeout=5)
                for _ in range(first, min(count, first + window))
            )
        )
    elapsed = time.perf_counter() - started
    await gateway.close()
    await responder.close()
    return count / elapsed


async def provisioned(server: NatsServer, authenticated: bool) -> None:
    setup = await connect(server, "provisioning", authenticated)
    await provision(setup.jetstream(), Settings(nats={"url": server.url}))
    await setup.close()


async def measure(server: NatsServer, authenticated: bool, count: int, window: int) -> dict:
    return {
        f"publish+ack ({window} in flight)": await publish_rate(
            server, authenticated, count, window
        ),
        "request/reply (1 at a time)": await request_rate(server, authenticated, count // 5, 1),
        f"request/reply ({window} at once)": await request_rate(
            server, authenticated, count, window
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bus_passwords()  # one set of credentials for the run
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        servers = {
            False: start_nats_server(root / "plain"),
            True: start_nats_server(root / "auth", config=bus_config(root / "secrets")),
        }
        try:
            for authenticated, server in servers.items():
                asyncio.run(provisioned(server, authenticated))
            # rounds alternate the two servers, so that the machine's drift hits both alike;
            # a figure is the median of the rounds' ratios
            ratios: dict[str, list[float]] = {}
            rates: dict[str, dict[bool, list[float]]] = {}
            for round_ in range(args.rounds):
                order = (False, True) if round_ % 2 == 0 else (True, False)
                measured = {
                    authenticated: asyncio.run(
                        measure(servers[authenticated], authenticated, args.messages, args.window)
                    )
                    for authenticated in order
                }
                for name in measured[False]:
                    ratios.setdefault(name, []).append(measured[True][name] / measured[False][name])
                    for authenticated in order:
                        rates.setdefault(name, {}).setdefault(authenticated, []).append(
                            measured[authenticated][name]
                        )
        finally:
            for server in servers.values():
                server.stop()
    load = os.getloadavg()[0]
    print(
        f"bus, raw nats-py on loopback: {args.messages} messages, {args.rounds} rounds "
        f"(medians; load average {load:.1f} on {os.cpu_count()} CPUs)"
    )
    print(f"  {'':<32}{'no auth':>12}{'auth':>12}{'auth / no auth':>16}")
    for name, ratio in ratios.items():
        plain, auth = (statistics.median(rates[name][a]) for a in (False, True))
        print(
            f"  {name:<32}{plain:>10,.0f}/s{auth:>10,.0f}/s"
            f"{statistics.median(ratio):>10.2f} ({min(ratio):.2f}-{max(ratio):.2f})"
        )


if __name__ == "__main__":
    main()
