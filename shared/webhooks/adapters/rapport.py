"""Rapport's own webhook schema (docs/webhooks.md): `{"type", "timestamp", "data"}`.

Strict: unknown fields are refused, so that an integrator's typo is a 400 rather than a
silently ignored value.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.contracts.facts.events import EventFormat, EventKind
from shared.contracts.fields import Instant, PlainText
from shared.timezones import known_time_zone
from shared.webhooks.intents import AnswerRsvp, CheckIn, Intent, LogMeeting, UpsertEvent

from . import Adapter, PayloadInvalid, UnsupportedType

ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200), PlainText]
Email = Annotated[EmailStr, Field(max_length=254)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Delivery(_Strict):
    type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    timestamp: Instant | None = None
    data: dict[str, Any]


class EventUpserted(_Strict):
    external_id: ExternalId
    title: Annotated[
        str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), PlainText
    ]
    kind: EventKind
    format: EventFormat
    starts_at: Instant
    ends_at: Instant
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    venue: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True), PlainText] = ""
    status: Literal["scheduled", "cancelled"] = "scheduled"

    _zone = field_validator("timezone")(known_time_zone)

    @model_validator(mode="after")
    def _ends_after_start(self) -> EventUpserted:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    def intents(self) -> list[Intent]:
        return [
            UpsertEvent(
                external_id=self.external_id,
                title=self.title,
                kind=self.kind,
                format=self.format,
                starts_at=self.starts_at,
                ends_at=self.ends_at,
                timezone=self.timezone,
                venue=self.venue,
                cancelled=self.status == "cancelled",
            )
        ]


class RsvpUpdated(_Strict):
    event_external_id: ExternalId
    email: Email
    status: Literal["going", "maybe", "declined"]
    answered_at: Instant | None = None

    def intents(self) -> list[Intent]:
        return [AnswerRsvp(self.event_external_id, self.email, self.status, self.answered_at)]


class AttendeeCheckedIn(_Strict):
    event_external_id: ExternalId
    email: Email
    checked_in_at: Instant
    attendance: Literal["in_person", "online"] | None = None

    def intents(self) -> list[Intent]:
        return [CheckIn(self.event_external_id, self.email, self.checked_in_at, self.attendance)]


class MeetingLogged(_Strict):
    participant_emails: Annotated[list[Email], Field(min_length=2, max_length=12)]
    started_at: Instant
    ended_at: Instant | None = None
    event_external_id: ExternalId | None = None
    source: Literal["logged", "badge_scan", "calendar"] = "logged"
    external_id: ExternalId | None = None

    @field_validator("participant_emails")
    @classmethod
    def _distinct(cls, emails: list[str]) -> list[str]:
        if len({e.lower() for e in emails}) != len(emails):
            raise ValueError("a participant is listed twice")
        return emails

    @model_validator(mode="after")
    def _ends_after_start(self) -> MeetingLogged:
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at must not be before started_at")
        return self

    def intents(self) -> list[Intent]:
        return [
            LogMeeting(
                emails=tuple(self.participant_emails),
                started_at=self.started_at,
                ended_at=self.ended_at,
                event_external_id=self.event_external_id,
                source=self.source,
                external_id=self.external_id,
            )
        ]


class ContactExchanged(_Strict):
    """A badge scan: `scanner_email` scanned `scanned_email`'s badge: a meeting of two."""

    scanner_email: Email
    scanned_email: Email
    exchanged_at: Instant
    event_external_id: ExternalId | None = None
    external_id: ExternalId | None = None

    @model_validator(mode="after")
    def _two_people(self) -> ContactExchanged:
        if self.scanner_email.lower() == self.scanned_email.lower():
            raise ValueError("a contact is exchanged between two people")
        return self

    def intents(self) -> list[Intent]:
        return [
            LogMeeting(
                emails=(self.scanner_email, self.scanned_email),
                started_at=self.exchanged_at,
                event_external_id=self.event_external_id,
                source="badge_scan",
                external_id=self.external_id,
            )
        ]


SCHEMAS: dict[str, type[BaseModel]] = {
    "event.upserted": EventUpserted,
    "rsvp.updated": RsvpUpdated,
    "attendee.checked_in": AttendeeCheckedIn,
    "meeting.logged": MeetingLogged,
    "contact.exchanged": ContactExchanged,
}


def normalise(payload: Any) -> list[Intent]:
    try:
        delivery = Delivery.model_validate(payload)
    except ValidationError as error:
        raise PayloadInvalid.from_validation(error) from None
    schema = SCHEMAS.get(delivery.type)
    if schema is None:
        raise UnsupportedType(f"unsupported type {delivery.type!r}")
    try:
        return schema.model_validate(delivery.data).intents()
    except ValidationError as error:
        raise PayloadInvalid.from_validation(error, prefix="data") from None


ADAPTER = Adapter("rapport", tuple(SCHEMAS), normalise)
