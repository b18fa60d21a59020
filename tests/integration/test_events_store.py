"""The events service's handlers and store against both databases.

One winner in every race: RSVPs and check-ins fired concurrently at one attendee of one
event. Every refused transition is a conflict (409 at the edge), and the facts published tell
one consistent story: each names as previous what the one before it set, and the last is what
the service holds. Never two facts for one change.

Two participants of a waiting meeting registering at once: the meeting is published once,
with both (PostgreSQL interleaves them; SQLite serialises them).

The copy of members (shared.copies): the newest fact wins whatever the order of arrival, the
event id breaking ties, and an erasure is never undone by an older fact."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.events import handlers
from services.events.app import NAME
from services.events.domain import Meeting, Participant
from services.events.store import Base, Meetings, Members
from shared.contracts.api.events import (
    AnswerRsvp,
    CancelEvent,
    CheckIn,
    CreateEvent,
    EventChanges,
    EventRef,
    UpdateEvent,
)
from shared.contracts.api.profiles import PersonalFields
from shared.contracts.envelope import Envelope
from shared.contracts.events import MemberDeleted, MemberRegistered, MemberUpdated
from shared.copies import Version
from shared.engines import create_schema
from shared.errors import Conflict
from shared.service import ServiceRuntime
from tests.support import test_settings

NOW = datetime.now(UTC)
MEMBER = "member-racing"
ROUNDS, RACERS = 6, 8
STATUSES = ("going", "maybe", "declined")


@pytest.fixture
async def runtime(database_factory) -> AsyncIterator[ServiceRuntime]:
    settings = test_settings(
        "nats://127.0.0.1:1", events={"database_url": await database_factory(NAME)}
    )
    runtime = ServiceRuntime(NAME, Base.metadata, settings)
    await create_schema(runtime.engine, runtime.metadata)
    async with runtime.unit_of_work() as uow:
        version = Version(NOW - timedelta(days=1), "registered")
        await Members(uow.session).upsert(MEMBER, email="racer@example.org", version=version)
        await uow.commit()
    yield runtime
    await runtime.engine.dispose()


async def new_event(runtime: ServiceRuntime, format: str = "in_person") -> str:
    """An event MEMBER organises."""
    async with runtime.unit_of_work() as uow:
        event = await handlers.create_event(
            CreateEvent(
                title="Race day",
                kind="meetup",
                format=format,
                starts_at=NOW - timedelta(hours=1),
                ends_at=NOW + timedelta(hours=2),
                organiser_id=MEMBER,
            ),
            uow,
        )
    return event.event_id


async def attempt(runtime: ServiceRuntime, handler, command) -> str:
    """Run one command in its own transaction, as one RPC does: 'won' or 'conflict'."""
    try:
        async with runtime.unit_of_work() as uow:
            await handler(command, uow)
    except (Conflict, IntegrityError):  # the RPC endpoint answers both with 409
        return "conflict"
    return "won"


async def facts(runtime: ServiceRuntime, event_type: str) -> list[dict]:
    async with runtime.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(runtime.outbox.c.payload).order_by(runtime.outbox.c.seq)
        )
        envelopes = [json.loads(payload) for (payload,) in rows]
    return [e["data"] for e in envelopes if e["type"] == event_type]


@pytest.mark.parametrize("seed", [1, 2])
async def test_racing_rsvps_have_one_winner_per_change_and_tell_one_story(
    runtime: ServiceRuntime, seed: int
):
    event_id = await new_event(runtime)
    rng = random.Random(seed)
    outcomes: list[str] = []
    for _ in range(ROUNDS):
        answers = [
            AnswerRsvp(event_id=event_id, member_id=MEMBER, status=rng.choice(STATUSES))
            for _ in range(RACERS)
        ]
        outcomes += await asyncio.gather(
            *(attempt(runtime, handlers.answer_rsvp, a) for a in answers)
        )

    assert set(outcomes) <= {"won", "conflict"} and "won" in outcomes
    changes = await facts(runtime, "rsvp.changed")
    assert changes, "the first answer is a change"
    previous = None
    for change in changes:
        assert change["previous_status"] == previous, changes
        assert change["status"] != previous
        previous = change["status"]
    async with runtime.unit_of_work() as uow:
        listing = await handlers.list_attendees(EventRef(event_id=event_id), uow)
    (held,) = listing.items
    assert held.rsvp == previous


async def test_racing_check_ins_publish_one_fact_per_change_of_attendance(
    runtime: ServiceRuntime,
):
    event_id = await new_event(runtime, format="hybrid")
    rng = random.Random(3)
    outcomes: list[str] = []
    for _ in range(ROUNDS):
        check_ins = [
            CheckIn(
                event_id=event_id,
                member_id=MEMBER,
                attendance=rng.choice(("in_person", "online")),
                checked_in_at=NOW - timedelta(minutes=rng.randint(0, 30)),
            )
            for _ in range(RACERS)
        ]
        check_in = handlers.check_in_handler(handlers.Policy())
        outcomes += await asyncio.gather(*(attempt(runtime, check_in, c) for c in check_ins))

    assert set(outcomes) <= {"won", "conflict"} and "won" in outcomes
    checked_in = await facts(runtime, "attendee.checked_in")
    # each fact is a change of how the member attends: never the same twice in a row
    attendances = [fact["attendance"] for fact in checked_in]
    assert all(a != b for a, b in itertools.pairwise(attendances)), attendances
    async with runtime.unit_of_work() as uow:
        listing = await handlers.list_attendees(EventRef(event_id=event_id), uow)
    (held,) = listing.items
    assert held.attendance == attendances[-1]
    # the earliest check-in time stays: no fact moves it later
    times = [datetime.fromisoformat(fact["checked_in_at"]) for fact in checked_in]
    assert all(a >= b for a, b in itertools.pairwise(times)), times
    assert held.checked_in_at == times[-1]


async def test_an_update_racing_a_cancellation_never_brings_the_event_back(
    runtime: ServiceRuntime,
):
    cancelled_ids = set()
    for round_ in range(ROUNDS):
        event_id = await new_event(runtime)
        update = UpdateEvent(
            event_id=event_id, actor_id=MEMBER, changes=EventChanges(title=f"Renamed {round_}")
        )
        cancel = CancelEvent(event_id=event_id, actor_id=MEMBER)
        first, _, second = await asyncio.gather(
            attempt(runtime, handlers.cancel_event, cancel),
            attempt(runtime, handlers.update_event, update),
            attempt(runtime, handlers.cancel_event, cancel),
        )
        async with runtime.unit_of_work() as uow:
            event = await handlers.get_event(EventRef(event_id=event_id), uow)
        # a cancellation that was answered with success is never undone by the update
        assert (event.status == "cancelled") == ("won" in (first, second))
        if event.status == "cancelled":
            cancelled_ids.add(event_id)
    cancelled = [fact["event_id"] for fact in await facts(runtime, "event.cancelled")]
    assert sorted(cancelled) == sorted(cancelled_ids)  # one fact per cancelled event


# --- the copy of members --------------------------------------------------------------------


def profile_fact(cls, email: str, at: datetime, event_id: str):
    """A member fact, and the email profiles gave with it."""
    fields = dict(member_id="member-copied", handle="copied")
    event = cls(**fields, **({"changed": ["email"]} if cls is MemberUpdated else {}))
    envelope = Envelope.wrap(event, source="/rapport/profiles", time=at)
    personal = PersonalFields(member_id="member-copied", email=email)
    return event, envelope.model_copy(update={"id": event_id}), personal


async def email_held(runtime: ServiceRuntime, email: str) -> str | None:
    async with runtime.unit_of_work() as uow:
        return await Members(uow.session).by_email(email)


@pytest.mark.parametrize("order", ["in-order", "reversed"])
async def test_the_newest_profile_fact_wins_whatever_the_order_and_ties_go_to_the_event_id(
    runtime: ServiceRuntime, order: str
):
    at = NOW - timedelta(hours=1)
    facts_ = [
        profile_fact(MemberRegistered, "first@example.org", at, "a-registered"),
        profile_fact(MemberUpdated, "tied-low@example.org", at + timedelta(minutes=1), "b-low"),
        profile_fact(MemberUpdated, "tied-high@example.org", at + timedelta(minutes=1), "c-high"),
    ]
    for event, envelope, personal in facts_ if order == "in-order" else reversed(facts_):
        async with runtime.unit_of_work() as uow:
            await handlers.on_member_profile(event, envelope, personal, uow)
            await uow.commit()
    assert await email_held(runtime, "tied-high@example.org") == "member-copied"
    assert await email_held(runtime, "tied-low@example.org") is None
    assert await email_held(runtime, "first@example.org") is None


async def test_an_erased_member_stays_erased_when_an_older_update_arrives_late(
    runtime: ServiceRuntime,
):
    at = NOW - timedelta(hours=1)
    erased = MemberDeleted(member_id="member-copied")
    erasure = Envelope.wrap(erased, source="/rapport/profiles", time=at + timedelta(minutes=5))
    late, late_envelope, personal = profile_fact(MemberUpdated, "late@example.org", at, "late")
    async with runtime.unit_of_work() as uow:
        await handlers.on_member_deleted(erased, erasure, uow)
        await handlers.on_member_profile(late, late_envelope, personal, uow)
        await uow.commit()
    async with runtime.unit_of_work() as uow:
        assert await Members(uow.session).active("member-copied") is None
    assert await email_held(runtime, "late@example.org") is None


async def until_it_holds(runtime: ServiceRuntime, handler, event, envelope, *given) -> None:
    """Handle a fact as the consumer does: a transaction that lost a race is redelivered.
    `given`: what the handler takes besides the fact (the personal fields profiles gave)."""
    while True:
        try:
            async with runtime.unit_of_work() as uow:
                await handler(event, envelope, *given, uow)
                await uow.commit()
            return
        except (Conflict, IntegrityError):
            continue


async def test_two_participants_registering_at_once_publish_their_meeting_exactly_once(
    runtime: ServiceRuntime,
):
    for round_ in range(ROUNDS):
        emails = [f"first-{round_}@example.org", f"second-{round_}@example.org"]
        meeting = Meeting(
            id=f"meeting-{round_}",
            participants=[Participant(email=email) for email in emails],
            started_at=NOW - timedelta(hours=1),
        )
        async with runtime.unit_of_work() as uow:
            await Meetings(uow.session).add(meeting)
            await uow.commit()
        registrations = []
        for i, email in enumerate(emails):
            member_id = f"joiner-{round_}-{i}"
            event = MemberRegistered(member_id=member_id, handle=f"joiner{round_}{i}")
            personal = PersonalFields(member_id=member_id, email=email)
            registrations.append(
                (event, Envelope.wrap(event, source="/rapport/profiles"), personal)
            )
        await asyncio.gather(
            *(
                until_it_holds(runtime, handlers.on_member_profile, event, envelope, personal)
                for event, envelope, personal in registrations
            )
        )
    logged = await facts(runtime, "meeting.logged")
    assert sorted(fact["meeting_id"] for fact in logged) == [f"meeting-{r}" for r in range(ROUNDS)]
    assert all(len(fact["participant_ids"]) == 2 for fact in logged)
