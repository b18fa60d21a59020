"""The aggregator as a running process: crash safety, rebuild, watermarks per member, and
scale-out (instances sharing one durable consumer and one PostgreSQL projection).

Facts are published straight to JetStream here (as their owning services would publish them),
so that the aggregator is tested on logs of a known shape and size.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
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
from shared.messaging.permissions import PROVISIONING
from shared.settings import SERVICES
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database
from tests.e2e.projection import Projection
from tests.e2e.system import System, wait_until
from tests.support import identity_env

START = datetime(2026, 6, 1, tzinfo=UTC)
AT = START + timedelta(days=61)
HALF_LIFE = 30 * 86400.0


async def _publish(
    url: str, facts: list[tuple[Event, datetime]], prefix: str, again: int = 0
) -> None:
    """`again=k`: every k-th event once more (same id, past JetStream's deduplication), as a
    producer retrying after a lost acknowledgement would."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    envelopes = [
        Envelope.wrap(event, source=f"/rapport/{event.domain}", time=at).model_copy(
            update={"id": f"{prefix}-{n:06d}"}
        )
        for n, (event, at) in enumerate(facts)
    ]
    if again:
        envelopes = envelopes[::again]
    for chunk in range(0, len(envelopes), 500):
        await asyncio.gather(
            *(
                js.publish(
                    _subject(e),
                    e.model_dump_json().encode(),
                    headers={"Nats-Msg-Id": f"{e.id}-again" if again else e.id},
                )
                for e in envelopes[chunk : chunk + 500]
            )
        )
    await nc.close()


def _subject(envelope: Envelope) -> str:
    return event_subject(EVENT_TYPES[envelope.type])


def publish(
    system: System, facts: list[tuple[Event, datetime]], prefix: str = "f", again: int = 0
) -> None:
    asyncio.run(_publish(system.nats_url, facts, prefix, again))


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
    wait_until(lambda: asyncio.run(_pending(system.nats_url)) == 0, timeout=timeout, interval=0.2)


def members(n: int) -> list[str]:
    return [f"member-{i:04d}" for i in range(n)]


def registrations(ids: list[str]) -> list[tuple[Event, datetime]]:
    return [
        (
            MemberRegistered(
                member_id=m, handle=f"h{m[-4:]}", team="research" if i % 2 else "design"
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
        minutes = rng.randint(5, 120)
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
                            duration_minutes=minutes,
                        ),
                        at + timedelta(minutes=minutes),  # logged once it ended
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


def snapshot(system: System, ids: list[str], moment: datetime = AT) -> dict:
    """Everything the API says about these members at one fixed moment (AT by default)."""
    at = moment.isoformat()
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


def drops_apart(mine: str | None, theirs: str | None) -> float:
    """Seconds between two status drops (0 when both are never)."""
    if mine is None or theirs is None:
        return 0.0 if mine == theirs else float("inf")
    return abs((datetime.fromisoformat(mine) - datetime.fromisoformat(theirs)).total_seconds())


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
            ):
                assert view[key] == twin[key], (member, other, key)
            # batches of different sizes add the same sums in another order (1e-16 relative
            # apart), and model v2 finds the drop by bisection to a millisecond
            assert drops_apart(view["status_drops_at"], twin["status_drops_at"]) < 0.01, (
                member,
                other,
            )
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
    messages = direct_messages(ids, 10_000, seed=42)
    system.stop("aggregator")
    publish(system, registrations(ids), "reg")
    publish(system, messages, "dm")

    system.start("aggregator")
    wait_until(lambda: asyncio.run(_pending(system.nats_url)) < 7_000, timeout=60, interval=0.02)
    os.kill(system.processes["aggregator"].pid, signal.SIGKILL)
    system.processes.pop("aggregator").wait()
    system.start("aggregator")
    caught_up(system, timeout=120)

    assert_the_uninterrupted_result(system, ids, messages)


def direct_messages(ids: list[str], n: int, seed: int) -> list[tuple[Event, datetime]]:
    rng = random.Random(seed)
    messages = []
    for k in range(n):
        a, b = rng.sample(ids, 2)
        at = START + timedelta(seconds=rng.randint(0, 60 * 86400))
        messages.append((DirectMessageSent(message_id=f"m{k}", sender_id=a, recipient_id=b), at))
    return messages


def assert_the_uninterrupted_result(
    system: System, ids: list[str], messages: list[tuple[Event, datetime]]
) -> None:
    """Balances and pair sums as computed straight from the log: nothing lost or doubled."""

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


# --- watermarks per member --------------------------------------------------------------


async def _dead_letters(url: str) -> list[dict[str, str]]:
    """The headers of every message in the dead-letter stream."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    state = (await js.stream_info("DEADLETTER")).state
    found = []
    for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
        found.append(dict((await js.get_msg("DEADLETTER", seq)).headers or {}))
    await nc.close()
    return found


def test_a_meeting_timed_ahead_is_dead_lettered_and_holds_up_no_ones_reads(system: System):
    ana, ben, cleo, dan = ids = members(4)
    now = datetime.now(UTC)
    publish(
        system,
        [
            *registrations(ids),
            (DirectMessageSent(message_id="ab", sender_id=ana, recipient_id=ben), START),
            (
                DirectMessageSent(message_id="cd", sender_id=cleo, recipient_id=dan),
                START + timedelta(days=10),
            ),
            # logged now, but said to end ten hours from now
            (
                MeetingLogged(
                    meeting_id="ahead",
                    participant_ids=[ana, ben],
                    started_at=now - timedelta(minutes=5),
                    ended_at=now + timedelta(hours=10),
                ),
                now,
            ),
        ],
        "ahead",
    )
    caught_up(system)

    refused = wait_until(
        lambda: [
            h
            for h in asyncio.run(_dead_letters(system.nats_url))
            if "ended_at" in h.get("Rapport-Error", "")
        ],
        timeout=30,
    )
    assert "meeting.logged" in refused[0]["Rapport-Error"]
    assert refused[0]["Rapport-Original-Subject"] == event_subject(MeetingLogged)

    def relationships(member: str, at: datetime):
        return Projection(system).get(
            f"/v1/members/{member}/relationships", params={"at": at.isoformat()}
        )

    # nobody's reads "now" are held up, Ana's and Ben's included: the meeting counts for no one
    for member in ids:
        assert relationships(member, now).status_code == 200, member
    view = Projection(system).get(f"/v1/relationships/{ana}/{ben}", params={"at": now.isoformat()})
    assert view.json()["relationship"]["interaction_count"] == 1
    # each member's own data bounds the reads about them, and only them
    before_cleo = START + timedelta(days=5)
    assert relationships(ana, before_cleo).status_code == 200
    late = relationships(cleo, before_cleo)
    assert late.status_code == 422
    assert [e["field"] for e in late.json()["errors"]] == ["at"]


# --- rebuild -----------------------------------------------------------------------------


def test_a_rebuilt_projection_equals_the_live_one_and_then_serves(system: System):
    ids = members(30)
    publish(system, mixed_log(ids, 600, seed=1), "log")
    caught_up(system)
    live = snapshot(system, ids)

    rebuilt = subprocess.run(
        [sys.executable, "-m", "services.aggregator.rebuild"],
        env=system.env | identity_env(PROVISIONING),  # a rebuild replays: a provisioning job
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


def test_a_rebuild_turns_a_v1_projection_into_v2_while_v1_serves(tmp_path, monkeypatch):
    ids = members(20)
    log = mixed_log(ids, 300, seed=4)
    snapshots = {}
    for version in ("v2", "v1"):
        monkeypatch.setenv("RAPPORT_HEALTH_MODEL", version)
        system = System(tmp_path / version, {})
        try:
            system.start_all()
            publish(system, log, "log")
            caught_up(system)
            snapshots[version] = snapshot(system, ids)
            if version == "v1":
                rebuilt = subprocess.run(
                    [sys.executable, "-m", "services.aggregator.rebuild"],
                    env=system.env | identity_env(PROVISIONING) | {"RAPPORT_HEALTH_MODEL": "v2"},
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                assert rebuilt.returncode == 0, rebuilt.stderr
                assert "generation 2 is live (health model v2)" in rebuilt.stdout
                # the aggregator, still configured v1, serves the new generation as v2
                snapshots["rebuilt"] = snapshot(system, ids)
        finally:
            system.shutdown()
    v1_views = [v for m in ids for v in snapshots["v1"][m]["relationships"].values()]
    assert v1_views and all(v["attention"] is None for v in v1_views)
    assert_equal_snapshots(snapshots["rebuilt"], snapshots["v2"])


# --- scale-out ---------------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    POSTGRES_URL is None, reason="instances share a PostgreSQL projection (TEST_DATABASE_URL)"
)


@contextlib.contextmanager
def instances_system(root, instances: int) -> Iterator[System]:
    """The system on PostgreSQL with `instances` aggregator processes."""
    databases = {name: asyncio.run(create_postgres_database()) for name in SERVICES}
    system = System(root, databases, aggregator_instances=instances)
    try:
        system.start_all()
        yield system
    finally:
        system.shutdown()
        for url in databases.values():
            asyncio.run(drop_postgres_database(url))


def one_check_in_each(log: list[tuple[Event, datetime]]) -> list[tuple[Event, datetime]]:
    """The log with one check-in per member and event. A second check-in of a member to the
    same event makes co-attendance depend on which check-in arrives first (the projection
    keeps the first to arrive, and times co-attendance by it): a known order dependence,
    not one of scale-out."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for event, at in log:
        if isinstance(event, AttendeeCheckedIn):
            if (event.event_id, event.member_id) in seen:
                continue
            seen.add((event.event_id, event.member_id))
        kept.append((event, at))
    return kept


@needs_postgres
def test_two_instances_on_one_database_give_exactly_the_results_of_one(tmp_path):
    ids = members(30)
    log = one_check_in_each(mixed_log(ids, 500, seed=2))
    snapshots, pages = [], []
    for instances in (1, 2):
        with instances_system(tmp_path / f"i{instances}", instances) as system:
            publish(system, log, "log")
            publish(system, log, "log", again=3)  # a third of the events twice
            caught_up(system)
            snapshots.append(snapshot(system, ids))
            pages.append(all_pages(system, ids[0], limit=4))
    single, double = snapshots
    assert_equal_snapshots(double, single)
    assert pages[1] == pages[0] == list(single[ids[0]]["relationships"])


@needs_postgres
def test_killing_one_of_two_instances_mid_stream_loses_and_doubles_nothing(tmp_path):
    ids = members(100)
    messages = direct_messages(ids, 10_000, seed=43)
    with instances_system(tmp_path / "killed", 2) as system:
        publish(system, registrations(ids), "reg")
        publish(system, messages, "dm")
        wait_until(
            lambda: asyncio.run(_pending(system.nats_url)) < 7_000, timeout=60, interval=0.02
        )
        os.kill(system.processes["aggregator-2"].pid, signal.SIGKILL)
        system.processes.pop("aggregator-2").wait()
        # the other instance takes over what the killed one had fetched (after ack_wait)
        caught_up(system, timeout=120)
        assert_the_uninterrupted_result(system, ids, messages)


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
