"""What a batch of member facts costs its consumers now that the facts carry no personal data:
the profiles service (a process, SQLite) answering `personal_data` for a batch of members, as
connections, content and events ask it, one request per batch.

    python -m bench.personal_data [--members 1000] [--batch 100] [--requests 200]

It registers `--members` members through profiles' own operation, then times `--requests`
sequential requests of `--batch` random members each, as content asks (the name) and as
connections asks (name and the profile text suggestions use), each from its own identity;
and, as a baseline, `ping` (a `SELECT 1` through the same bus and process).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from faststream.nats import NatsBroker

from shared.contracts.api import profiles as api
from shared.messaging.permissions import inbox_prefix
from shared.messaging.provisioning import provision
from shared.messaging.rpc import ServiceUnavailable, call
from shared.natsserver import free_port, start_nats_server
from shared.runtime import command
from tests.support import HARNESS, bus_config, bus_passwords, identity_env, test_settings, url_as

AS_CONTENT = ("content", ["name"])
AS_CONNECTIONS = (
    "connections",
    ["name", "headline", "keywords", "skills", "accomplishments", "goals"],
)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def broker_as(url: str, identity: str) -> NatsBroker:
    broker = NatsBroker(
        url_as(url, identity),
        inbox_prefix=inbox_prefix(identity),
    )
    await broker.connect()
    return broker


async def register(broker: NatsBroker, members: int, rng: random.Random) -> list[str]:
    ids = []
    words = ["python", "rust", "sql", "spark", "design", "sales", "research", "kafka"]
    for n in range(members):
        request = api.RegisterMember(
            handle=f"m{n:05d}",
            name=f"Member {n}",
            email=f"m{n}@example.org",
            subject=f"sub-{n}",
            headline="Engineer",
            skills=rng.sample(words, 4),
            goals=[f"learn {rng.choice(words)}"],
        )
        ids.append((await call(broker, api.register_member, request, timeout=30)).member_id)
    return ids


async def timed(broker: NatsBroker, operation, requests: list) -> list[float]:
    latencies = []
    for request in requests:
        started = time.perf_counter()
        await call(broker, operation, request, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def run(url: str, args: argparse.Namespace) -> None:
    rng = random.Random(7)
    harness = await broker_as(url, HARNESS)
    deadline = time.monotonic() + 60
    while True:  # until the profiles process answers
        try:
            await call(harness, api.ping, api.ping.request(), timeout=1)
            break
        except ServiceUnavailable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
    ids = await register(harness, args.members, rng)
    print(f"  {len(ids):,} members registered", flush=True)
    rows = []
    for identity, fields in (AS_CONTENT, AS_CONNECTIONS):
        broker = await broker_as(url, identity)
        requests = [
            api.PersonalDataQuery(member_ids=rng.sample(ids, args.batch), fields=fields)
            for _ in range(args.requests)
        ]
        await timed(broker, api.personal_data, requests[:10])  # warm up
        rows.append((identity, fields, await timed(broker, api.personal_data, requests)))
        await broker.stop()
    ping = await timed(harness, api.ping, [api.ping.request()] * args.requests)
    await harness.stop()
    print(
        f"\npersonal_data benchmark ({args.members:,} members, batches of {args.batch}, "
        f"{args.requests} sequential requests; SQLite, loopback, load "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    for identity, fields, latencies in rows:
        print(
            f"  as {identity:<12} ({len(fields)} field{'s' if len(fields) > 1 else ''}): "
            f"p50={percentile(latencies, 0.5):6.1f} ms  p95={percentile(latencies, 0.95):6.1f} ms"
            f"  mean={statistics.fmean(latencies):6.1f} ms  "
            f"({statistics.fmean(latencies) * 1000 / args.batch:,.0f} us per member)"
        )
    print(
        f"  ping (baseline)                : p50={percentile(ping, 0.5):6.1f} ms  "
        f"p95={percentile(ping, 0.95):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = start_nats_server(root / "nats", config=bus_config(root / "secrets"))
        url = server.url
        bus_passwords()  # one set for the server and the clients

        async def provisioned() -> None:
            import nats

            nc = await nats.connect(url_as(url, HARNESS))
            await provision(nc.jetstream(), test_settings(url))
            await nc.close()

        asyncio.run(provisioned())
        env = dict(
            os.environ,
            RAPPORT_NATS_URL=url,
            **identity_env("profiles"),
            RAPPORT_DATA_DIR=str(root / "var"),
            RAPPORT_PROFILES_DATABASE_URL=f"sqlite+aiosqlite:///{root / 'profiles.sqlite3'}",
            RAPPORT_PROFILES_PORT=str(free_port()),
            RAPPORT_LOG_LEVEL="WARNING",
        )
        with open(root / "profiles.log", "wb") as log:
            profiles = subprocess.Popen(command("profiles"), env=env, stdout=log, stderr=log)
        try:
            asyncio.run(run(url, args))
        finally:
            profiles.terminate()
            profiles.wait(30)
            server.stop()


if __name__ == "__main__":
    main()
