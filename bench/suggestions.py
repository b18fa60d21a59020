"""Connection suggestions at org scale: the time for the connections service to index a whole
org from events, and the latency of `GET /v1/members/{id}/suggestions` through the gateway.

    python -m bench.suggestions [--members 10000] [--connections 200000] [--queries 500]

The org is synthetic, with structure: clusters of 200 members (most connections inside a
cluster, a quarter across), ten industries with their own vocabularies, goals that point at
other industries' skills, groups of skewed sizes and events with RSVPs and check-ins.

What is timed, with nats-server, the connections service and the gateway as processes on
loopback (SQLite unless --database-url names a PostgreSQL database):
- *index from events*: the members (member.registered, their profile text answered by the
  benchmark in profiles' part, one `personal_data` request per batch), groups (group.created,
  group.member_joined) and events (event.created, rsvp.changed, attendee.checked_in) are
  published to JetStream first; the clock starts when the connections service starts and
  stops when its three consumers have nothing pending and a suggestions query (which catches
  the index up) has answered. The connections themselves are the service's own rows (made by
  its own commands), so they are written to its database before it starts and loaded by its
  startup build, which the figure includes.
- *rebuild at restart*: the service restarted on the same database, until it answers.
- *suggestions*: sequential requests for random members, limit 10; and, as a baseline, the
  same members' `GET /v1/members/{id}/connections` (a two-query read through the same
  gateway, NATS and service): the floor under any read.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nats
from sqlalchemy import insert

from services.connections.store.pairs import PairRow
from services.issuer.app import Minter, development_environment
from services.issuer.keys import KeyRing
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import (
    AttendeeCheckedIn,
    EventCreated,
    GroupCreated,
    GroupMemberJoined,
    MemberRegistered,
    RsvpChanged,
)
from shared.contracts.streams import consumers_of
from shared.contracts.subjects import event_subject
from shared.engines import make_engine
from shared.messaging.consumer.durable import consumer_config
from shared.messaging.credentials import ensure_credentials, write_server_config
from shared.messaging.permissions import IDENTITIES
from shared.messaging.provisioning import provision
from shared.migrations import upgrade
from shared.natsserver import free_port, start_nats_server
from shared.runtime import command
from shared.settings import Settings

from .identities import SignedIn, bind

CLUSTER = 200
INDUSTRIES = {
    "data": "sql python spark airflow dbt kafka tableau statistics warehousing etl looker "
    "pandas bigquery snowflake flink",
    "finance": "valuation risk treasury audit compliance excel modelling forecasting ifrs "
    "budgeting tax payments reconciliation controlling",
    "design": "figma typography branding illustration prototyping accessibility motion "
    "ux research design systems usability wireframing",
    "sales": "negotiation crm prospecting salesforce pipeline account management enterprise "
    "deals partnerships forecasting cold outreach",
    "people": "recruiting onboarding coaching payroll benefits culture learning "
    "performance reviews engagement diversity mentoring",
    "ops": "logistics procurement lean scheduling vendor management safety inventory "
    "six sigma planning fleet warehousing",
    "security": "pentesting iam soc siem threat modelling cryptography incident response "
    "vulnerability management zero trust forensics",
    "platform": "kubernetes terraform aws gcp observability prometheus linux networking "
    "ci cd golang sre incident management",
    "mobile": "swift kotlin ios android react native flutter app store push notifications "
    "offline sync mobile testing",
    "marketing": "seo content strategy campaigns analytics copywriting social media "
    "brand events email marketing growth",
}
VOCABULARY = {industry: words.split() for industry, words in INDUSTRIES.items()}
GOALS = (
    "move into {}",
    "learn {} and {}",
    "get better at {}",
    "lead a {} team",
    "find a mentor in {}",
)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def say(message: str) -> None:
    print(f"  {message}", flush=True)


# --- the synthetic org ---------------------------------------------------------------------------


def org(members: int, connections: int, rng: random.Random):
    ids = [f"member-{n:06d}" for n in range(members)]
    industries = list(VOCABULARY)
    registrations = []  # the facts: ids and handles
    profiles: dict[str, dict] = {}  # what profiles holds: the personal fields
    for n, member_id in enumerate(ids):
        industry = industries[(n // CLUSTER) % len(industries)]
        words = VOCABULARY[industry]
        elsewhere = VOCABULARY[rng.choice(industries)]
        goals = [
            rng.choice(GOALS).format(*rng.sample(elsewhere, 2)) for _ in range(rng.randint(0, 2))
        ]
        registrations.append(MemberRegistered(member_id=member_id, handle=f"m{n}"))
        profiles[member_id] = {
            "name": f"Member {n}",
            "email": f"m{n}@example.org",
            "headline": f"{industry.title()} {rng.choice(['engineer', 'lead', 'analyst'])}",
            "industry": industry,
            "keywords": rng.sample(words, rng.randint(2, 5)),
            "skills": rng.sample(words, rng.randint(4, 9)),
            "accomplishments": [f"Shipped {rng.choice(words)} at scale"][: rng.randint(0, 1)],
            "goals": goals,
        }
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < connections:
        a = rng.randrange(members)
        if rng.random() < 0.75:  # inside the cluster
            start = a // CLUSTER * CLUSTER
            b = rng.randrange(start, min(start + CLUSTER, members))
        else:
            b = rng.randrange(members)
        if a != b:
            pairs.add((ids[min(a, b)], ids[max(a, b)]))
    return ids, registrations, profiles, sorted(pairs)


def groups_and_events(ids: list[str], rng: random.Random) -> list[tuple[Event, datetime]]:
    t0 = datetime.now(UTC) - timedelta(days=30)
    facts: list[tuple[Event, datetime]] = []
    for g in range(max(1, len(ids) // 200)):
        size = min(len(ids), int(rng.lognormvariate(3.2, 0.9)) + 3)
        members = rng.sample(ids, size)
        facts.append(
            (
                GroupCreated(
                    group_id=f"group-{g}", owner_id=members[0], name=f"Group {g}", privacy="open"
                ),
                t0,
            )
        )
        facts += [
            (GroupMemberJoined(group_id=f"group-{g}", member_id=m), t0 + timedelta(minutes=1))
            for m in members[1:]
        ]
    for e in range(max(1, len(ids) // 400)):
        starts = t0 + timedelta(days=rng.randint(0, 60))
        facts.append(
            (
                EventCreated(
                    event_id=f"event-{e}",
                    title=f"Event {e}",
                    kind=rng.choice(["conference", "meetup", "workshop", "social"]),
                    format="in_person",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=3),
                ),
                t0,
            )
        )
        for member_id in rng.sample(ids, rng.randint(10, 120)):
            facts.append(
                (
                    RsvpChanged(event_id=f"event-{e}", member_id=member_id, status="going"),
                    t0 + timedelta(minutes=2),
                )
            )
            if starts < datetime.now(UTC) and rng.random() < 0.6:
                facts.append(
                    (
                        AttendeeCheckedIn(
                            event_id=f"event-{e}",
                            member_id=member_id,
                            attendance="in_person",
                            checked_in_at=starts,
                        ),
                        starts,
                    )
                )
    return facts


# --- feeding it --------------------------------------------------------------------------------


async def seed_connections(database_url: str, pairs: list[tuple[str, str]]) -> None:
    engine = make_engine(database_url)
    await upgrade(engine, "connections")  # its migrations, as the service itself would run
    since = datetime.now(UTC) - timedelta(days=100)
    async with engine.begin() as connection:
        for start in range(0, len(pairs), 20_000):
            chunk = pairs[start : start + 20_000]
            await connection.execute(
                insert(PairRow), [{"a": a, "b": b, "connected_since": since} for a, b in chunk]
            )
            say(f"connections written {start + len(chunk):,}/{len(pairs):,}")
    await engine.dispose()


async def publish(url: str, facts: list[tuple[Event, datetime]]) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    for start in range(0, len(facts), 1000):
        batch = []
        for event, at in facts[start : start + 1000]:
            envelope = Envelope.wrap(event, source=f"/rapport/{event.domain}", time=at)
            batch.append(
                js.publish(
                    event_subject(event),
                    envelope.model_dump_json().encode(),
                    headers={"Nats-Msg-Id": envelope.id},
                )
            )
        await asyncio.gather(*batch)
        if (start // 1000) % 10 == 9 or start + 1000 >= len(facts):
            say(f"facts published {min(start + 1000, len(facts)):,}/{len(facts):,}")
    await nc.close()


async def raw_pull_and_ack(url: str, settings: Settings) -> tuple[int, float]:
    """The baseline: the same messages the connections service's consumers take, pulled
    and acked by bare nats-py (batches of 100) through durables of the same filters; the
    messages and the seconds taken."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    count, seconds = 0, 0.0
    for spec in consumers_of("connections"):
        config = consumer_config(spec, settings)
        config.name = config.durable_name = f"bench-raw-{spec.durable}"
        expected = (await js.add_consumer(spec.stream, config)).num_pending
        subscription = await js.pull_subscribe_bind(durable=config.durable_name, stream=spec.stream)
        started, taken = time.perf_counter(), 0
        while taken < expected:
            messages = await subscription.fetch(batch=100, timeout=5)
            for message in messages:
                await message.ack()
            taken += len(messages)
        seconds += time.perf_counter() - started
        count += taken
        await subscription.unsubscribe()
        await js.delete_consumer(spec.stream, config.durable_name)
    await nc.close()
    return count, seconds


async def pending(url: str) -> int:
    nc = await nats.connect(url)
    js = nc.jetstream()
    total = 0
    for spec in consumers_of("connections"):
        info = await js.consumer_info(spec.stream, spec.durable)
        total += info.num_pending + info.num_ack_pending
    await nc.close()
    return total


# --- processes ---------------------------------------------------------------------------------


class Processes:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        with open(self.root / f"{name}.log", "ab") as log:
            self.running[name] = subprocess.Popen(
                command(name), env=self.env, stdout=log, stderr=log, start_new_session=True
            )

    def stop(self, name: str) -> None:
        process = self.running.pop(name)
        process.terminate()
        process.wait(60)

    def memory_mib(self, name: str) -> float:
        """Resident memory of a running process (Linux)."""
        status = Path(f"/proc/{self.running[name].pid}/status").read_text()
        kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        return int(kib) / 1024

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


def profiles_ready(http: httpx.Client) -> bool:
    """Profiles answers (its tables are made), as the gateway's readiness reports it."""
    try:
        return http.get("/readyz").json()["services"]["profiles"] == "ok"
    except (httpx.TransportError, ValueError, KeyError):
        return False


def wait_for(probe, *, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"not done within {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(
            f"suggestions benchmark: {args.members:,} members, {args.connections:,} connections",
            flush=True,
        )
        ids, registrations, profiles, pairs = org(args.members, args.connections, rng)
        facts = [(r, datetime.now(UTC) - timedelta(days=40)) for r in registrations]
        facts += groups_and_events(ids, rng)
        database_url = args.database_url or f"sqlite+aiosqlite:///{root / 'connections.db'}"
        # each process finds its own identity under its data dir, as under `make run`
        secrets = root / "var" / "secrets"
        passwords = ensure_credentials(secrets, (*IDENTITIES, "bench"))
        config = write_server_config(secrets, passwords, unrestricted=("bench",))
        server = start_nats_server(root / "nats", config=config)
        url = f"nats://bench:{passwords['bench']}@127.0.0.1:{server.port}"
        # the development issuer signs the readers' tokens; profiles finds their members
        issuer = Settings(nats={"url": server.url}, issuer={"port": free_port()})
        processes = Processes(
            root,
            dict(
                os.environ,
                RAPPORT_NATS_URL=server.url,
                RAPPORT_DATA_DIR=str(root / "var"),
                RAPPORT_CONNECTIONS_DATABASE_URL=database_url,
                RAPPORT_CONNECTIONS_PORT=str(free_port()),
                RAPPORT_PROFILES_PORT=str(free_port()),
                RAPPORT_GATEWAY_PORT=str(gateway_port := free_port()),
                RAPPORT_ISSUER_PORT=str(issuer.issuer.port),
                RAPPORT_LOG_FORMAT="text",
                RAPPORT_LOG_LEVEL="WARNING",
                RAPPORT_REQUEST_TIMEOUT="30",
                **development_environment(issuer),
            ),
        )
        try:
            asyncio.run(_provision(url))
            asyncio.run(seed_connections(database_url, pairs))
            asyncio.run(publish(url, facts))
            http = httpx.Client(base_url=f"http://127.0.0.1:{gateway_port}", timeout=60)
            for name in ("issuer", "profiles", "gateway"):
                processes.start(name)
            wait_for(lambda: profiles_ready(http), timeout=60)
            # every member of the org signs in as m<n> (bench/identities.py)
            handles = {member_id: f"m{n}" for n, member_id in enumerate(ids)}
            # profiles holds their personal fields too, and answers connections' personal_data
            profiles_url = f"sqlite+aiosqlite:///{root / 'var' / 'profiles.sqlite3'}"
            asyncio.run(bind(profiles_url, handles, profiles))
            minter = Minter(
                KeyRing(root / "var" / "issuer" / "keys"),
                development_environment(issuer)["RAPPORT_AUTH_ISSUER"],
                issuer.auth.audience,
                3600,
            )
            signed_in = SignedIn(lambda handle: minter.mint(handle, ["member"]), handles)

            def suggestions(member_id: str) -> httpx.Response:
                return http.get(
                    f"/v1/members/{member_id}/suggestions",
                    params={"limit": 10},
                    headers=signed_in(member_id),
                )

            def answered() -> bool:
                try:
                    return suggestions(ids[-1]).status_code == 200
                except httpx.TransportError:
                    return False

            raw_count, raw_seconds = asyncio.run(
                raw_pull_and_ack(url, Settings(nats={"url": server.url}))
            )
            raw_rate = raw_count / raw_seconds
            say(f"raw nats-py pull+ack: {raw_count:,} messages at {raw_rate:,.0f}/s")
            say(f"starting connections; {len(facts):,} facts to consume")
            started = time.perf_counter()
            processes.start("connections")
            last_report = started

            def drained() -> bool:
                nonlocal last_report
                left = asyncio.run(pending(url))
                if time.perf_counter() - last_report > 10:
                    say(f"{left:,} facts left after {time.perf_counter() - started:.0f} s")
                    last_report = time.perf_counter()
                return left == 0 and answered()

            wait_for(drained, timeout=600, interval=0.5)
            indexed = time.perf_counter() - started
            say(f"indexed in {indexed:.1f} s")

            processes.stop("connections")
            restarted = time.perf_counter()
            processes.start("connections")
            wait_for(answered, timeout=300, interval=0.1)
            rebuilt = time.perf_counter() - restarted
            memory = processes.memory_mib("connections")

            sample = rng.sample(ids, min(args.queries, len(ids)))
            for member_id in sample[:20]:  # warm up
                suggestions(member_id)
            load_before = os.getloadavg()[0]
            latencies, returned = [], []
            for n, member_id in enumerate(sample):
                begun = time.perf_counter()
                response = suggestions(member_id)
                latencies.append((time.perf_counter() - begun) * 1000)
                assert response.status_code == 200, response.text
                returned.append(len(response.json()["items"]))
                if (n + 1) % 100 == 0:
                    say(f"queries {n + 1}/{len(sample)}")
            baseline = []  # the same path with a trivial query: the floor of any read
            for member_id in sample:
                begun = time.perf_counter()
                http.get(f"/v1/members/{member_id}/connections", headers=signed_in(member_id))
                baseline.append((time.perf_counter() - begun) * 1000)
            print(
                f"\nsuggestions benchmark ({args.members:,} members, {args.connections:,} "
                f"connections, {len(facts):,} facts; "
                f"{'PostgreSQL' if args.database_url else 'SQLite'}, loopback)"
            )
            print(
                f"  index the org from events:   {indexed:6.1f} s "
                f"({len(facts) / indexed:,.0f} facts/s, startup build included)"
            )
            print(
                f"  raw nats-py pull+ack (baseline): {raw_rate:,.0f} msgs/s "
                f"({raw_count:,} messages); ratio indexed / raw "
                f"{len(facts) / indexed / raw_rate:.3f}"
            )
            print(f"  rebuild from tables at start: {rebuilt:6.1f} s")
            print(f"  connections process memory:   {memory:6.0f} MiB resident, index built")
            print(
                f"  GET .../suggestions?limit=10  n={len(latencies)}  "
                f"p50={percentile(latencies, 0.5):6.1f} ms  "
                f"p95={percentile(latencies, 0.95):6.1f} ms  "
                f"max={max(latencies):6.1f} ms  mean={statistics.fmean(latencies):6.1f} ms"
            )
            print(
                f"  GET .../connections (baseline) n={len(baseline)}  "
                f"p50={percentile(baseline, 0.5):6.1f} ms  "
                f"p95={percentile(baseline, 0.95):6.1f} ms"
            )
            print(f"  suggestions returned per query: mean {statistics.fmean(returned):.1f}")
            print(
                f"  machine load average during the queries: {load_before:.1f} -> "
                f"{os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)"
            )
            http.close()
        finally:
            processes.stop_all()
            server.stop()


async def _provision(url: str) -> None:
    nc = await nats.connect(url)
    await provision(nc.jetstream(), Settings(nats={"url": url}))
    await nc.close()


if __name__ == "__main__":
    main()
