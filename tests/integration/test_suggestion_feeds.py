"""The connections service's suggestion index, fed by facts over a real nats-server.

The connections service runs as its own process (as `make run` starts it) on a clean
JetStream; the test publishes the facts the profiles, content and events services would
publish, plays profiles' part for the personal data member facts do not carry
(`ProfilesStandIn`), and asks for suggestions over request/reply.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import nats
import pytest
from faststream.nats import NatsBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.contracts.api import connections as api
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import (
    AttendeeCheckedIn,
    EventCancelled,
    EventCreated,
    GroupCreated,
    GroupMemberJoined,
    GroupMemberLeft,
    MemberDeleted,
    MemberRegistered,
    MemberUpdated,
    RsvpChanged,
)
from shared.contracts.operations import Operation
from shared.contracts.streams import stream_for_domain
from shared.contracts.subjects import event_subject
from shared.messaging.rpc import RemoteProblem, ServiceUnavailable, call
from shared.natsserver import free_port
from shared.runtime import command
from tests.support import ProfilesStandIn, eventually, identity_env

T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class Connections:
    """The connections service as a process, and a broker to feed and ask it."""

    def __init__(self, nats_url: str, database_url: str, root: Path) -> None:
        self.env = dict(
            os.environ,
            # the process connects as itself: the address without the harness's credentials
            RAPPORT_NATS_URL=urlunsplit(
                urlsplit(nats_url)._replace(netloc=urlsplit(nats_url).netloc.rsplit("@", 1)[-1])
            ),
            **identity_env("connections"),
            RAPPORT_CONNECTIONS_DATABASE_URL=database_url,
            RAPPORT_CONNECTIONS_PORT=str(free_port()),
            RAPPORT_LOG_FORMAT="text",
            RAPPORT_LOG_LEVEL="WARNING",
            RAPPORT_MAX_DELIVERIES="3",
            RAPPORT_RETRY_BACKOFF="[0.05, 0.1]",
            RAPPORT_SUGGESTION_REFRESH_INTERVAL="0.2",
        )
        self.log = root / "connections.log"
        self.process: subprocess.Popen | None = None
        self.broker = NatsBroker(nats_url)
        self.nats_url = nats_url
        self.database_url = database_url
        self.profiles = ProfilesStandIn()

    def launch(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command("connections"), env=self.env, stdout=log, stderr=log
            )

    async def start(self) -> None:
        self.launch()

        async def answers() -> bool:
            try:
                await call(self.broker, api.ping, api.ping.request(), timeout=1.0)
                return True
            except ServiceUnavailable:
                return False

        await eventually(answers, timeout=30, interval=0.1)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(30)
        self.process = None

    async def publish(self, event: Event, time: datetime) -> None:
        envelope = Envelope.wrap(event, source=f"/rapport/{event.domain}", time=time)
        await self.broker.publish(
            envelope.model_dump_json().encode(),
            event_subject(event),
            headers={"Nats-Msg-Id": envelope.id},
            stream=stream_for_domain(event.domain),
        )

    async def ask(self, operation: Operation, **payload):
        return await call(self.broker, operation, operation.request(**payload), timeout=5.0)

    async def suggestions(self, member_id: str, **params) -> dict[str, api.Suggestion]:
        found = await self.ask(api.suggestions, member_id=member_id, **params)
        return {item.member_id: item for item in found.items}

    async def known(self, member_id: str) -> bool:
        try:
            await self.ask(api.list_connections, member_id=member_id)
            return True
        except RemoteProblem:
            return False


@pytest.fixture
async def connections(clean_nats, database_factory, tmp_path) -> AsyncIterator[Connections]:
    service = Connections(clean_nats, await database_factory("connections"), tmp_path)
    await service.broker.connect()
    await service.profiles.start(clean_nats)
    await service.start()
    yield service
    if service.process is not None:
        service.stop()
    await service.profiles.stop()
    await service.broker.stop()


async def register(service: Connections, member_id: str, minute: float = 0, **fields) -> None:
    """Profiles holds the member's profile (`fields`), and publishes their registration."""
    service.profiles.hold(member_id, **fields)
    await service.publish(MemberRegistered(member_id=member_id, handle=member_id), at(minute))


async def registered(service: Connections, *member_ids: str) -> None:
    for member_id in member_ids:
        await eventually(lambda m=member_id: service.known(m))


def conference(event_id: str = "conf", title: str = "DataConf") -> EventCreated:
    return EventCreated(
        event_id=event_id,
        title=title,
        kind="conference",
        format="in_person",
        starts_at=datetime.now(UTC) + timedelta(days=10),
        ends_at=datetime.now(UTC) + timedelta(days=11),
    )


def signals(item: api.Suggestion) -> dict[str, str]:
    return {reason.signal: reason.text for reason in item.reasons}


async def test_profiles_groups_and_events_reach_the_suggestions_with_their_reasons(connections):
    await register(connections, "ana", goals=["move into data engineering"])
    await register(connections, "ben", skills=["Data engineering", "Spark"])
    await register(connections, "chen", skills=["Sales"])
    await registered(connections, "ana", "ben", "chen")

    await connections.publish(
        GroupCreated(group_id="g1", owner_id="ana", name="Data Guild", privacy="open"), at(1)
    )
    await connections.publish(GroupMemberJoined(group_id="g1", member_id="ben"), at(2))
    await connections.publish(conference(), at(1))
    await connections.publish(RsvpChanged(event_id="conf", member_id="ana", status="going"), at(3))
    await connections.publish(RsvpChanged(event_id="conf", member_id="ben", status="going"), at(3))

    async def explained():
        ben = (await connections.suggestions("ana")).get("ben")
        return ben if ben and len(ben.reasons) == 3 else None

    ben = await eventually(explained)
    assert signals(ben) == {
        "fit": "their skills match your goal 'move into data engineering': Data engineering",
        "shared_groups": "both in the group Data Guild",
        "shared_events": "both going to DataConf",
    }
    assert ben.score == pytest.approx(sum(r.points for r in ben.reasons), abs=0.2)
    assert "chen" not in await connections.suggestions("ana")


async def test_facts_in_any_order_give_the_same_copy(connections):
    await register(connections, "ana", goals=["learn rust"], minute=0)
    # ben's update (minute 5) arrives before his registration (minute 1); profiles answers
    # both with his profile as it is now
    connections.profiles.hold("ben", skills=["Rust", "Tokio"])
    await connections.publish(
        MemberUpdated(member_id="ben", handle="ben", changed=["skills"]), at(5)
    )
    await connections.publish(MemberRegistered(member_id="ben", handle="ben"), at(1))
    # he left the group (minute 9) after joining it (minute 8); the facts arrive reversed
    await connections.publish(GroupMemberLeft(group_id="g1", member_id="ben"), at(9))
    await connections.publish(GroupMemberJoined(group_id="g1", member_id="ben"), at(8))
    await connections.publish(
        GroupCreated(group_id="g1", owner_id="ana", name="Rustaceans", privacy="open"), at(7)
    )
    # he declined (minute 12) after saying going (minute 11); the event is cancelled before
    # it is known
    await connections.publish(
        RsvpChanged(event_id="conf", member_id="ben", status="declined"), at(12)
    )
    await connections.publish(RsvpChanged(event_id="conf", member_id="ben", status="going"), at(11))
    await connections.publish(RsvpChanged(event_id="conf", member_id="ana", status="going"), at(11))
    await connections.publish(EventCancelled(event_id="meetup"), at(20))
    await connections.publish(conference("meetup", "RustMeetup"), at(10))
    for member_id in ("ana", "ben"):
        await connections.publish(
            AttendeeCheckedIn(
                event_id="meetup",
                member_id=member_id,
                attendance="in_person",
                checked_in_at=at(30),
            ),
            at(30),
        )
    await connections.publish(conference(), at(10))
    await registered(connections, "ana", "ben")

    async def settled():
        ben = (await connections.suggestions("ana")).get("ben")
        return ben if ben and "Rust" in ben.reasons[0].text else None

    ben = await eventually(settled)
    # only the fit remains: not in the group any more, declined DataConf, RustMeetup cancelled
    assert signals(ben) == {"fit": "their skills match your goal 'learn rust': Rust"}


async def test_an_erased_member_disappears_and_late_facts_do_not_bring_them_back(connections):
    await register(connections, "ana", goals=["learn rust"])
    await register(connections, "ben", skills=["Rust"])
    await registered(connections, "ana", "ben")
    await eventually(lambda: _suggested(connections, "ana", "ben"))

    del connections.profiles.members["ben"]  # profiles erased him
    await connections.publish(MemberDeleted(member_id="ben"), at(10))
    await eventually(lambda: _not_known(connections, "ben"))
    # late facts about ben: an older registration, a group join and an RSVP
    await connections.publish(MemberRegistered(member_id="ben", handle="ben"), at(5))
    await connections.publish(GroupMemberJoined(group_id="g", member_id="ben"), at(11))
    await connections.publish(
        GroupCreated(group_id="g", owner_id="ana", name="G", privacy="open"), at(11)
    )
    await register(connections, "marker", minute=12)
    await registered(connections, "marker")

    assert "ben" not in await connections.suggestions("ana")
    assert not await connections.known("ben")
    with pytest.raises(RemoteProblem) as error:
        await connections.ask(api.suggestions, member_id="ben")
    assert error.value.problem.status == 404


async def test_a_dismissed_member_is_never_suggested_again_even_after_a_restart(connections):
    await register(connections, "ana", goals=["learn rust"], skills=["Python"])
    await register(connections, "ben", skills=["Rust"])
    await register(connections, "chen", skills=["Rust", "Tokio"])
    await registered(connections, "ana", "ben", "chen")
    await eventually(lambda: _suggested(connections, "ana", "ben", "chen"))

    dismissed = await connections.ask(api.dismiss_suggestion, member_id="ana", other_id="chen")
    assert dismissed.other_id == "chen"
    again = await connections.ask(api.dismiss_suggestion, member_id="ana", other_id="chen")
    assert again.dismissed_at == dismissed.dismissed_at  # dismissing twice is fine

    assert set(await connections.suggestions("ana")) == {"ben"}
    # chen becomes a still better match; the index is rebuilt from the tables at restart
    connections.profiles.hold(
        "chen", skills=["Rust", "Tokio", "Rust async"], headline="Rust expert", goals=["python"]
    )
    await connections.publish(
        MemberUpdated(member_id="chen", handle="chen", changed=["skills"]), at(5)
    )
    await eventually(lambda: _suggestion(connections, "chen", "ana"))  # the update applied
    connections.stop()
    await connections.start()
    await register(connections, "marker", minute=6)
    await registered(connections, "marker")

    assert set(await connections.suggestions("ana", limit=50)) == {"ben"}
    assert set(await connections.suggestions("chen")) == {"ana"}  # dismissal is one-sided


async def test_connected_and_pending_members_are_not_suggested_and_bad_requests_are_refused(
    connections,
):
    members = ("ana", "ben", "chen", "dan", "eve")
    for member_id in members:
        await register(connections, member_id, skills=["Rust"], goals=["learn rust"])
    await registered(connections, *members)
    await eventually(lambda: _suggested(connections, *members))

    for other in ("ben", "dan"):
        sent = await connections.ask(api.send_request, requester_id="ana", addressee_id=other)
        await connections.ask(api.accept_request, request_id=sent.id, member_id=other)
    await connections.ask(api.send_request, requester_id="chen", addressee_id="ana")

    assert set(await connections.suggestions("ana")) == {"eve"}
    assert "ana" not in await connections.suggestions("ben")

    async def mutual_reason():  # the new connections reach the index within a second
        dan = (await connections.suggestions("ben")).get("dan")
        return dan and signals(dan).get("mutual_connections")

    assert await eventually(mutual_reason) == "1 mutual connection: Ana"

    for payload, status, field in [
        ({"member_id": "ana", "other_id": "ana"}, 409, "other_id"),
        ({"member_id": "ana", "other_id": "ben"}, 409, "other_id"),
        ({"member_id": "ana", "other_id": "nobody"}, 404, "other_id"),
        ({"member_id": "nobody", "other_id": "ana"}, 404, "member_id"),
    ]:
        with pytest.raises(RemoteProblem) as error:
            await connections.ask(api.dismiss_suggestion, **payload)
        assert (error.value.problem.status, error.value.problem.errors[0].field) == (
            status,
            field,
        )
    for limit in (0, 51):
        with pytest.raises(RemoteProblem) as error:
            await connections.ask(api.suggestions, member_id="ana", limit=limit)
        assert error.value.problem.status == 400
        assert error.value.problem.errors[0].field == "limit"


async def _suggested(service: Connections, member_id: str, *others: str) -> bool:
    """`member_id` is suggested all of `others` (but themselves)."""
    found = await service.suggestions(member_id)
    return set(others) - {member_id} <= set(found)


async def _not_known(service: Connections, member_id: str) -> bool:
    return not await service.known(member_id)


# --- personal data, from profiles ----------------------------------------------------------------


async def test_the_profile_text_comes_from_profiles_one_request_per_batch_of_facts(connections):
    connections.stop()  # the facts wait in the stream, as in a replay
    members = [f"m{n:02d}" for n in range(30)]
    for member_id in members:
        await register(connections, member_id, skills=["Rust"], goals=["learn rust"])
    connections.profiles.requests.clear()
    await connections.start()
    await registered(connections, *members)

    # one fetch took the 30 waiting facts: one request named them all
    (request,) = connections.profiles.requests
    assert sorted(request.member_ids) == members
    assert set(request.fields) == {
        "name",
        "headline",
        "keywords",
        "skills",
        "accomplishments",
        "goals",
    }
    m01 = await eventually(lambda: _suggestion(connections, "m00", "m01"))
    assert signals(m01)["fit"] == "their skills match your goal 'learn rust': Rust"
    assert await _copied(connections, "m01") == {"handle": "m01", "name": "M01"}


async def test_a_replayed_fact_of_an_erased_member_keeps_nothing_of_them(connections):
    # profiles no longer holds "gone", and their member.deleted has not arrived (yet)
    await connections.publish(MemberRegistered(member_id="gone", handle="gone"), at(1))
    await register(connections, "marker", minute=2)
    await registered(connections, "marker")

    assert not await connections.known("gone")
    assert await _copied(connections, "gone") is None
    assert [r.member_ids for r in connections.profiles.requests if "gone" in r.member_ids]


async def test_without_profiles_a_member_is_dead_lettered_never_kept_without_their_data(
    connections,
):
    await connections.profiles.stop()
    connections.profiles.hold("lost", skills=["Rust"])
    await connections.publish(MemberRegistered(member_id="lost", handle="lost"), at(1))

    dead = await eventually(lambda: _dead_letters(connections), timeout=30)
    assert dead[0].headers["Rapport-Original-Subject"] == "rapport.profiles.member.registered"
    assert "profiles" in dead[0].headers["Rapport-Error"]
    assert not await connections.known("lost")
    assert await _copied(connections, "lost") is None


async def _suggestion(service: Connections, member_id: str, other: str):
    return (await service.suggestions(member_id)).get(other)


async def _copied(service: Connections, member_id: str) -> dict | None:
    """The connections database's copy of a member: their handle and name, if any row."""
    engine = create_async_engine(service.database_url)
    try:
        async with engine.connect() as db:
            row = (
                await db.execute(
                    text("SELECT handle, name FROM members WHERE id = :id"), {"id": member_id}
                )
            ).first()
    finally:
        await engine.dispose()
    return None if row is None else {"handle": row.handle, "name": row.name}


async def _dead_letters(service: Connections) -> list:
    nc = await nats.connect(service.nats_url)
    try:
        js = nc.jetstream()
        subscription = await js.pull_subscribe(
            "rapport.deadletter.connections-members-v1", stream="DEADLETTER"
        )
        try:
            return await subscription.fetch(1, timeout=0.5)
        except TimeoutError:
            return []
        finally:
            await subscription.unsubscribe()
    finally:
        await nc.close()
