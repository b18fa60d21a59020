"""The aggregator as a running process: crash safety, rebuild, and partitioned scale-out.

Facts are published straight to JetStream here (as their owning services would publish them),
so that the aggregator is tested on logs of a known shape and size.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import nats
import pytest

from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import (
    EVENT_TYPES,
    AttendeeCheckedIn,
    ConnectionAccepted,
    DirectMessageSent,
    MeetingLogged,
    MemberBlocked,
    MemberFollowed,
    MemberRegistered,
)
from shared.contracts.subjects import event_subject
from tests.e2e.projection import Projection
from tests.e2e.system import System, wait_until

START = datetime(2026, 6, 1, tzinfo=UTC)
AT = START + timedelta(days=61)
HALF_LIFE = 30 * 86400.0


async def _publish(url: str, facts: list[tuple[Event, datetime]], prefix: str) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    envelopes = [
        Envelope.wrap(event, source="/test", time=at).model_copy(update={"id": f"{prefix}-{n:06d}"})
        for n, (event, at) in enumerate(facts)
    ]
    for chunk in range(0, len(envelopes), 500):
        await asyncio.gather(
            *(
                js.publish(_subject(e), e.model_dump_json().encode(), headers={"Nats-Msg-Id": e.id})
                for e in envelopes[chunk : chunk + 500]
            )
        )
    await nc.close()


def _subject(envelope: Envelope) -> str:
    return event_subject(EVENT_TYPES[envelope.type])


def publish(system: System, facts: list[tuple[Event, datetime]], prefix: str = "f") -> None:
    asyncio.run(_publish(system.nats.url, facts, prefix))


async def _pending(url: str) -> int:
    nc = await nats.connect(url)
    js = nc.jetstream()
    total = 0
    for stream, durable in (
        ("PROFILES", "aggregator-members-v2"),
        ("CONNECTIONS", "aggregator-connections-v2"),
        ("CONTENT", "aggregator-content-v1"),
        ("EVENTS", "aggregator-events-v1"),
    ):
        for info in [c for c in await js.consumers_info(stream) if c.name.startswith(durable)]:
            total += info.num_pending + info.num_ack_pending
    await nc.close()
    return total


def caught_up(system: System, timeout: float = 60) -> None:
    wait_until(lambda: asyncio.run(_pending(system.nats.url)) == 0, timeout=timeout, interval=0.2)


def members(n: int) -> list[str]:
    return [f"member-{i:04d}" for i in range(n)]


def registrations(ids: list[str]) -> list[tuple[Event, datetime]]:
    return [
        (
            MemberRegistered(
                member_id=m,
                handle=f"h{m[-4:]}",
                name=m,
                email=f"{m}@x.org",
                team="research" if i % 2 else "design",
            ),
            START,
        )
        for i, m in enumerate(ids)
    ]


def mixed_log(ids: list[str], size: int, seed: int) -> list[tuple[Event, datetime]]:
    """Connections, follows, blocks, messages, meetings and check-ins among `ids`."""
    rng = random.Random(seed)
    log = registrations(ids)
    for n in range(size):
        a, b = rng.sample(ids, 2)
        at = START + timedelta(minutes=rng.randint(0, 60 * 24 * 60))
        log.append(
            rng.choice(
                [
                    (ConnectionAccepted(request_id=f"r{n}", requester_id=a, addressee_id=b), at),
                    (DirectMessageSent(message_id=f"d{n}", sender_id=a, recipient_id=b), at),
                    (DirectMessageSent(message_id=f"e{n}", sender_id=b, recipient_id=a), at),
                    (
                        MeetingLogged(
                            meeting_id=f"g{n}",
                            participant_ids=[a, b],
                            started_at=at,
                            duration_minutes=rng.randint(5, 120),
                        ),
                        at,
                    ),
                    (
                        AttendeeCheckedIn(
                            event_id=f"ev{n % 3}",
                            member_id=a,
                            attendance="in_person",
                            checked_in_at=at,
                        ),
                        at,
                    ),
                    (MemberFollowed(member_id=a, other_id=b), at),
                ]
            )
        )
        if n % 97 == 0:
            log.append((MemberBlocked(member_id=a, other_id=b), at))
    return log


def snapshot(system: System, ids: list[str]) -> dict:
    """Everything the API says about these members at AT."""
    at = AT.isoformat()
    result = {}
    for member in ids:
        response = Projection(system).get(
            f"/v1/members/{member}/relationships", params={"at": at, "limit": 200}
        )
        assert response.status_code == 200, response.text
        balance = Projection(system).get(f"/v1/members/{member}/balance", params={"at": at}).json()
        result[member] = {
            "relationships": {r["member_id"]: r for r in response.json()["items"]},
            "balance": {k: balance[k] for k in ("online", "offline", "status", "weeks")},
        }
    org = system.analyst().get("/v1/insights/org", params={"at": at}).json()
    result["org"] = {
        k: org[k] for k in ("pairs_by_status", "members_by_balance", "isolated_members", "members")
    }
    return result


def assert_equal_snapshots(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    assert left["org"] == right["org"]
    for member in left.keys() - {"org"}:
        mine, theirs = left[member], right[member]
        assert mine["relationships"].keys() == theirs["relationships"].keys(), member
        for other, view in mine["relationships"].items():
            twin = theirs["relationships"][other]
            assert view["health"] == pytest.approx(twin["health"], rel=1e-9, abs=1e-9)
            assert view["sums"] == pytest.approx(twin["sums"], rel=1e-9, abs=1e-12)
            for key in (
                "status",
                "interaction_count",
                "at_risk",
                "connected",
                "last_interaction",
                "status_drops_at",
            ):
                assert view[key] == twin[key], (member, other, key)
        assert mine["balance"]["status"] == theirs["balance"]["status"]
        assert mine["balance"]["online"] == pytest.approx(
            theirs["balance"]["online"], rel=1e-9, abs=1e-12
        )
        assert mine["balance"]["offline"] == pytest.approx(
            theirs["balance"]["offline"], rel=1e-9, abs=1e-12
        )


# --- crash safety ------------------------------------------------------------------------


def test_killing_the_aggregator_mid_stream_gives_exactly_the_uninterrupted_result(
    system: System,
):
    ids = members(100)
    rng = random.Random(42)
    messages = []
    for n in range(10_000):
        a, b = rng.sample(ids, 2)
        at = START + timedelta(seconds=rng.randint(0, 60 * 86400))
        messages.append((DirectMessageSent(message_id=f"m{n}", sender_id=a, recipient_id=b), at))
    system.stop("aggregator")
    publish(system, registrations(ids), "reg")
    publish(system, messages, "dm")

    system.start("aggregator")
    wait_until(lambda: asyncio.run(_pending(system.nats.url)) < 7_000, timeout=60, interval=0.02)
    os.kill(system.processes["aggregator"].pid, signal.SIGKILL)
    system.processes.pop("aggregator").wait()
    system.start("aggregator")
    caught_up(system, timeout=120)

    # the uninterrupted result, computed straight from the log
    def decayed(t: datetime) -> float:
        return 3 * 2 ** (-(AT - t).total_seconds() / HALF_LIFE)

    sent: dict[tuple[str, str], float] = {}
    online: dict[str, float] = {}
    for event, t in messages:
        key = (event.sender_id, event.recipient_id)
        sent[key] = sent.get(key, 0.0) + decayed(t)
        for m in key:
            online[m] = online.get(m, 0.0) + decayed(t)
    for member in ids[:25]:
        balance = (
            Projection(system)
            .get(f"/v1/members/{member}/balance", params={"at": AT.isoformat()})
            .json()
        )
        assert balance["online"] == pytest.approx(online[member], rel=1e-9)
        assert balance["offline"] == 0
    for (a, b), value in list(sent.items())[:40]:
        pair = (
            Projection(system)
            .get(f"/v1/relationships/{a}/{b}", params={"at": AT.isoformat()})
            .json()["relationship"]
        )
        assert pair["sums"]["from_member"] == pytest.approx(value, rel=1e-9)
        assert pair["sums"]["to_member"] == pytest.approx(
            sent.get((b, a), 0.0), rel=1e-9, abs=1e-12
        )
        count = sum(1 for e, _ in messages if {e.sender_id, e.recipient_id} == {a, b})
        assert pair["interaction_count"] == count


# --- rebuild -----------------------------------------------------------------------------


def test_a_rebuilt_projection_equals_the_live_one_and_then_serves(system: System):
    ids = members(30)
    publish(system, mixed_log(ids, 600, seed=1), "log")
    caught_up(system)
    live = snapshot(system, ids)

    rebuilt = subprocess.run(
        [sys.executable, "-m", "services.aggregator.rebuild"],
        env=system.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "generation 2 is live" in rebuilt.stdout, rebuilt.stdout

    assert_equal_snapshots(snapshot(system, ids), live)
    # the rebuilt generation keeps up with what happens next
    a, b = ids[0], ids[1]
    before = Projection(system).get(f"/v1/relationships/{a}/{b}", params={"at": AT.isoformat()})
    count = before.json()["relationship"]["interaction_count"] if before.status_code == 200 else 0
    publish(
        system,
        [
            (
                DirectMessageSent(message_id="late", sender_id=a, recipient_id=b),
                AT - timedelta(days=1),
            )
        ],
        "late",
    )
    caught_up(system)
    after = Projection(system).get(f"/v1/relationships/{a}/{b}", params={"at": AT.isoformat()})
    if after.status_code == 200:  # unless a block hides the pair
        assert after.json()["relationship"]["interaction_count"] == count + 1


# --- partitions --------------------------------------------------------------------------


def test_two_aggregator_partitions_give_exactly_the_results_of_one(tmp_path, monkeypatch):
    # any partition may answer the next page: they sign cursors with one configured key
    monkeypatch.setenv("RAPPORT_CURSOR_SECRET", "partitions-share-this")
    ids = members(30)
    log = mixed_log(ids, 500, seed=2)
    snapshots, pages = [], []
    for partitions in (1, 2):
        system = System(tmp_path / f"p{partitions}", {}, aggregator_partitions=partitions)
        try:
            system.start_all()
            publish(system, log, "log")
            caught_up(system)
            snapshots.append(snapshot(system, ids))
            pages.append(all_pages(system, ids[0], limit=4))
        finally:
            system.shutdown()
    single, split = snapshots
    assert_equal_snapshots(split, single)
    assert pages[1] == pages[0] == list(single[ids[0]]["relationships"])


# --- pages ---------------------------------------------------------------------------------


def all_pages(system: System, member: str, limit: int) -> list[str]:
    """The member's relationships at AT, following the cursor through every page."""
    found: list[str] = []
    params: dict = {"at": AT.isoformat(), "limit": limit}
    while True:
        response = Projection(system).get(f"/v1/members/{member}/relationships", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        found += [item["member_id"] for item in page["items"]]
        if page["next_cursor"] is None:
            return found
        params["cursor"] = page["next_cursor"]


def test_relationship_pages_follow_their_cursor_and_refuse_anyone_elses(system: System):
    ids = members(20)
    publish(system, mixed_log(ids, 300, seed=3), "log")
    caught_up(system)
    everything = (
        Projection(system)
        .get(f"/v1/members/{ids[0]}/relationships", params={"at": AT.isoformat(), "limit": 200})
        .json()
    )
    assert all_pages(system, ids[0], limit=3) == [i["member_id"] for i in everything["items"]]

    first = (
        Projection(system)
        .get(f"/v1/members/{ids[0]}/relationships", params={"at": AT.isoformat(), "limit": 1})
        .json()
    )
    cursor = first["next_cursor"]
    assert cursor is not None
    foreign = [
        (ids[1], {"at": AT.isoformat(), "cursor": cursor}),  # another member's listing
        (ids[0], {"at": (AT + timedelta(days=1)).isoformat(), "cursor": cursor}),  # another time
        (ids[0], {"at": AT.isoformat(), "status": "thriving", "cursor": cursor}),  # a filter
        (ids[0], {"at": AT.isoformat(), "cursor": cursor[:-2] + "AA"}),  # tampered
        (ids[0], {"at": AT.isoformat(), "cursor": "not-a-cursor"}),
    ]
    for member, params in foreign:
        response = Projection(system).get(f"/v1/members/{member}/relationships", params=params)
        assert response.status_code == 400, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["cursor"]
