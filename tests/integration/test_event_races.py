"""One winner in every race: RSVPs and check-ins fired concurrently at one attendee of one
event, against both databases. Every refused transition is a conflict (409 at the edge), and
the facts published tell one consistent story: each names as previous what the one before it
set, and the last is what the service holds. Never two facts for one change."""

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
from services.events.store import Base, Members
from shared.contracts.api.events import (
    AnswerRsvp,
    CheckIn,
    CreateEvent,
    EventChanges,
    EventRef,
    UpdateEvent,
)
from shared.copies import Version
from shared.db import create_schema
from shared.errors import Conflict
from shared.service import ServiceRuntime
from tests.support import test_settings

NOW = datetime.now(UTC)
MEMBER = "member-racing"
ROUNDS, RACERS = 6, 8
STATUSES = ("going", "maybe", "declined")


@pytest.fixture
async def runtime(database_factory) -> AsyncIterator[ServiceRuntime]:
    settings = test_settings("nats://127.0.0.1:1", events_database_url=await database_factory(NAME))
    runtime = ServiceRuntime(NAME, Base.metadata, settings)
    await create_schema(runtime.engine, runtime.metadata)
    async with runtime.unit_of_work() as uow:
        version = Version(NOW - timedelta(days=1), "registered")
        await Members(uow.session).upsert(MEMBER, email="racer@example.org", version=version)
        await uow.commit()
    yield runtime
    await runtime.engine.dispose()


async def new_event(runtime: ServiceRuntime, format: str = "in_person") -> str:
    async with runtime.unit_of_work() as uow:
        event = await handlers.create_event(
            CreateEvent(
                title="Race day",
                kind="meetup",
                format=format,
                starts_at=NOW - timedelta(hours=1),
                ends_at=NOW + timedelta(hours=2),
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
        update = UpdateEvent(event_id=event_id, changes=EventChanges(title=f"Renamed {round_}"))
        first, _, second = await asyncio.gather(
            attempt(runtime, handlers.cancel_event, EventRef(event_id=event_id)),
            attempt(runtime, handlers.update_event, update),
            attempt(runtime, handlers.cancel_event, EventRef(event_id=event_id)),
        )
        async with runtime.unit_of_work() as uow:
            event = await handlers.get_event(EventRef(event_id=event_id), uow)
        # a cancellation that was answered with success is never undone by the update
        assert (event.status == "cancelled") == ("won" in (first, second))
        if event.status == "cancelled":
            cancelled_ids.add(event_id)
    cancelled = [fact["event_id"] for fact in await facts(runtime, "event.cancelled")]
    assert sorted(cancelled) == sorted(cancelled_ids)  # one fact per cancelled event
