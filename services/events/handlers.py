"""The events service's command and query handlers, and its handlers of profile events:
load, apply the domain's rule, save, publish, reply."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.contracts.api.events import (
    AnswerRsvp,
    AttendanceView,
    Attendees,
    CancelEvent,
    CheckIn,
    CreateEvent,
    EventQuery,
    EventRef,
    Events,
    EventView,
    LogMeeting,
    MeetingRef,
    MeetingView,
    MemberMeetings,
    MemberRef,
    UpdateEvent,
)
from shared.contracts.api.profiles import PersonalFields
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import MemberDeleted, MemberProfile
from shared.copies import Version
from shared.cursors import Cursors
from shared.db import UnitOfWork
from shared.errors import Conflict, Invalid, NotFound

from .domain import (
    Attendance,
    Gathering,
    Meeting,
    Participant,
    check_not_ahead,
    new_meeting,
    normalise_email,
)
from .listings import listing_scope, read_position
from .store import Attendances, Gatherings, Meetings, Members


@dataclass(frozen=True)
class Policy:
    """The service's configurable numbers."""

    future_tolerance: timedelta = timedelta(minutes=5)


def now() -> datetime:
    return datetime.now(UTC)


async def publish_all(uow: UnitOfWork, events: list[Event]) -> None:
    for event in events:
        await uow.publish(event)


async def require_member(uow: UnitOfWork, member_id: str, field: str) -> None:
    if await Members(uow.session).active(member_id) is None:
        raise NotFound(f"no member with id {member_id}", field=field)


async def require_gathering(uow: UnitOfWork, event_id: str, field: str = "event_id") -> Gathering:
    gathering = await Gatherings(uow.session).get(event_id)
    if gathering is None:
        raise NotFound(f"no event with id {event_id}", field=field)
    return gathering


def attendance_view(attendance: Attendance) -> AttendanceView:
    return AttendanceView(
        event_id=attendance.event_id,
        member_id=attendance.member_id,
        rsvp=attendance.rsvp,
        rsvp_at=attendance.rsvp_at,
        checked_in_at=attendance.checked_in_at,
        attendance=attendance.attendance,
    )


def event_view(gathering: Gathering) -> EventView:
    return EventView.model_validate(gathering.view())


def meeting_view(meeting: Meeting) -> MeetingView:
    return MeetingView.model_validate(meeting.view())


# --- events (gatherings) ------------------------------------------------------------------


async def add_gathering(uow: UnitOfWork, gathering: Gathering) -> list[Event]:
    """Store a new gathering; its external references must be free."""
    events = gathering.created()
    gatherings = Gatherings(uow.session)
    for source, external_id in gathering.external_refs:
        if await gatherings.owner_of_ref(source, external_id) is not None:
            raise Conflict(
                f"the external reference {source}/{external_id} belongs to another event",
                field="external_refs",
            )
    await gatherings.add(gathering, created_at=now())
    return events


async def create_event(command: CreateEvent, uow: UnitOfWork) -> EventView:
    """Create an event; publishes event.created."""
    if command.organiser_id is not None:
        await require_member(uow, command.organiser_id, "organiser_id")
    refs = [(ref.source, ref.external_id) for ref in command.external_refs]
    if len(set(refs)) != len(refs):
        raise Invalid("an external reference is listed twice", field="external_refs")
    gathering = Gathering(
        id=str(uuid.uuid4()),
        **command.model_dump(exclude={"external_refs"}),
        external_refs=refs,
    )
    await publish_all(uow, await add_gathering(uow, gathering))
    await uow.commit()
    return event_view(gathering)


async def update_event(command: UpdateEvent, uow: UnitOfWork) -> EventView:
    """Change some of an event's fields; publishes event.updated when a fact changed."""
    gathering = await require_gathering(uow, command.event_id)
    gathering.require_organiser(command.actor_id)
    changes = command.changes.model_dump(exclude_unset=True)
    # null means "unchanged", except for the organiser (null removes them)
    changes = {k: v for k, v in changes.items() if v is not None or k == "organiser_id"}
    if changes.get("organiser_id") is not None:
        await require_member(uow, changes["organiser_id"], "organiser_id")
    events = gathering.change(changes)
    await Gatherings(uow.session).save(gathering)
    await publish_all(uow, events)
    await uow.commit()
    return event_view(gathering)


async def cancel_event(command: CancelEvent, uow: UnitOfWork) -> EventView:
    """Cancel an event; publishes event.cancelled (once)."""
    gathering = await require_gathering(uow, command.event_id)
    gathering.require_organiser(command.actor_id)
    events = gathering.cancel(now())
    await Gatherings(uow.session).save(gathering)
    await publish_all(uow, events)
    await uow.commit()
    return event_view(gathering)


async def get_event(query: EventRef, uow: UnitOfWork) -> EventView:
    """An event."""
    return event_view(await require_gathering(uow, query.event_id))


def list_events_handler(cursors: Cursors):
    async def list_events(query: EventQuery, uow: UnitOfWork) -> Events:
        """Upcoming and ongoing events, in start order, a page at a time."""
        scope = listing_scope("events", query.starts_from, query.starts_before, query.format)
        page = await Gatherings(uow.session).upcoming(
            ending_after=query.starts_from or now(),
            starting_before=query.starts_before,
            format=query.format,
            after=read_position(cursors, query.cursor, scope, "ts"),
            limit=query.limit + 1,
        )
        more = len(page) > query.limit
        page = page[: query.limit]
        last = [page[-1].starts_at.isoformat(), page[-1].id] if more else None
        return Events(
            items=[event_view(g) for g in page],
            next_cursor=cursors.issue(scope, last) if last else None,
        )

    return list_events


async def list_attendees(query: EventRef, uow: UnitOfWork) -> Attendees:
    """An event's attendees who are members, with their RSVP and check-in; how many are
    not yet matched to a member."""
    await require_gathering(uow, query.event_id)
    attendances = Attendances(uow.session)
    return Attendees(
        event_id=query.event_id,
        items=[attendance_view(a) for a in await attendances.members_of(query.event_id)],
        pending_attendees=await attendances.pending_count(query.event_id),
    )


# --- RSVPs and check-ins --------------------------------------------------------------------


async def answer_rsvp(command: AnswerRsvp, uow: UnitOfWork) -> AttendanceView:
    """A member answers going, maybe or declined; publishes rsvp.changed when it changed."""
    gathering = await require_gathering(uow, command.event_id)
    await require_member(uow, command.member_id, "member_id")
    attendances = Attendances(uow.session)
    attendance = await attendances.of_member(gathering.id, command.member_id)
    events = attendance.answer(gathering, command.status, now())
    await attendances.save(attendance)
    await publish_all(uow, events)
    await uow.commit()
    return attendance_view(attendance)


def check_in_handler(policy: Policy):
    async def check_in(command: CheckIn, uow: UnitOfWork) -> AttendanceView:
        """A member checks in to an event; publishes attendee.checked_in."""
        at = command.checked_in_at or now()
        check_not_ahead(at, now(), policy.future_tolerance, field="checked_in_at")
        gathering = await require_gathering(uow, command.event_id)
        await require_member(uow, command.member_id, "member_id")
        attendances = Attendances(uow.session)
        attendance = await attendances.of_member(gathering.id, command.member_id)
        events = attendance.check_in(gathering, at, command.attendance)
        await attendances.save(attendance)
        await publish_all(uow, events)
        await uow.commit()
        return attendance_view(attendance)

    return check_in


# --- meetings -------------------------------------------------------------------------------


def log_meeting_handler(policy: Policy):
    async def log_meeting(command: LogMeeting, uow: UnitOfWork) -> MeetingView:
        """Log an in-person meeting of 2 to 12 members; publishes meeting.logged."""
        meeting = new_meeting(
            meeting_id=str(uuid.uuid4()),
            participants=[Participant(member_id=m) for m in command.participant_ids],
            started_at=command.started_at,
            ended_at=command.ended_at,
            gathering=None,
            source=command.source,
            now=now(),
            tolerance=policy.future_tolerance,
        )
        for member_id in command.participant_ids:
            await require_member(uow, member_id, "participant_ids")
        if command.event_id is not None:
            gathering = await require_gathering(uow, command.event_id)
            gathering.require_open()
            meeting.event_id = gathering.id
        events = meeting.publishable()
        await Meetings(uow.session).add(meeting)
        await publish_all(uow, events)
        await uow.commit()
        return meeting_view(meeting)

    return log_meeting


async def get_meeting(query: MeetingRef, uow: UnitOfWork) -> MeetingView:
    """A meeting."""
    meeting = await Meetings(uow.session).get(query.meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting with id {query.meeting_id}", field="meeting_id")
    return meeting_view(meeting)


async def list_member_meetings(query: MemberRef, uow: UnitOfWork) -> MemberMeetings:
    """A member's in-person meetings, latest first (at most 200)."""
    await require_member(uow, query.member_id, "member_id")
    meetings = await Meetings(uow.session).of_member(query.member_id, limit=200)
    return MemberMeetings(member_id=query.member_id, items=[meeting_view(m) for m in meetings])


# --- events from profiles -------------------------------------------------------------------


async def match_member(uow: UnitOfWork, member_id: str, email: str) -> list[Event]:
    """What was recorded under this email now belongs to the member: publish it."""
    events: list[Event] = []
    attendances = Attendances(uow.session)
    for pending in await attendances.pending_for(email):
        attendance = await attendances.of_member(pending.event_id, member_id)
        events += attendance.absorb(pending)
        await attendances.drop_pending(pending.event_id, email)
        await attendances.save(attendance)
    meetings = Meetings(uow.session)
    for meeting_id in await meetings.waiting_for(email):
        meeting = await meetings.get(meeting_id)
        assert meeting is not None
        for participant in meeting.participants:
            if participant.member_id is None and participant.email == email:
                participant.member_id, participant.email = member_id, None
        events += meeting.publishable()
        await meetings.save(meeting)
    return events


# what the events service asks profiles for: attendees are matched to members by email
PERSONAL_FIELDS = ("email",)


async def on_member_profile(
    event: MemberProfile, envelope: Envelope, personal: PersonalFields, uow: UnitOfWork
) -> None:
    """Keep the member's current email (from profiles: member facts carry none) and give
    them what was recorded under it."""
    assert personal.email is not None  # asked for (PERSONAL_FIELDS), so answered
    email = normalise_email(personal.email)
    version = Version.of(envelope)
    if await Members(uow.session).upsert(event.member_id, email=email, version=version):
        await publish_all(uow, await match_member(uow, event.member_id, email))


async def on_member_deleted(event: MemberDeleted, envelope: Envelope, uow: UnitOfWork) -> None:
    """Erasure: the member's RSVPs, check-ins and meeting participations go; a meeting left
    with fewer than two participants goes too."""
    uow.after_erasure()
    await Members(uow.session).forget(event.member_id, version=Version.of(envelope))
    await Attendances(uow.session).erase_member(event.member_id)
    await Meetings(uow.session).erase_member(event.member_id)
    await Gatherings(uow.session).forget_organiser(event.member_id)
