"""Rapport's own Prometheus metrics, beside FastStream's middleware metrics.

Each service is its own process, so the default registry is that service's registry.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_BACKLOG = Gauge(
    "rapport_outbox_backlog", "Outbox rows not yet published to JetStream.", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "rapport_outbox_published_total", "Events the outbox relay published.", ["service"]
)
EVENTS_HANDLED = Counter(
    "rapport_events_handled_total",
    "Events a consumer applied.",
    ["service", "consumer", "type"],
)
DUPLICATES_SKIPPED = Counter(
    "rapport_duplicate_deliveries_skipped_total",
    "Deliveries of an event already handled (redelivery, replay or duplicate publish).",
    ["service", "consumer"],
)
HANDLER_FAILURES = Counter(
    "rapport_event_handler_failures_total",
    "Failed attempts at handling an event (each is retried until dead-lettered).",
    ["service", "consumer"],
)
DEAD_LETTERED = Counter(
    "rapport_dead_lettered_total",
    "Messages sent to the dead-letter stream.",
    ["service", "consumer"],
)
RPC_HANDLED = Counter(
    "rapport_rpc_requests_total",
    "Commands and queries answered, by outcome.",
    ["service", "operation", "outcome"],
)
HTTP_REQUESTS = Counter(
    "rapport_http_requests_total",
    "HTTP requests by route and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "rapport_http_request_duration_seconds",
    "HTTP request latency by route.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WEBHOOK_DELIVERIES = Counter(
    "rapport_webhook_deliveries_total",
    "Webhook deliveries by source and outcome. The gateway counts accepted, duplicate, "
    "bad_signature, stale, too_large, rate_limited, invalid and unavailable; the events "
    "service counts normalised, failed and duplicate (a redelivery after the JetStream "
    "duplicate window).",
    ["source", "outcome"],
)
WEBHOOK_DELIVERIES_FORGOTTEN = Counter(
    "rapport_webhook_deliveries_forgotten_total",
    "Webhook delivery records the events service deleted, by reason: retention (received "
    "longer ago than RAPPORT_WEBHOOK_RETENTION_DAYS) or erasure (naming an erased member).",
    ["reason"],
)
WEBHOOK_INGESTION_LATENCY = Histogram(
    "rapport_webhook_ingestion_seconds",
    "From the gateway receiving a webhook delivery to the events service normalising it.",
    ["source"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
SUGGESTION_INDEX_SIZE = Gauge(
    "rapport_suggestion_index_size",
    "What the connections service's in-memory suggestion index holds, by kind.",
    ["kind"],
)
SUGGESTION_INDEX_CHANGES = Counter(
    "rapport_suggestion_index_changes_applied_total",
    "Change-feed rows the suggestion index applied.",
)
