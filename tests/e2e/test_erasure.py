"""Erasure leaves nothing readable (issue 11): a member whose name, email, profile texts,
posts, comments, messages and webhook deliveries (one of them dead-lettered) all carry a
unique marker uses every part of the system, is erased, and then no byte of the system's
data (the SQLite files with their -wal and -shm, the JetStream store, the logs) nor any row
of its PostgreSQL databases holds the marker, in any letter case. The aggregator's
projection rebuilt by replay afterwards equals the live one.

What PostgreSQL keeps below its tables (its WAL, dead tuples until vacuum) is the server's
business: the scan is logical (every row of every table as text); docs/operations.md says
what an operator must know."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import nats

from shared.contracts.streams import CONSUMERS
from shared.messaging.permissions import PROVISIONING
from tests.e2e.system import System, wait_until
from tests.e2e.test_aggregator import assert_equal_snapshots, snapshot
from tests.support import WEBHOOK_SECRETS, identity_env, signed

RAPPORT = WEBHOOK_SECRETS["rapport"][0]


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


# --- the member who is erased -----------------------------------------------------------------


class Marked:
    """A member all of whose words carry `marker` (mixed case where it is shown)."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.marker = f"Zq{uuid.uuid4().hex[:12]}"
        self.handle = f"erased-{uuid.uuid4().hex[:6]}"
        self.email = f"{self.marker}@Example.org"
        self.client = system.as_member(self.handle, email=self.email)
        profile = {
            "handle": self.handle,
            "name": f"Ana {self.marker}",
            "headline": f"Data engineer ({self.marker})",
            "about": f"I write about {self.marker} and pipelines.",
            "skills": ["python", "sql"],
            "keywords": ["data", "pipelines"],
            "industry": "Data",
        }
        # with an Idempotency-Key: the stored answer holds the name and email
        registered = self.client.post(
            "/v1/members", json=profile, headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        self.id = ok(registered, 201)["member_id"]
        system.handles[self.id] = self.handle
        system._clients[(self.handle, "member", None, None)] = self.client
        for service_operation in (
            ("connections", "list_connections"),
            ("aggregator", "relationships"),
            ("content", "content_stats"),
            ("events", "list_member_meetings"),
        ):
            system.known_to(service_operation, self.id)

    def says(self, what: str) -> str:
        return f"{what} {self.marker}"

    def key(self) -> dict[str, str]:
        return {"Idempotency-Key": uuid.uuid4().hex}


def webhook(system: System, payload: dict) -> str:
    body, headers = signed(RAPPORT, payload)
    response = system.http.post("/v1/webhooks/rapport", content=body, headers=headers)
    return ok(response, 202)["webhook_id"]


def deliveries(system: System) -> set[str]:
    found = set()
    for status in ("normalised", "failed"):
        answer = ok(system.operator().get("/v1/webhooks/deliveries", params={"status": status}))
        found |= {d["webhook_id"] for d in answer["items"]}
    return found


def use_everything(system: System, ana: Marked, ben: str, chen: str) -> set[str]:
    """Ana connects, posts, comments, writes, attends and is read about; returns the webhook
    ids of the deliveries that name her."""
    me, as_ben, as_chen = ana.client, system.as_id(ben), system.as_id(chen)
    request = ok(me.post("/v1/connection-requests", json={"addressee_id": ben}), 201)
    ok(as_ben.post(f"/v1/connection-requests/{request['id']}/accept"))
    ok(as_chen.put(f"/v1/members/{chen}/follows/{ana.id}"))

    post = ok(me.post("/v1/posts", json={"body": ana.says("Slides:")}, headers=ana.key()), 201)
    ok(me.post(f"/v1/posts/{post['id']}/comments", json={"body": ana.says("and")}), 201)
    theirs = ok(as_ben.post("/v1/posts", json={"body": "Reading list"}), 201)
    ok(
        me.post(
            f"/v1/posts/{theirs['id']}/comments", json={"body": ana.says("+1")}, headers=ana.key()
        ),
        201,
    )
    ok(as_ben.post(f"/v1/posts/{post['id']}/comments", json={"body": "Thanks!"}), 201)
    ok(as_ben.put(f"/v1/posts/{post['id']}/reactions/{ben}", json={"kind": "like"}))
    ok(me.post(f"/v1/posts/{theirs['id']}/shares", json={"comment": ana.says("see")}), 201)

    message = {"recipient_id": ben, "body": ana.says("Lunch?")}
    ok(me.post("/v1/direct-messages", json=message, headers=ana.key()), 201)
    ok(as_ben.post("/v1/direct-messages", json={"recipient_id": ana.id, "body": "Sure"}), 201)

    group = ok(as_ben.post("/v1/groups", json={"name": "Reading circle"}), 201)
    ok(me.put(f"/v1/groups/{group['id']}/members/{ana.id}"))
    ok(
        me.post(
            f"/v1/groups/{group['id']}/messages",
            json={"body": ana.says("Chapter 3")},
            headers=ana.key(),
        ),
        201,
    )
    ok(me.post("/v1/posts", json={"body": ana.says("Notes"), "group_id": group["id"]}), 201)

    now = datetime.now(UTC)
    external = f"conf-{uuid.uuid4().hex[:8]}"
    webhook(
        system,
        {
            "type": "event.upserted",
            "data": {
                "external_id": external,
                "title": "Data day",
                "kind": "conference",
                "format": "in_person",
                "starts_at": (now - timedelta(hours=3)).isoformat(),
                "ends_at": (now + timedelta(hours=5)).isoformat(),
            },
        },
    )
    ben_email = f"{system.handles[ben]}@example.org"  # system.register's default
    naming = {
        webhook(
            system,
            {
                "type": "rsvp.updated",
                "data": {"event_external_id": external, "email": ana.email, "status": "going"},
            },
        ),
        webhook(
            system,
            {
                "type": "attendee.checked_in",
                "data": {
                    "event_external_id": external,
                    "email": ana.email.upper(),
                    "checked_in_at": (now - timedelta(hours=2)).isoformat(),
                },
            },
        ),
        webhook(
            system,
            {
                "type": "meeting.logged",
                "data": {
                    "participant_emails": [ana.email, ben_email],
                    "started_at": (now - timedelta(hours=2)).isoformat(),
                    "ended_at": (now - timedelta(hours=1)).isoformat(),
                    "event_external_id": external,
                },
            },
        ),
        # not normalisable: kept, failed, with its body (for a replay)
        webhook(system, {"type": "badge.printed", "data": {"email": ana.email}}),
    }
    wait_until(lambda: naming <= deliveries(system), timeout=20)
    # a raw message naming her that the events service cannot read: dead-lettered, body kept
    stray = f'{{"data": {{"email": "{ana.email}"}}}}'.encode()
    asyncio.run(_publish_stray(system.nats_url, stray))
    wait_until(lambda: asyncio.run(_dead_lettered(system.nats_url, stray)), timeout=20)
    wait_until(lambda: ana.id in system.relationships(ben), timeout=20)

    # every read about her: profile, feed, suggestions, relationships, messages, meetings
    for path in (
        f"/v1/members/{ana.id}",
        f"/v1/members/{ana.id}/profile-strength",
        f"/v1/members/{ana.id}/feed",
        f"/v1/members/{ana.id}/suggestions",
        f"/v1/members/{ana.id}/relationships",
        f"/v1/members/{ana.id}/balance",
        f"/v1/members/{ana.id}/nudges",
        f"/v1/members/{ana.id}/content-stats",
        f"/v1/members/{ana.id}/meetings",
        f"/v1/members/{ana.id}/conversations/{ben}",
        f"/v1/groups/{group['id']}/messages",
        f"/v1/posts/{post['id']}/comments",
        "/v1/members",
    ):
        ok(me.get(path))
    for path in (f"/v1/members/{ben}/feed", f"/v1/members/{ben}/relationships"):
        ok(as_ben.get(path))
    ok(as_chen.get(f"/v1/members/{chen}/suggestions"))
    ok(system.analyst().get("/v1/insights/org"))
    return naming


async def _publish_stray(url: str, body: bytes) -> None:
    nc = await nats.connect(url)
    try:
        await nc.jetstream().publish(
            "rapport.webhooks.rapport", body, headers={"Nats-Msg-Id": uuid.uuid4().hex}
        )
    finally:
        await nc.close()


async def _dead_lettered(url: str, body: bytes) -> bool:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        state = (await js.stream_info("DEADLETTER")).state
        for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
            if (await js.get_msg("DEADLETTER", seq)).data == body:
                return True
        return False
    finally:
        await nc.close()


# --- waiting for the erasure everywhere ------------------------------------------------------


async def _settled(url: str, member_id: str) -> bool:
    """member.deleted is in PROFILES and every durable has handled everything it was given
    (the erasure of each service commits before its ack)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        state = (await js.stream_info("PROFILES")).state
        deleted = False
        for seq in range(state.first_seq, state.last_seq + 1):
            data = (await js.get_msg("PROFILES", seq)).data
            deleted |= b'"member.deleted"' in data and member_id.encode() in data
        if not deleted:
            return False
        for spec in CONSUMERS:
            info = await js.consumer_info(spec.stream, spec.durable)
            if info.num_pending or info.num_ack_pending:
                return False
        return True
    finally:
        await nc.close()


# --- scanning ------------------------------------------------------------------------------


def file_hits(root: Path, marker: str) -> list[str]:
    """Every file under `root` whose bytes hold the marker, in any letter case."""
    needle = marker.lower().encode()
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and needle in path.read_bytes().lower()
    )


async def row_hits(database_urls: list[str], marker: str) -> list[str]:
    """Every table of these PostgreSQL databases with a row that holds the marker: the row
    as text, and each binary column's bytes (a row's text shows those in hex)."""
    hits = []
    for url in database_urls:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        connection = await asyncpg.connect(dsn)
        try:
            tables = await connection.fetch(
                "SELECT table_schema, table_name FROM information_schema.tables"
                " WHERE table_type = 'BASE TABLE'"
                " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
            for table in tables:
                schema, name = table["table_schema"], table["table_name"]
                binary = await connection.fetch(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = $1 AND table_name = $2 AND data_type = 'bytea'",
                    schema,
                    name,
                )
                found = " OR ".join(
                    ["lower(t::text) LIKE $1"]
                    + [f"lower(encode(t.\"{c['column_name']}\", 'escape')) LIKE $1" for c in binary]
                )
                count = await connection.fetchval(
                    f'SELECT count(*) FROM "{schema}"."{name}" AS t WHERE {found}',
                    f"%{marker.lower()}%",
                )
                if count:
                    hits.append(f"{dsn.rsplit('/', 1)[-1]}: {schema}.{name} ({count} rows)")
        finally:
            await connection.close()
    return hits


def postgres_databases(system: System) -> list[str]:
    return [
        url
        for name, url in system.env.items()
        if name.startswith("RAPPORT_") and name.endswith("_DATABASE_URL")
    ]


# --- the test --------------------------------------------------------------------------------


def test_an_erased_member_leaves_nothing_readable_and_replay_rebuilds_the_projection(
    system: System,
):
    ben, chen = system.registered(*(f"{n}-{uuid.uuid4().hex[:6]}" for n in ("ben", "chen")))
    ana = Marked(system)
    use_everything(system, ana, ben, chen)
    # the scan sees her data first: the raw deliveries, their dead letter, and (on SQLite)
    # each database
    before = " ".join(file_hits(system.root, ana.marker))
    expected = ["WEBHOOKS", "DEADLETTER"]
    expected += ["profiles", "content", "events"] if "sqlite" in before else []
    assert all(place in before for place in expected), before
    databases = postgres_databases(system)
    assert not databases or asyncio.run(row_hits(databases, ana.marker))

    assert ana.client.delete(f"/v1/members/{ana.id}").status_code == 204
    wait_until(lambda: asyncio.run(_settled(system.nats_url, ana.id)), timeout=30, interval=0.2)
    assert system.as_id(ben).get(f"/v1/members/{ana.id}").status_code == 404
    wait_until(lambda: ana.id not in system.relationships(ben), timeout=20)

    hits = file_hits(system.root, ana.marker)
    hits += asyncio.run(row_hits(databases, ana.marker))

    at = datetime.now(UTC).replace(microsecond=0)
    live = snapshot(system, [ben, chen], at)
    rebuilt = subprocess.run(
        [sys.executable, "-m", "services.aggregator.rebuild"],
        env=system.env | identity_env(PROVISIONING),  # a rebuild replays: a provisioning job
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "generation 2 is live" in rebuilt.stdout, rebuilt.stdout
    assert_equal_snapshots(snapshot(system, [ben, chen], at), live)

    assert hits == [], f"the marker {ana.marker} is still in: {hits}"
