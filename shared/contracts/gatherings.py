"""Commands and queries of the events service: events (gatherings), RSVPs, check-ins,
in-person meetings and webhook deliveries. Field limits are documented in docs/api.md."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.contracts.commands import MemberId
from shared.contracts.facts.events import EventFormat, EventKind

Title = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Venue = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)]
TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
RsvpStatus = Literal["going", "maybe", "declined"]
Attendance = Literal["in_person", "online"]
MeetingSource = Literal["logged", "badge_scan", "calendar"]
SourceName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Cursor = Annotated[str, StringConstraints(max_length=200)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExternalRef(_Command):
    """The event's id on another platform; unique per (source, external_id)."""

    source: SourceName
    external_id: ExternalId


class CreateEvent(_Command):
    title: Title
    kind: EventKind
    format: EventFormat
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: TimeZone = "UTC"
    venue: Venue = ""
    organiser_id: MemberId | None = None
    external_refs: Annotated[list[ExternalRef], Field(max_length=10)] = []


class EventChanges(_Command):
    """A partial update: only the fields present change. Same limits as creation."""

    title: Title | None = None
    kind: EventKind | None = None
    format: EventFormat | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    timezone: TimeZone | None = None
    venue: Venue | None = None
    organiser_id: MemberId | None = None


class UpdateEvent(_Command):
    event_id: MemberId
    changes: EventChanges


class EventRef(_Command):
    event_id: MemberId


class EventQuery(_Command):
    """Upcoming (and ongoing) events: those ending after `starts_from`, starting before
    `starts_before`, in start order."""

    starts_from: AwareDatetime | None = None
    starts_before: AwareDatetime | None = None
    format: EventFormat | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: Cursor | None = None


class AnswerRsvp(_Command):
    event_id: MemberId
    member_id: MemberId
    status: RsvpStatus


class CheckIn(_Command):
    """`attendance` defaults to the event's format (in person for a hybrid event);
    `checked_in_at` to now."""

    event_id: MemberId
    member_id: MemberId
    attendance: Attendance | None = None
    checked_in_at: AwareDatetime | None = None


class LogMeeting(_Command):
    participant_ids: Annotated[list[MemberId], Field(min_length=2, max_length=12)]
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    event_id: MemberId | None = None
    source: MeetingSource = "logged"


class MeetingRef(_Command):
    meeting_id: MemberId


class DeliveryQuery(_Command):
    status: Literal["failed", "normalised"] = "failed"
    source: SourceName | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: Cursor | None = None


class DeliveryRef(_Command):
    delivery_id: MemberId
