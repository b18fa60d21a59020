"""The cost of authentication on the bus: raw nats-py rates on two nats-servers started in
the same run, one with the generated authorization (each client its identity, every message
checked against its permissions) and one without (RAPPORT_NATS_AUTH=off).

- publish + ack: facts published to the PROFILES stream, waiting for every PubAck
  (`--window` in flight at once, as the outbox relay does);
- request/reply: the gateway's request to a responder in profiles' queue group, one at a time
  and `--window` at once.

    python -m bench.bus [--messages N] [--window W]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import nats

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
    started = time.perf_counter()
    for first in range(0, count, window):
        await asyncio.gather(
            *(
                js.publish(SUBJECT, PAYLOAD, headers={"Nats-Msg-Id": f"{authenticated}-{n}"})
                for n in range(first, min(count, first + window))
            )
        )
    elapsed = time.perf_counter() - started
    await nc.close()
    return count / elapsed


async def request_rate(server: NatsServer, authenticated: bool, count: int, window: int) -> float:
    responder = await connect(server, "profiles", authenticated)
    gateway = await connect(server, "gateway", authenticated)

    async def answer(msg) -> None:
        await msg.respond(b'{"ok":true}')

    await responder.subscribe(RPC, queue="profiles", cb=answer)
    await responder.flush()
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


async def measure(server: NatsServer, authenticated: bool, count: int, window: int) -> dict:
    setup = await connect(server, "provisioning", authenticated)
    await provision(setup.jetstream(), Settings(nats_url=server.url))
    await setup.close()
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
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=100)
    args = parser.parse_args()
    bus_passwords()  # one set of credentials for the run
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        results = {}
        for authenticated in (False, True, False, True):  # interleaved: drift hits both
            config = bus_config(root / "secrets") if authenticated else None
            server = start_nats_server(
                root / f"nats-{authenticated}-{time.monotonic_ns()}", config=config
            )
            try:
                figures = asyncio.run(measure(server, authenticated, args.messages, args.window))
            finally:
                server.stop()
            for name, rate in figures.items():
                best = results.setdefault(name, {})
                best[authenticated] = max(best.get(authenticated, 0.0), rate)
    print(f"bus, raw nats-py on loopback, {args.messages} messages (best of 2 runs each)")
    print(f"  {'':<32}{'no auth':>12}{'auth':>12}{'cost':>8}")
    for name, rates in results.items():
        cost = 1 - rates[True] / rates[False]
        print(f"  {name:<32}{rates[False]:>10,.0f}/s{rates[True]:>10,.0f}/s{cost:>8.1%}")


if __name__ == "__main__":
    main()
