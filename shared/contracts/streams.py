"""JetStream streams and durable consumers: declared here, provisioned in one place.

Services bind to these with `declare=False`; `shared.messaging.provisioning` creates them.
A change to a consumer's delivery settings needs a new durable name (NATS ignores or
refuses changes to an existing durable), hence the `-v1` suffixes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .events import EVENT_TYPES
from .subjects import DEAD_LETTER_SUBJECTS, WEBHOOK_SUBJECTS, domain_subjects, event_subject


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_days: float | None = None  # None: history kept for replay
    # a setting (in days, its path: "webhook.retention_days") that overrides max_age_days:
    # a retention operators choose
    max_age_setting: str | None = None


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable consumer of event types (envelopes), or of raw `subjects` (messages that are
    not envelopes, such as webhook deliveries) when `event_types` is empty."""

    durable: str
    stream: str
    service: str
    event_types: tuple[str, ...]
    # fetched in batches of up to this many, each applied in one transaction with its inbox
    # rows (1: one message per transaction, through FastStream's subscriber)
    batch_size: int = 100
    subjects: tuple[str, ...] = ()

    @property
    def raw(self) -> bool:
        return not self.event_types

    @property
    def filter_subjects(self) -> list[str]:
        if self.raw:
            return list(self.subjects)
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
        "WEBHOOKS",
        (WEBHOOK_SUBJECTS,),
        "Raw signed webhook deliveries, stored by the gateway before it answers 202.",
        max_age_setting="webhook.retention_days",  # personal data: kept as long as needed
    ),
    StreamSpec(
        "DEADLETTER",
        (DEAD_LETTER_SUBJECTS,),
        "Messages a consumer could not handle, with the error in headers.",
        max_age_days=30,
    ),
)

AGGREGATOR_BATCH = 200

WEBHOOK_CONSUMER = "events-webhooks-v1"
# The consumer through which the events service reads the dead letters of WEBHOOK_CONSUMER
# (raw deliveries it could not handle) when it erases a member's deliveries: a named
# ephemeral consumer, so that the permissions can name it and its one filter subject.
WEBHOOK_DEAD_LETTER_READER = "events-webhook-erasure"

CONNECTION_EVENTS = tuple(t for t, cls in EVENT_TYPES.items() if cls.domain == "connections")

CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec(
        "connections-members-v1",
        "PROFILES",
        "connections",
        ("member.registered", "member.updated", "member.deleted"),
    ),
    # The aggregator reads everything it projects in batches (one transaction per batch).
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
        "aggregator-members-v2",
        "PROFILES",
        "aggregator",
        ("member.registered", "member.updated", "member.deleted"),
        batch_size=AGGREGATOR_BATCH,
    ),
    ConsumerSpec(
        "aggregator-connections-v2",
        "CONNECTIONS",
        "aggregator",
        CONNECTION_EVENTS,
        batch_size=AGGREGATOR_BATCH,
    ),
    ConsumerSpec(
        "aggregator-content-v1",
        "CONTENT",
        "aggregator",
        (
            "post.created",
            "post.edited",
            "comment.created",
            "reaction.set",
            "post.shared",
            "group.message_posted",
            "direct_message.sent",
        ),
        batch_size=AGGREGATOR_BATCH,
    ),
    ConsumerSpec(
        "aggregator-events-v1",
        "EVENTS",
        "aggregator",
        (
            "event.created",
            "event.updated",
            "event.cancelled",
            "rsvp.changed",
            "attendee.checked_in",
            "meeting.logged",
        ),
        batch_size=AGGREGATOR_BATCH,
    ),
    ConsumerSpec(
        "events-members-v1",
        "PROFILES",
        "events",
        ("member.registered", "member.updated", "member.deleted"),
    ),
    ConsumerSpec(WEBHOOK_CONSUMER, "WEBHOOKS", "events", (), subjects=(WEBHOOK_SUBJECTS,)),
    ConsumerSpec(
        "content-members-v1",
        "PROFILES",
        "content",
        ("member.registered", "member.updated", "member.deleted"),
    ),
    ConsumerSpec(
        "content-connections-v1",
        "CONNECTIONS",
        "content",
        (
            "connection.accepted",
            "connection.removed",
            "member.followed",
            "member.unfollowed",
            "member.blocked",
            "member.unblocked",
        ),
    ),
)


def stream_for_domain(domain: str) -> str:
    return domain.upper()


def consumers_of(service: str, partition: tuple[int, int] = (0, 1)) -> list[ConsumerSpec]:
    """The durables one instance of `service` reads. A partitioned service (the aggregator
    with N > 1 partitions) has durables of its own per partition: `<durable>-p<i>of<N>`."""
    index, count = partition
    specs = [c for c in CONSUMERS if c.service == service]
    if count <= 1:
        return specs
    return [replace(c, durable=f"{c.durable}-p{index}of{count}") for c in specs]


def all_consumers(aggregator_partitions: int = 1) -> list[ConsumerSpec]:
    """Every durable to provision."""
    specs = [c for c in CONSUMERS if c.service != "aggregator"]
    for index in range(max(1, aggregator_partitions)):
        specs += consumers_of("aggregator", (index, aggregator_partitions))
    return specs
