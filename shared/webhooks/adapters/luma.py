"""Luma's guest webhooks: `guest.registered` and `guest.updated` (`{"type", "data"}`, where
`data` is the guest with its `event`).

A guest becomes: the event (created or brought up to date from `data.event`), an RSVP from
`approval_status`, and a check-in when a ticket has `checked_in_at` (in person) or, for an
online event, when the guest `joined_at` the meeting link (online). Luma sends many more
fields; they are ignored.
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

from shared.contracts.fields import Instant
from shared.timezones import known_time_zone
from shared.webhooks.intents import AnswerRsvp, CheckIn, Intent, UpsertEvent

from . import Adapter, PayloadInvalid, UnsupportedType

TYPES = ("guest.registered", "guest.updated")

# Luma's approval status -> Rapport's RSVP; `invited` is no answer yet.
RSVP = {
    "approved": "going",
    "session": "going",
    "pending_approval": "maybe",
    "waitlist": "maybe",
    "declined": "declined",
}
IN_PERSON_LOCATIONS = {"offline", "missing"}  # every other location type is a meeting link


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Delivery(_Tolerant):
    type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    data: dict[str, Any]


class Address(_Tolerant):
    full_address: str | None = None
    address: str | None = None


class LumaEvent(_Tolerant):
    id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    name: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    start_at: Instant
    end_at: Instant
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    location_type: str = "offline"
    geo_address_json: Address | None = None

    _zone = field_validator("timezone")(known_time_zone)

    @model_validator(mode="after")
    def _ends_after_start(self) -> LumaEvent:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self

    @property
    def format(self) -> str:
        return "in_person" if self.location_type in IN_PERSON_LOCATIONS else "online"

    @property
    def venue(self) -> str:
        address = self.geo_address_json
        text = (address.full_address or address.address or "") if address else ""
        return text[:200]


class Ticket(_Tolerant):
    checked_in_at: Instant | None = None


class Guest(_Tolerant):
    id: Annotated[str, StringConstraints(min_length=1)]
    user_email: Annotated[EmailStr, Field(max_length=254)]
    approval_status: Literal[
        "approved", "session", "pending_approval", "invited", "declined", "waitlist"
    ]
    checked_in_at: Instant | None = None  # older payloads carry it on the guest
    joined_at: Instant | None = None
    event_tickets: list[Ticket] = []
    event: LumaEvent

    def check_in(self) -> CheckIn | None:
        if self.event.format == "online":
            if self.joined_at is None:
                return None
            return CheckIn(self.event.id, self.user_email, self.joined_at, "online")
        times = [t.checked_in_at for t in self.event_tickets if t.checked_in_at]
        if self.checked_in_at:
            times.append(self.checked_in_at)
        if not times:
            return None
        return CheckIn(self.event.id, self.user_email, min(times), "in_person")

    def intents(self) -> list[Intent]:
        event = self.event
        intents: list[Intent] = [
            UpsertEvent(
                external_id=event.id,
                title=event.name[:200],
                kind=None,
                format=event.format,
                starts_at=event.start_at,
                ends_at=event.end_at,
                timezone=event.timezone,
                venue=event.venue,
            )
        ]
        status = RSVP.get(self.approval_status)
        if status is not None:
            # answered when Luma sent it: registered_at does not move when the status does
            intents.append(AnswerRsvp(event.id, self.user_email, status))
        check_in = self.check_in()
        if check_in is not None:
            intents.append(check_in)
        return intents


def normalise(payload: Any) -> list[Intent]:
    try:
        delivery = Delivery.model_validate(payload)
    except ValidationError as error:
        raise PayloadInvalid.from_validation(error) from None
    if delivery.type not in TYPES:
        raise UnsupportedType(f"unsupported type {delivery.type!r}")
    try:
        return Guest.model_validate(delivery.data).intents()
    except ValidationError as error:
        raise PayloadInvalid.from_validation(error, prefix="data") from None


ADAPTER = Adapter("luma", TYPES, normalise)
