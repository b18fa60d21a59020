"""The events service's API: events (gatherings), RSVPs, check-ins, in-person meetings and
webhook deliveries.

Field limits are part of the API and documented in docs/api.md. Every time a request carries
is an `Instant` (or a `QueryInstant` in a query): within 1970..2100, else 422 naming it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, StringConstraints, WithJsonSchema

from ..facts.events import EventFormat, EventKind
from ..fields import Instant, MemberId, PlainText, QueryInstant
from ..operations import (
    AMONG,
    ANYONE_SIGNED_IN,
    OPERATOR,
    SELF,
    Answer,
    Request,
    operation,
    ping_operation,
)

SERVICE = "events"

Title = Annotated[
    str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), PlainText
]
Venue = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True), PlainText]
TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64), PlainText]
RsvpStatus = Literal["going", "maybe", "declined"]
Attendance = Literal["in_person", "online"]
MeetingSource = Literal["logged", "badge_scan", "calendar"]
DeliveryStatus = Literal["failed", "normalised"]
SourceName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200), PlainText]
Cursor = Annotated[str, StringConstraints(max_length=1024)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]

# A time in a reply, written as the API always wrote it (ISO 8601 with its offset, `+00:00`
# rather than `Z`), so that clients see no change.
Moment = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]

LIMITS = {
    "title": "1-200 characters, no control, bidirectional or zero-width characters",
    "venue": "at most 200 characters, one line",
    "timezone": "an IANA time zone name",
    "external_refs": "at most 10, each a source and an external id of 1-200 characters",
    "starts_at, ends_at, started_at, ended_at, checked_in_at, from, to": (
        "a time with its offset (queries: none means UTC), between 1970 and 2100; "
        "check-ins and meetings at most RAPPORT_MEETING_FUTURE_TOLERANCE ahead"
    ),
    "participant_ids": "2 to 12 distinct members",
}


# --- requests -------------------------------------------------------------------------------


class ExternalRef(Request):
    """The event's id on another platform; unique per (source, external_id)."""

    source: SourceName
    external_id: ExternalId


class NewEvent(Request):
    """POST /v1/events: the caller organises it."""

    title: Title
    kind: EventKind
    format: EventFormat
    starts_at: Instant
    ends_at: Instant
    timezone: TimeZone = "UTC"
    venue: Venue = ""
    external_refs: Annotated[list[ExternalRef], Field(max_length=10)] = []


class CreateEvent(NewEvent):
    organiser_id: MemberId | None = None


class EventChanges(Request):
    """A partial update: only the fields present change. Same limits as creation."""

    title: Title | None = None
    kind: EventKind | None = None
    format: EventFormat | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    timezone: TimeZone | None = None
    venue: Venue | None = None
    organiser_id: MemberId | None = None


class UpdateEvent(Request):
    event_id: Id
    actor_id: MemberId  # the caller: only the organiser changes an event
    changes: EventChanges


class CancelEvent(Request):
    event_id: Id
    actor_id: MemberId  # the caller: only the organiser cancels an event


class EventRef(Request):
    event_id: Id


class EventQuery(Request):
    """Upcoming (and ongoing) events: those ending after `starts_from` (now by default),
    starting before `starts_before`, in start order."""

    starts_from: QueryInstant | None = None
    starts_before: QueryInstant | None = None
    format: EventFormat | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: Cursor | None = None


class RsvpAnswer(Request):
    status: RsvpStatus


class AnswerRsvp(RsvpAnswer):
    event_id: Id
    member_id: MemberId


class CheckInDetails(Request):
    """Both optional: attendance follows the event's format (in person for a hybrid event)
    and the check-in time is now."""

    attendance: Attendance | None = None
    checked_in_at: Instant | None = None


class CheckIn(CheckInDetails):
    event_id: Id
    member_id: MemberId


class LogMeeting(Request):
    participant_ids: Annotated[list[MemberId], Field(min_length=2, max_length=12)]
    started_at: Instant
    ended_at: Instant | None = None
    event_id: Id | None = None
    source: MeetingSource = "logged"


class MeetingRef(Request):
    meeting_id: Id


class MemberRef(Request):
    member_id: MemberId


class DeliveryQuery(Request):
    status: DeliveryStatus = "failed"
    source: SourceName | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: Cursor | None = None


class DeliveryRef(Request):
    delivery_id: Id


# --- replies --------------------------------------------------------------------------------


class ExternalRefView(Answer):
    source: str
    external_id: str


class EventView(Answer):
    event_id: str
    title: str
    kind: EventKind
    format: EventFormat
    starts_at: Moment
    ends_at: Moment
    timezone: str
    organiser_id: str | None
    venue: str
    external_refs: list[ExternalRefView]
    status: Literal["scheduled", "cancelled"]
    cancelled_at: Moment | None


class Events(Answer):
    items: list[EventView]
    next_cursor: str | None


class AttendanceView(Answer):
    event_id: str
    member_id: str
    rsvp: RsvpStatus | None
    rsvp_at: Moment | None
    checked_in_at: Moment | None
    attendance: Attendance | None


class Attendees(Answer):
    event_id: str
    items: list[AttendanceView]
    pending_attendees: int


class MeetingView(Answer):
    meeting_id: str
    participant_ids: list[str]
    pending_participants: int
    started_at: Moment
    ended_at: Moment | None
    duration_minutes: float | None
    event_id: str | None
    source: MeetingSource
    status: Literal["logged", "pending"]


class MemberMeetings(Answer):
    member_id: str
    items: list[MeetingView]


class DeliveryView(Answer):
    delivery_id: str
    source: str
    webhook_id: str
    adapter: str
    status: DeliveryStatus
    reason: str | None
    sent_at: Moment
    received_at: Moment
    handled_at: Moment | None
    attempts: int


class Deliveries(Answer):
    items: list[DeliveryView]
    next_cursor: str | None


class WebhookReceipt(Answer):
    """The answer to a webhook delivery: stored now, or stored before (same webhook-id)."""

    webhook_id: str
    status: Literal["accepted", "duplicate"]


# --- operations -----------------------------------------------------------------------------

ping = ping_operation(SERVICE)
create_event = operation(
    SERVICE,
    "create_event",
    CreateEvent,
    EventView,
    "Create an event",
    errors=(404, 409),
    idempotent=True,
    access=SELF("organiser_id"),
)
update_event = operation(
    SERVICE,
    "update_event",
    UpdateEvent,
    EventView,
    "Change some of an event's fields (its organiser only)",
    errors=(403, 404, 409),
    access=SELF("actor_id"),
)
cancel_event = operation(
    SERVICE,
    "cancel_event",
    CancelEvent,
    EventView,
    "Cancel an event (its organiser only)",
    errors=(403, 404, 409),
    access=SELF("actor_id"),
)
get_event = operation(
    SERVICE, "get_event", EventRef, EventView, "An event", errors=(404,), access=ANYONE_SIGNED_IN
)
list_events = operation(
    SERVICE,
    "list_events",
    EventQuery,
    Events,
    "Upcoming and ongoing events, in start order",
    access=ANYONE_SIGNED_IN,
)
list_attendees = operation(
    SERVICE,
    "list_attendees",
    EventRef,
    Attendees,
    "An event's attendees who are members, with their RSVP and check-in",
    errors=(404,),
    access=ANYONE_SIGNED_IN,
)
answer_rsvp = operation(
    SERVICE,
    "answer_rsvp",
    AnswerRsvp,
    AttendanceView,
    "A member answers going, maybe or declined",
    errors=(404, 409),
    access=SELF(),
)
check_in = operation(
    SERVICE,
    "check_in",
    CheckIn,
    AttendanceView,
    "A member checks in to an event",
    errors=(404, 409),
    access=SELF(),
)
log_meeting = operation(
    SERVICE,
    "log_meeting",
    LogMeeting,
    MeetingView,
    "Log an in-person meeting of 2 to 12 members (a fact about the past)",
    errors=(404, 409),
    idempotent=True,
    access=AMONG("participant_ids"),
)
get_meeting = operation(
    SERVICE,
    "get_meeting",
    MeetingRef,
    MeetingView,
    "A meeting",
    errors=(404,),
    access=ANYONE_SIGNED_IN,
)
list_member_meetings = operation(
    SERVICE,
    "list_member_meetings",
    MemberRef,
    MemberMeetings,
    "A member's in-person meetings, latest first (at most 200)",
    errors=(404,),
    access=SELF(),
)
list_deliveries = operation(
    SERVICE,
    "list_deliveries",
    DeliveryQuery,
    Deliveries,
    "Webhook deliveries by status, failed ones with their reason",
    access=OPERATOR,
)
replay_delivery = operation(
    SERVICE,
    "replay_delivery",
    DeliveryRef,
    DeliveryView,
    "Normalise a failed delivery again, after a fix",
    errors=(404, 409),
    access=OPERATOR,
)
