"""The aggregator's own Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

INTERACTIONS_APPLIED = Counter(
    "rapport_interactions_applied_total",
    "Interactions applied to the projection, by kind and channel.",
    ["kind", "channel"],
)
FRESHNESS = Histogram(
    "rapport_aggregator_freshness_seconds",
    "From an event's time to its application in the projection.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
)
CONSUMER_LAG = Gauge(
    "rapport_consumer_lag_messages",
    "Messages a durable consumer has not yet received.",
    ["durable"],
)
PAIRS_BY_STATUS = Gauge(
    "rapport_pairs_by_status",
    "Pairs of members by relationship status",
    ["status"],
)
MEMBERS_BY_BALANCE = Gauge(
    "rapport_members_by_balance_status",
    "Members by online/offline balance status",
    ["status"],
)
ISOLATED_MEMBERS = Gauge(
    "rapport_isolated_members",
    "Active members with no steady-or-better relationship",
)
