"""The aggregator's figures on a synthetic org (fixed seed), in one run on this machine:

(a) raw nats-py pull-and-ack throughput on a stream of the same messages;
(b) the aggregator's sustained throughput applying them, until caught up; (b)/(a);
(c) freshness p50/p99, publish to queryable, at a steady 1,000 interactions/s;
(d) storage and memory per million pairs;
(e) p50/p95 of GET /v1/members/{id}/relationships for a member with 1,000 pairs, beside a
    plain GET /v1/members/{id} (profiles) interleaved with it in the same run.

On SQLite, and on PostgreSQL with `--postgres URL` (or TEST_DATABASE_URL; `--backends`
picks); `--instances 2` runs two aggregator instances on the one projection (PostgreSQL).
The members are synthetic: the ones read through the API are bound to a token's subject in
profiles' table (bench/identities.py), and every read sends its token.

    python -m bench.aggregator [--members 10000] [--interactions 100000]
        [--steady-seconds 15] [--postgres URL] [--backends sqlite,postgresql] [--instances N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nats
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import func, select, table

from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import (
    EVENT_TYPES,
    AttendeeCheckedIn,
    CommentCreated,
    DirectMessageSent,
    MeetingLogged,
    MemberRegistered,
    ReactionSet,
)
from shared.contracts.subjects import event_subject
from shared.engines import make_engine
from shared.settings import SERVICES
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.e2e.system import System, wait_until

from .identities import bearer, bind

HUB = "member-00000"


def say(message: str) -> None:
    print(message, flush=True)


def synthetic_org(members: int, interactions: int, seed: int = 2026) -> list[Envelope]:
    """Members in teams, heavy-tailed activity (Pareto), mostly within teams, plus a hub
    member with 1,000 partners."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    ids = [f"member-{i:05d}" for i in range(members)]
    teams = [f"team-{i // 25:03d}" for i in range(members)]
    activity = [rng.paretovariate(1.2) for _ in ids]
    facts: list[tuple[Event, datetime]] = [
        (
            MemberRegistered(member_id=m, handle=f"m{i:05d}", team=teams[i]),
            now - timedelta(days=90),
        )
        for i, m in enumerate(ids)
    ]
    actors = rng.choices(range(members), weights=activity, k=interactions)
    for n, actor in enumerate(actors):
        if rng.random() < 0.7:
            base = actor - actor % 25
            target = base + rng.randrange(25)
        else:
            target = rng.choices(range(members), weights=activity)[0]
        if target == actor:
            target = (actor + 1) % members
        a, b = ids[actor], ids[target]
        at = now - timedelta(seconds=rng.randint(0, 60 * 86400))
        roll = rng.random()
        if roll < 0.4:
            event: Event = DirectMessageSent(message_id=f"d{n}", sender_id=a, recipient_id=b)
        elif roll < 0.6:
            event = CommentCreated(
                comment_id=f"c{n}", post_id=f"p{target}", author_id=a, post_author_id=b
            )
        elif roll < 0.85:
            event = ReactionSet(
                target="post", post_id=f"p{n}", actor_id=a, target_author_id=b, kind="like"
            )
        elif roll < 0.95:
            minutes = rng.randint(10, 90)
            # logged when it ended (a meeting ending after it was logged is refused)
            event = MeetingLogged(
                meeting_id=f"g{n}",
                participant_ids=[a, b],
                started_at=at - timedelta(minutes=minutes),
                duration_minutes=minutes,
            )
        else:
            event = AttendeeCheckedIn(
                event_id=f"ev{n % 50}", member_id=a, attendance="in_person", checked_in_at=at
            )
        facts.append((event, at))
    for n, partner in enumerate(ids[1:1001]):
        facts.append(
            (
                DirectMessageSent(message_id=f"hub{n}", sender_id=HUB, recipient_id=partner),
                now - timedelta(seconds=rng.randint(0, 30 * 86400)),
            )
        )
    return [
        Envelope.wrap(event, source=f"/rapport/{event.domain}", time=at).model_copy(
            update={"id": f"b{n:08d}"}
        )
        for n, (event, at) in enumerate(facts)
    ]


def subject(envelope: Envelope) -> str:
    return event_subject(EVENT_TYPES[envelope.type])


async def publish_all(
    url: str, envelopes: list[Envelope], raw_subject: str | None = None, label: str = ""
) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    for start in range(0, len(envelopes), 1000):
        chunk = envelopes[start : start + 1000]
        await asyncio.gather(
            *(
                js.publish(
                    raw_subject or subject(e),
                    e.model_dump_json().encode(),
                    headers={"Nats-Msg-Id": e.id},
                )
                for e in chunk
            )
        )
        if (start // 1000) % 20 == 19:
            say(f"  {label} published {start + len(chunk)}/{len(envelopes)}")
    await nc.close()


async def raw_pull_and_ack(url: str, envelopes: list[Envelope]) -> float:
    """(a): messages per second that plain nats-py pulls (batches of 200) and acks."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="BENCHRAW", subjects=["bench.raw"])
    await nc.close()
    await publish_all(url, envelopes, raw_subject="bench.raw", label="raw stream")
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_consumer(
        "BENCHRAW", ConsumerConfig(durable_name="raw", ack_policy=AckPolicy.EXPLICIT)
    )
    subscription = await js.pull_subscribe_bind(durable="raw", stream="BENCHRAW")
    received = 0
    started = time.perf_counter()
    while received < len(envelopes):
        for message in await subscription.fetch(200, timeout=5):
            await message.ack()
            received += 1
    elapsed = time.perf_counter() - started
    await js.delete_stream("BENCHRAW")
    await nc.close()
    return received / elapsed


async def pending(url: str) -> int:
    nc = await nats.connect(url)
    js = nc.jetstream()
    total = 0
    for stream in ("PROFILES", "CONNECTIONS", "CONTENT", "EVENTS"):
        for info in await js.consumers_info(stream):
            if info.name.startswith("aggregator-"):
                total += info.num_pending + info.num_ack_pending
    await nc.close()
    return total


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def steady_load_freshness(
    system: System, rate: int, seconds: float, members: int
) -> list[float]:
    """(c): publish `rate` direct messages a second; meanwhile probe how long a published
    interaction takes to be visible through the API."""
    rng = random.Random(7)
    nc = await nats.connect(system.nats_url)
    js = nc.jetstream()
    stop = time.monotonic() + seconds
    latencies: list[float] = []

    async def background() -> None:
        n = 0
        while time.monotonic() < stop:
            tick = time.monotonic()
            batch = []
            for _ in range(rate // 20):
                a, b = rng.sample(range(2, members), 2)
                event = DirectMessageSent(
                    message_id=f"s{n}", sender_id=f"member-{a:05d}", recipient_id=f"member-{b:05d}"
                )
                envelope = Envelope.wrap(event, source=f"/rapport/{event.domain}").model_copy(
                    update={"id": f"steady{n:08d}"}
                )
                batch.append(
                    js.publish(
                        subject(envelope),
                        envelope.model_dump_json().encode(),
                        headers={"Nats-Msg-Id": envelope.id},
                    )
                )
                n += 1
            await asyncio.gather(*batch)
            await asyncio.sleep(max(0.0, 0.05 - (time.monotonic() - tick)))

    async def probes() -> None:
        sender, recipient = "member-00001", "member-00002"
        n = 0
        await asyncio.sleep(1.0)
        while time.monotonic() < stop - 1.0:
            count = await asyncio.to_thread(pair_count, system, sender, recipient)
            event = DirectMessageSent(
                message_id=f"probe{n}", sender_id=sender, recipient_id=recipient
            )
            envelope = Envelope.wrap(event, source=f"/rapport/{event.domain}").model_copy(
                update={"id": f"probe{n:06d}"}
            )
            sent = time.perf_counter()
            await js.publish(
                subject(envelope),
                envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": envelope.id},
            )
            while await asyncio.to_thread(pair_count, system, sender, recipient) <= count:  # noqa: ASYNC110 - polling the API is what is measured
                await asyncio.sleep(0.002)
            latencies.append(time.perf_counter() - sent)
            n += 1
            await asyncio.sleep(0.1)

    await asyncio.gather(background(), probes())
    await nc.close()
    return latencies


def pair_count(system: System, a: str, b: str) -> int:
    response = signed_in(system, a).get(f"/v1/relationships/{a}/{b}")
    if response.status_code != 200:
        return 0
    return response.json()["relationship"]["interaction_count"]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def signed_in(system: System, member_id: str) -> httpx.Client:
    """A client acting as one of the synthetic members bound in profiles (`READERS`)."""
    if member_id not in CLIENTS:
        token = system.mint(READERS[member_id])
        CLIENTS[member_id] = httpx.Client(
            base_url=system.base_url, timeout=30, headers=bearer(token)
        )
    return CLIENTS[member_id]


CLIENTS: dict[str, httpx.Client] = {}  # of the running system
# the synthetic members read through the API, and their handles (token subjects)
READERS = {HUB: "m00000", "member-00001": "m00001", "member-00002": "m00002"}


def relationships_beside_plain_read(system: System, rounds: int = 60) -> None:
    """(e): the hub's relationships (limit 200), each request followed by a plain
    GET /v1/members/{id} of the same member (profiles: one indexed row), same client."""
    client = signed_in(system, HUB)
    hub = f"/v1/members/{HUB}/relationships"
    wait_until(lambda: client.get(hub).status_code == 200, timeout=30)
    client.get(hub, params={"limit": 200})  # warm up
    client.get(f"/v1/members/{HUB}")
    timings, plain, refused = [], [], 0
    total = 0
    for _ in range(rounds):
        t = time.perf_counter()
        response = client.get(hub, params={"limit": 200})
        timings.append(time.perf_counter() - t)
        if response.status_code == 200:
            total = response.json()["total"]
        else:
            refused += 1
        t = time.perf_counter()
        member = client.get(f"/v1/members/{HUB}")
        plain.append(time.perf_counter() - t)
        refused += member.status_code != 200
    p95, plain_p95 = percentile(timings, 0.95), percentile(plain, 0.95)
    say(
        f"(e) GET relationships of a member with {total} pairs (limit 200): "
        f"p50 {percentile(timings, 0.5) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms; "
        f"plain GET /v1/members/{{id}} p50 {percentile(plain, 0.5) * 1000:.1f} ms, "
        f"p95 {plain_p95 * 1000:.1f} ms; p95 ratio {p95 / plain_p95:.2f}x"
        f"{f'; {refused} not answered 200' if refused else ''} (load {os.getloadavg()[0]:.2f})"
    )


async def projection_size(url: str) -> int:
    engine = make_engine(url)
    async with engine.connect() as db:
        pairs = await db.scalar(select(func.count()).select_from(table("pairs_g1")))
    await engine.dispose()
    return pairs


def run_on(backend: str, args, envelopes: list[Envelope], postgres: str | None) -> None:
    say(f"\n== {backend}, {args.instances} aggregator instance(s), load {os.getloadavg()[0]:.2f}")
    databases = {}
    if backend == "postgresql":
        os.environ["TEST_DATABASE_URL"] = postgres or ""
        databases = {name: asyncio.run(create_postgres_database()) for name in SERVICES}
    with tempfile.TemporaryDirectory() as root:
        system = System(Path(root), databases, aggregator_instances=args.instances)
        aggregators = [n for n, s in system.specs.items() if s.service == "aggregator"]
        # the gateway waits as long as for any read on a loaded machine (the tests' 2 s would
        # turn slow answers into 503s, which the figures then leave out)
        system.env["RAPPORT_REQUEST_TIMEOUT"] = "10"
        try:
            system.start_all()
            # only the aggregator, the gateway and profiles (the callers' lookup and the
            # plain read) run: the other services would spend the same two cores consuming
            # the same facts for their own copies
            for name in ("connections", "content", "events", *aggregators):
                system.stop(name)
            profiles = databases.get("profiles") or (
                f"sqlite+aiosqlite:///{Path(root) / 'var' / 'profiles.sqlite3'}"
            )
            asyncio.run(bind(profiles, READERS))
            raw = asyncio.run(raw_pull_and_ack(system.nats_url, envelopes))
            say(f"(a) raw nats-py pull (batch 200) and ack: {raw:,.0f} msgs/s")

            asyncio.run(publish_all(system.nats_url, envelopes, label="streams"))
            started = time.perf_counter()
            for name in aggregators:
                system.start(name)
            last_report = 0.0
            while (left := asyncio.run(pending(system.nats_url))) > 0:
                if time.perf_counter() - last_report > 5:
                    say(f"  aggregator catching up: {left} left")
                    last_report = time.perf_counter()
                time.sleep(0.2)
            applied = time.perf_counter() - started
            rate = len(envelopes) / applied
            say(
                f"(b) {len(aggregators)} aggregator instance(s) applied {len(envelopes)} events "
                f"in {applied:.1f}s: {rate:,.0f} events/s; (b)/(a) = {rate / raw:.2f} "
                f"(load {os.getloadavg()[0]:.2f})"
            )

            relationships_beside_plain_read(system)

            aggregator_db = databases.get("aggregator") or (
                f"sqlite+aiosqlite:///{Path(root) / 'var' / 'aggregator.sqlite3'}"
            )
            pairs = asyncio.run(projection_size(aggregator_db))
            rss = rss_kib(system.processes["aggregator"].pid)
            if backend == "sqlite":
                database = Path(root) / "var" / "aggregator.sqlite3"
                size = sum(p.stat().st_size for p in database.parent.glob("aggregator.sqlite3*"))
                say(
                    f"(d) {pairs:,} pairs: database {size / 2**20:.1f} MiB "
                    f"({size / pairs * 1e6 / 2**30:.2f} GiB per million pairs, with members' "
                    f"sums, weeks and inboxes); aggregator RSS {rss / 1024:.0f} MiB"
                )
            else:
                say(f"(d) {pairs:,} pairs; aggregator RSS {rss / 1024:.0f} MiB")

            latencies = asyncio.run(
                steady_load_freshness(system, 1000, args.steady_seconds, args.members)
            )
            say(
                f"(c) freshness at 1,000 interactions/s, publish to queryable through the "
                f"API ({len(latencies)} probes): p50 {percentile(latencies, 0.5) * 1000:.0f} "
                f"ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms, mean "
                f"{statistics.fmean(latencies) * 1000:.0f} ms (load {os.getloadavg()[0]:.2f})"
            )
        finally:
            for client in CLIENTS.values():
                client.close()
            CLIENTS.clear()
            system.shutdown()
            for url in databases.values():
                asyncio.run(drop_postgres_database(url))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--steady-seconds", type=float, default=15.0)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--instances", type=int, default=1)
    args = parser.parse_args()

    say(f"aggregator benchmark: {args.members} members, {args.interactions} interactions")
    envelopes = synthetic_org(args.members, args.interactions)
    say(f"  generated {len(envelopes)} facts (seed 2026)")
    if "sqlite" in args.backends and args.instances == 1:
        run_on("sqlite", args, envelopes, None)
    if args.postgres and "postgresql" in args.backends:
        run_on("postgresql", args, envelopes, args.postgres)


if __name__ == "__main__":
    main()
