"""What a webhook delivery asks of the events service, whatever platform sent it.

Adapters turn a platform's payload into these; the events service applies them. Events are
named by the platform's own id (`event_external_id`), attendees by email: the events
service resolves both (an email with no member yet is kept until that member registers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UpsertEvent:
    """Create the event with this external id, or bring it up to date."""

    external_id: str
    title: str
    kind: str | None  # None: the platform does not say (a new event is a meetup)
    format: str
    starts_at: datetime
    ends_at: datetime
    timezone: str = "UTC"
    venue: str = ""
    cancelled: bool = False


@dataclass(frozen=True)
class AnswerRsvp:
    event_external_id: str
    email: str
    status: str  # going, maybe, declined
    answered_at: datetime | None = None  # None: when the delivery was sent


@dataclass(frozen=True)
class CheckIn:
    event_external_id: str
    email: str
    checked_in_at: datetime
    attendance: str | None = None  # None: as the event's format says


@dataclass(frozen=True)
class LogMeeting:
    """An in-person meeting of 2 to 12 people, by email; a badge scan is a meeting of two."""

    emails: tuple[str, ...]
    started_at: datetime
    ended_at: datetime | None = None
    event_external_id: str | None = None
    source: str = "logged"
    external_id: str | None = None


Intent = UpsertEvent | AnswerRsvp | CheckIn | LogMeeting
