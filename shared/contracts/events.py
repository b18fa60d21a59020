"""The registry of event types: one pydantic model per type, in `facts/<domain>.py`.

Events are facts, named in the past tense. They name every member they concern so that
consumers never have to look anything up. `docs/events.md` is checked against this registry
by a test.
"""

from __future__ import annotations

from .envelope import Envelope, Event
from .facts import connections, content, events, profiles
from .facts.connections import *  # noqa: F403 - re-exported: one place to import events from
from .facts.content import *  # noqa: F403
from .facts.events import *  # noqa: F403
from .facts.profiles import *  # noqa: F403

EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls for module in (profiles, connections, content, events) for cls in module.EVENTS
}


class UnknownEventType(ValueError):
    pass


def parse_event(envelope: Envelope) -> Event:
    """The typed payload of an envelope; raises on an unknown type or a bad payload."""
    try:
        model = EVENT_TYPES[envelope.type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {envelope.type!r}") from None
    return model.model_validate(envelope.data)
