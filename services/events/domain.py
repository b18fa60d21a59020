"""Events (here *gatherings*, to keep the word "event" for facts), RSVPs, check-ins and
in-person meetings: the rules. Pure Python, no I/O.

Attendees are members, or people known only by email until a member with that email
registers: what they did is kept, and its facts are published once they are matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.contracts.envelope import Event
from shared.contracts.events import (
    AttendeeCheckedIn,
    EventCancelled,
    EventCreated,
    EventUpdated,
    MeetingLogged,
    RsvpChanged,
)
from shared.errors import Conflict, Forbidden, Invalid
from shared.timezones import known_time_zone

MIN_PARTICIPANTS, MAX_PARTICIPANTS = 2, 12
DETAIL_FIELDS = ("title", "kind", "format", "starts_at", "ends_at", "timezone", "organiser_id")
EDITABLE_FIELDS = (*DETAIL_FIELDS, "venue")


class ChangedMeanwhile(Conflict):
    """A concurrent change to the same attendance or event committed first: of two racing
    transitions exactly one wins, the other is refused (and may be tried again)."""

    def __init__(self, what: str, field: str) -> None:
        super().__init__(f"this {what} changed meanwhile; try again", field=field)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_schedule(starts_at: datetime, ends_at: datetime, timezone: str) -> None:
    if ends_at <= starts_at:
        raise Invalid("ends_at must be after starts_at", field="ends_at")
    try:
        known_time_zone(timezone)
    except ValueError as error:
        raise Invalid(str(error), field="timezone") from None


def check_not_ahead(moment: datetime, now: datetime, tolerance: timedelta, *, field: str) -> None:
    """Check-ins and meetings are facts about the past (give or take clock skew)."""
    if moment > now + tolerance:
        minutes = tolerance.total_seconds() / 60
        raise Invalid(f"{field} is more than {minutes:g} minutes in the future", field=field)


@dataclass
class Gathering:
    id: str
    title: str
    kind: str
    format: str
    starts_at: datetime
    ends_at: datetime
    timezone: str = "UTC"
    venue: str = ""
    organiser_id: str | None = None
    external_refs: list[tuple[str, str]] = field(default_factory=list)
    cancelled_at: datetime | None = None
    version: int = 0  # of the stored row: a save succeeds only on the version it loaded

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def details(self) -> dict:
        """The fields event.created and event.updated carry."""
        return {"event_id": self.id} | {name: getattr(self, name) for name in DETAIL_FIELDS}

    def view(self) -> dict:
        return {
            **self.details(),
            "venue": self.venue,
            "external_refs": [
                {"source": source, "external_id": external_id}
                for source, external_id in self.external_refs
            ],
            "status": "cancelled" if self.cancelled else "scheduled",
            "cancelled_at": self.cancelled_at,
        }

    def created(self) -> list[Event]:
        check_schedule(self.starts_at, self.ends_at, self.timezone)
        return [EventCreated(**self.details())]

    def require_open(self, field: str = "event_id") -> None:
        if self.cancelled:
            raise Conflict("this event was cancelled", field=field)

    def require_organiser(self, member_id: str) -> None:
        """Only the organiser changes or cancels an event through the API; an event with no
        organiser is kept by the platform that sent it (its webhooks)."""
        if self.organiser_id != member_id:
            who = "its organiser" if self.organiser_id else "the platform it came from"
            raise Forbidden(f"only {who} can change this event", field="event_id")

    def change(self, changes: dict) -> list[Event]:
        """Apply a partial update; event.updated names the fields that really changed."""
        self.require_open()
        changed = [
            name
            for name, value in changes.items()
            if name in EDITABLE_FIELDS and getattr(self, name) != value
        ]
        if not changed:
            return []
        starts_at = changes.get("starts_at", self.starts_at)
        ends_at = changes.get("ends_at", self.ends_at)
        check_schedule(starts_at, ends_at, changes.get("timezone", self.timezone))
        for name in changed:
            setattr(self, name, changes[name])
        if not set(changed) & set(DETAIL_FIELDS):
            return []  # the venue is not part of the facts
        return [EventUpdated(**self.details(), changed=changed)]

    def cancel(self, now: datetime) -> list[Event]:
        if self.cancelled:
            return []  # cancelling twice changes nothing
        self.cancelled_at = now
        return [EventCancelled(event_id=self.id)]

    def attendance_for(self, requested: str | None) -> str:
        """How a check-in attends: as the format says; a hybrid event either way."""
        if self.format == "hybrid":
            return requested or "in_person"
        if requested is not None and requested != self.format:
            raise Invalid(
                f"a{'n online' if self.format == 'online' else 'n in-person'} event is "
                f"attended {self.format.replace('_', ' ')}",
                field="attendance",
            )
        return self.format


@dataclass
class Attendance:
    """One attendee's RSVP and check-in at one event. `member_id` is None while the
    attendee is known only by `email`."""

    event_id: str
    member_id: str | None = None
    email: str | None = None
    row_id: int | None = None  # where it is stored, once it is
    rsvp: str | None = None
    rsvp_at: datetime | None = None
    checked_in_at: datetime | None = None
    attendance: str | None = None
    version: int = 0  # of the stored row: a save succeeds only on the version it loaded

    @property
    def matched(self) -> bool:
        return self.member_id is not None

    def answer(self, gathering: Gathering, status: str, at: datetime) -> list[Event]:
        gathering.require_open()
        if self.rsvp_at is not None and at < self.rsvp_at:
            return []  # an older answer arriving late
        previous, self.rsvp_at = self.rsvp, at
        if previous == status:
            return []
        self.rsvp = status
        return [self._rsvp_changed(previous)] if self.matched else []

    def check_in(self, gathering: Gathering, at: datetime, requested: str | None) -> list[Event]:
        """One check-in per attendee and event; checking in again may change how they
        attend (a hybrid event), and keeps the first time."""
        gathering.require_open()
        attendance = gathering.attendance_for(requested)
        if self.checked_in_at is not None and self.attendance == attendance:
            return []
        self.checked_in_at = min(at, self.checked_in_at) if self.checked_in_at else at
        self.attendance = attendance
        return [self._checked_in()] if self.matched else []

    def match(self, member_id: str) -> list[Event]:
        """The attendee turns out to be a member: publish what they did."""
        self.member_id, self.email = member_id, None
        return self._facts(previous_rsvp=None)

    def absorb(self, pending: Attendance) -> list[Event]:
        """Merge what was recorded under the member's email into the member's attendance:
        the later RSVP wins, the earlier check-in stays."""
        events: list[Event] = []
        if pending.rsvp is not None and (
            self.rsvp_at is None or (pending.rsvp_at and pending.rsvp_at > self.rsvp_at)
        ):
            previous = self.rsvp
            self.rsvp_at = pending.rsvp_at
            if pending.rsvp != previous:
                self.rsvp = pending.rsvp
                events.append(self._rsvp_changed(previous))
        if pending.checked_in_at is not None and self.checked_in_at is None:
            self.checked_in_at, self.attendance = pending.checked_in_at, pending.attendance
            events.append(self._checked_in())
        return events

    def _facts(self, previous_rsvp: str | None) -> list[Event]:
        events: list[Event] = []
        if self.rsvp is not None:
            events.append(self._rsvp_changed(previous_rsvp))
        if self.checked_in_at is not None:
            events.append(self._checked_in())
        return events

    def _rsvp_changed(self, previous: str | None) -> RsvpChanged:
        assert self.member_id is not None and self.rsvp is not None
        return RsvpChanged(
            event_id=self.event_id,
            member_id=self.member_id,
            status=self.rsvp,
            previous_status=previous,
        )

    def _checked_in(self) -> AttendeeCheckedIn:
        assert self.member_id is not None and self.checked_in_at is not None
        return AttendeeCheckedIn(
            event_id=self.event_id,
            member_id=self.member_id,
            attendance=self.attendance,
            checked_in_at=self.checked_in_at,
        )


@dataclass
class Participant:
    member_id: str | None = None
    email: str | None = None


@dataclass
class Meeting:
    """An in-person meeting. It is published (meeting.logged) once every participant is a
    member; until then it waits for them to register."""

    id: str
    participants: list[Participant]
    started_at: datetime
    ended_at: datetime | None = None
    event_id: str | None = None
    source: str = "logged"
    logged: bool = False
    version: int = 0  # of the stored row: a save succeeds only on the version it loaded

    @property
    def duration_minutes(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds() / 60

    @property
    def member_ids(self) -> list[str]:
        return [p.member_id for p in self.participants if p.member_id is not None]

    def publishable(self) -> list[Event]:
        """meeting.logged, once, when every participant is a member."""
        if self.logged or len(self.member_ids) != len(self.participants):
            return []
        self.logged = True
        return [
            MeetingLogged(
                meeting_id=self.id,
                participant_ids=self.member_ids,
                started_at=self.started_at,
                ended_at=self.ended_at,
                duration_minutes=self.duration_minutes,
                event_id=self.event_id,
                source=self.source,
            )
        ]

    def view(self) -> dict:
        return {
            "meeting_id": self.id,
            "participant_ids": self.member_ids,
            "pending_participants": len(self.participants) - len(self.member_ids),
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_minutes": self.duration_minutes,
            "event_id": self.event_id,
            "source": self.source,
            "status": "logged" if self.logged else "pending",
        }


def new_meeting(
    *,
    meeting_id: str,
    participants: list[Participant],
    started_at: datetime,
    ended_at: datetime | None,
    gathering: Gathering | None,
    source: str,
    now: datetime,
    tolerance: timedelta,
) -> Meeting:
    keys = [p.member_id or p.email for p in participants]
    if not MIN_PARTICIPANTS <= len(keys) <= MAX_PARTICIPANTS:
        raise Invalid(
            f"a meeting has {MIN_PARTICIPANTS} to {MAX_PARTICIPANTS} participants",
            field="participant_ids",
        )
    if len(set(keys)) != len(keys):
        raise Invalid("a participant is listed twice", field="participant_ids")
    check_not_ahead(started_at, now, tolerance, field="started_at")
    if ended_at is not None:
        if ended_at < started_at:
            raise Invalid("ended_at must not be before started_at", field="ended_at")
        check_not_ahead(ended_at, now, tolerance, field="ended_at")
    if gathering is not None:
        gathering.require_open()
    return Meeting(
        id=meeting_id,
        participants=participants,
        started_at=started_at,
        ended_at=ended_at,
        event_id=gathering.id if gathering else None,
        source=source,
    )
