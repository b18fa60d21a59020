"""JetStream streams and durable consumers: declared here, provisioned in one place.

Services bind to these with `declare=False`; `shared.messaging.provisioning` creates them.
A change to a consumer's delivery settings needs a new durable name (NATS ignores or
refuses changes to an existing durable), hence the `-v1` suffixes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .events import EVENT_TYPES
from .subjects import DEAD_LETTER_SUBJECTS, domain_subjects, event_subject


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_days: float | None = None  # None: history kept for replay


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: str
    service: str
    event_types: tuple[str, ...]

    @property
    def filter_subjects(self) -> list[str]:
        return [event_subject(EVENT_TYPES[t]) for t in self.event_types]


DOMAINS = ("profiles", "connections", "content", "events")

STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("PROFILES", (domain_subjects("profiles"),), "Facts about members' profiles."),
    StreamSpec("CONNECTIONS", (domain_subjects("connections"),), "Requests, follows, blocks."),
    StreamSpec(
        "CONTENT", (domain_subjects("content"),), "Posts, comments, reactions, groups, messages."
    ),
    StreamSpec(
        "EVENTS", (domain_subjects("events"),), "Events, RSVPs, check-ins, in-person meetings."
    ),
    StreamSpec(
        "DEADLETTER",
        (DEAD_LETTER_SUBJECTS,),
        "Messages a consumer could not handle, with the error in headers.",
        max_age_days=30,
    ),
)

CONNECTION_EVENTS = tuple(t for t, cls in EVENT_TYPES.items() if cls.domain == "connections")

CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec(
        "connections-members-v1",
        "PROFILES",
        "connections",
        ("member.registered", "member.updated", "member.deleted"),
    ),
    ConsumerSpec(
        "connections-groups-v1",
        "CONTENT",
        "connections",
        ("group.created", "group.member_joined", "group.member_left"),
    ),
    ConsumerSpec(
        "connections-events-v1",
        "EVENTS",
        "connections",
        (
            "event.created",
            "event.updated",
            "event.cancelled",
            "rsvp.changed",
            "attendee.checked_in",
        ),
    ),
    ConsumerSpec(
        "aggregator-members-v1",
        "PROFILES",
        "aggregator",
        ("member.registered", "member.deleted"),
    ),
    ConsumerSpec("aggregator-connections-v1", "CONNECTIONS", "aggregator", CONNECTION_EVENTS),
)


def stream_for_domain(domain: str) -> str:
    return domain.upper()


def consumers_of(service: str) -> list[ConsumerSpec]:
    return [c for c in CONSUMERS if c.service == service]
