"""Why a readable fact must not be applied: a source that does not own its subject, or
moments too far ahead of its arrival."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nats.aio.msg import Msg

from shared.contracts.envelope import Envelope, Event
from shared.contracts.subjects import event_subject
from shared.settings import Settings


def source_of(subject: str) -> str:
    """The envelope `source` of the service that owns a fact's subject: rapport.<domain>.*"""
    return f"/rapport/{subject.split('.')[1]}"


def refusal(raw: Msg, envelope: Envelope, event: Event, settings: Settings) -> str | None:
    """Why a readable fact must not be applied, or None. The bus's permissions already keep
    a service off another's subjects; this keeps a fact's own claims consistent with them."""
    owner = source_of(raw.subject)
    if envelope.source != owner or source_of(event_subject(event)) != owner:
        return f"source {envelope.source} of {envelope.type} does not own {raw.subject}"
    arrival = raw.metadata.timestamp or datetime.now(UTC)
    latest = arrival + timedelta(seconds=settings.meeting_future_tolerance)
    for name, moment in (
        ("time", envelope.time),
        *((field_name, getattr(event, field_name, None)) for field_name in FUTURE_CHECKED_FIELDS),
    ):
        if isinstance(moment, datetime) and moment > latest:
            return (
                f"{name} {moment.isoformat()} of {envelope.type} is more than "
                f"{settings.meeting_future_tolerance:g}s ahead of its arrival {arrival.isoformat()}"
            )
    return None


# An event's own moments (a meeting's) that must not lie in the future either; an event's
# schedule (starts_at, ends_at) may.
FUTURE_CHECKED_FIELDS = ("started_at", "ended_at")
