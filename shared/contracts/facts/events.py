"""Facts published by the events service (stream EVENTS): gatherings, RSVPs, check-ins and
in-person meetings. They name every member concerned and carry no free text but the event's
title."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from shared.contracts.envelope import Event

Id = str
EventKind = Literal["conference", "meetup", "workshop", "social"]
EventFormat = Literal["in_person", "online", "hybrid"]


class _GatheringEvent(Event):
    domain = "events"


class _EventDetails(_GatheringEvent):
    event_id: Id
    title: str
    kind: EventKind
    format: EventFormat
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: str = "UTC"
    organiser_id: Id | None = None

    def entity(self) -> str:
        return self.event_id


class EventCreated(_EventDetails):
    """An event (conference, meetup, workshop, social) was created; carries its details."""

    type = "event.created"


class EventUpdated(_EventDetails):
    """An event changed; carries its whole current details and the changed fields."""

    type = "event.updated"

    changed: list[str] = Field(default_factory=list)


class EventCancelled(_GatheringEvent):
    """An event was cancelled."""

    type = "event.cancelled"

    event_id: Id

    def entity(self) -> str:
        return self.event_id


class RsvpChanged(_GatheringEvent):
    """A member answered (or changed their answer to) an event's invitation."""

    type = "rsvp.changed"

    event_id: Id
    member_id: Id
    status: Literal["going", "maybe", "declined"]
    previous_status: Literal["going", "maybe", "declined"] | None = None

    def entity(self) -> str:
        return self.event_id


class AttendeeCheckedIn(_GatheringEvent):
    """A member checked in to an event, in person or online."""

    type = "attendee.checked_in"

    event_id: Id
    member_id: Id
    attendance: Literal["in_person", "online"]
    checked_in_at: AwareDatetime

    def entity(self) -> str:
        return self.event_id


class MeetingLogged(_GatheringEvent):
    """An in-person meeting of 2 to 12 members happened (logged, badge scan or calendar)."""

    type = "meeting.logged"

    meeting_id: Id
    participant_ids: list[Id] = Field(min_length=2, max_length=12)
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    duration_minutes: float | None = Field(None, ge=0)
    event_id: Id | None = None
    source: Literal["logged", "badge_scan", "calendar"] = "logged"

    def entity(self) -> str:
        return self.meeting_id


EVENTS: tuple[type[Event], ...] = (
    EventCreated,
    EventUpdated,
    EventCancelled,
    RsvpChanged,
    AttendeeCheckedIn,
    MeetingLogged,
)

__all__ = [cls.__name__ for cls in EVENTS]
