"""Writes Rapport's Grafana dashboards (deploy/grafana/dashboards/*.json) from one description.

    python deploy/grafana/dashboards.py

Every panel has a title, a unit and a description; every expression charts only metrics
the code exports (tests/e2e/test_dashboards.py evaluates each one against a live
Prometheus scraping a running system). `$service` and `$instance` are the dashboards'
variables (the `service` label comes from deploy/prometheus/prometheus.yml).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
DATASOURCE = {"type": "prometheus", "uid": "rapport-prometheus"}
SEL = 'service=~"$service", instance=~"$instance"'
RATE = "$__rate_interval"


@dataclass
class Panel:
    title: str
    unit: str
    description: str
    targets: list[tuple[str, str]]  # (expression, legend)
    kind: str = "timeseries"
    width: int = 12
    height: int = 8
    extra: dict = field(default_factory=dict)


@dataclass
class Row:
    title: str
    panels: list[Panel]


def q(expr: str, legend: str = "") -> tuple[str, str]:
    return expr, legend


OVERVIEW = [
    Row(
        "API (gateway)",
        [
            Panel(
                "Request rate by route",
                "reqps",
                "HTTP requests per second the gateway answers, by route template and method.",
                [
                    q(
                        "sum by (route, method) "
                        f"(rate(rapport_http_requests_total{{{SEL}}}[{RATE}]))",
                        "{{method}} {{route}}",
                    )
                ],
            ),
            Panel(
                "Server error ratio by route",
                "percentunit",
                "Share of requests answered 5xx (503: a service did not answer in time; 500: "
                "a failure). Alert: RapportHighErrorRatio.",
                [
                    q(
                        "sum by (route) (rate(rapport_http_requests_total"
                        f'{{{SEL}, status=~"5.."}}[{RATE}])) / sum by (route) '
                        f"(rate(rapport_http_requests_total{{{SEL}}}[{RATE}]))",
                        "{{route}}",
                    )
                ],
            ),
            Panel(
                "Client errors by status",
                "reqps",
                "Requests refused with a 4xx problem, by status: rising 401/422 often means a "
                "client release or an integrator sending bad input.",
                [
                    q(
                        "sum by (status) (rate(rapport_http_requests_total"
                        f'{{{SEL}, status=~"4.."}}[{RATE}]))',
                        "{{status}}",
                    )
                ],
            ),
            Panel(
                "p95 latency by route",
                "s",
                "95th percentile of the time the gateway takes to answer, by route (the "
                "service's work, NATS round trip and the gateway's own). Alert: "
                "RapportSlowRequests.",
                [
                    q(
                        "histogram_quantile(0.95, sum by (le, route) (rate("
                        f"rapport_http_request_duration_seconds_bucket{{{SEL}}}[{RATE}])))",
                        "{{route}}",
                    )
                ],
            ),
        ],
    ),
    Row(
        "Services",
        [
            Panel(
                "Processes up",
                "none",
                "1 when Prometheus scraped the process's /metrics, 0 when it could not. "
                "Alert: RapportServiceDown.",
                [q(f"up{{{SEL}}}", "{{service}} {{instance}}")],
                kind="stat",
                width=24,
                height=4,
            ),
            Panel(
                "Commands and queries by outcome",
                "reqps",
                "Operations each service answered over NATS request/reply, by outcome (ok, "
                "invalid, conflict, not_found..., error).",
                [
                    q(
                        "sum by (service, outcome) (rate(rapport_rpc_requests_total"
                        f"{{{SEL}}}[{RATE}]))",
                        "{{service}} {{outcome}}",
                    )
                ],
            ),
            Panel(
                "Operation failures by service",
                "percentunit",
                "Share of a service's operations that failed with an internal error (answered "
                "500 and logged).",
                [
                    q(
                        "sum by (service) (rate(rapport_rpc_requests_total"
                        f'{{{SEL}, outcome="error"}}[{RATE}])) / sum by (service) '
                        f"(rate(rapport_rpc_requests_total{{{SEL}}}[{RATE}]))",
                        "{{service}}",
                    )
                ],
            ),
            Panel(
                "Messages handled by status",
                "ops",
                "Messages (RPC and events) FastStream handled per second, by service and "
                "status (acked, nacked, rejected, error).",
                [
                    q(
                        "sum by (service, status) (rate("
                        f"faststream_received_processed_messages_total{{{SEL}}}[{RATE}]))",
                        "{{service}} {{status}}",
                    )
                ],
            ),
            Panel(
                "p95 message handling time by service",
                "s",
                "95th percentile of the time a service spends on one message.",
                [
                    q(
                        "histogram_quantile(0.95, sum by (le, service) (rate("
                        "faststream_received_processed_messages_duration_seconds_bucket"
                        f"{{{SEL}}}[{RATE}])))",
                        "{{service}}",
                    )
                ],
            ),
        ],
    ),
    Row(
        "NATS and JetStream",
        [
            Panel(
                "nats-servers up",
                "none",
                "1 when a nats-server's monitoring /healthz (JetStream included) answers ok, "
                "as the gateway sees it (RAPPORT_NATS_MONITOR_URLS). Alert: RapportNatsServerDown.",
                [q("max by (server) (rapport_nats_server_up)", "{{server}}")],
                kind="stat",
                width=8,
                height=5,
            ),
            Panel(
                "Gateway connected to NATS and JetStream",
                "none",
                "1 while the gateway's NATS connection is up, and while the JetStream API "
                "answers it.",
                [
                    q(f"min(rapport_nats_connected{{{SEL}}})", "connected"),
                    q(f"min(rapport_jetstream_api_up{{{SEL}}})", "JetStream API"),
                ],
                kind="stat",
                width=8,
                height=5,
            ),
            Panel(
                "JetStream storage used",
                "percentunit",
                "File storage each nats-server's JetStream uses, as a share of its limit "
                "(max_file_store). Alert: RapportJetStreamStorageNearLimit.",
                [
                    q(
                        "max by (server) (rapport_nats_server_jetstream_storage_bytes) / max "
                        "by (server) (rapport_nats_server_jetstream_max_storage_bytes)",
                        "{{server}}",
                    )
                ],
                kind="stat",
                width=8,
                height=5,
            ),
            Panel(
                "Stream size",
                "bytes",
                "Bytes each stream holds (limits retention: history is kept for replay).",
                [q("max by (stream) (rapport_jetstream_stream_bytes)", "{{stream}}")],
            ),
            Panel(
                "Stream replicas current",
                "percentunit",
                "Share of a stream's configured replicas that are current (the leader and "
                "caught-up followers). Below 1: a node is down or catching up. Alert: "
                "RapportStreamUnderReplicated.",
                [
                    q(
                        "min by (stream) (rapport_jetstream_stream_replicas_current) / max by "
                        "(stream) (rapport_jetstream_stream_replicas)",
                        "{{stream}}",
                    )
                ],
            ),
        ],
    ),
    Row(
        "Consumers, outboxes and dead letters",
        [
            Panel(
                "Consumer lag",
                "short",
                "Messages of its stream each durable consumer has not yet been delivered. "
                "Alert: RapportConsumerLagGrowing.",
                [
                    q(
                        "max by (durable) (rapport_jetstream_consumer_pending_messages)",
                        "{{durable}}",
                    )
                ],
            ),
            Panel(
                "Unacknowledged and redelivered",
                "short",
                "Messages delivered and not yet acknowledged, and those delivered more than "
                "once (retries in progress).",
                [
                    q(
                        "sum by (durable) (rapport_jetstream_consumer_ack_pending_messages)",
                        "{{durable}} unacked",
                    ),
                    q(
                        "sum by (durable) (rapport_jetstream_consumer_redelivered_messages)",
                        "{{durable}} redelivered",
                    ),
                ],
            ),
            Panel(
                "Events handled",
                "ops",
                "Events each service's consumers applied per second.",
                [
                    q(
                        "sum by (service, consumer) (rate(rapport_events_handled_total"
                        f"{{{SEL}}}[{RATE}]))",
                        "{{consumer}}",
                    )
                ],
            ),
            Panel(
                "Outbox backlog",
                "short",
                "Facts committed but not yet published to JetStream, per service. Growing: "
                "the relay cannot publish. Alert: RapportOutboxBacklog.",
                [q(f"max by (service) (rapport_outbox_backlog{{{SEL}}})", "{{service}}")],
            ),
            Panel(
                "Facts published",
                "ops",
                "Facts the outbox relays published to JetStream per second, per service.",
                [
                    q(
                        f"sum by (service) (rate(rapport_outbox_published_total{{{SEL}}}[{RATE}]))",
                        "{{service}}",
                    )
                ],
            ),
            Panel(
                "Dead letters",
                "short",
                "Messages given up on and sent to the DEADLETTER stream, over the dashboard's "
                "time range, by consumer. Alert: RapportDeadLetters.",
                [
                    q(
                        "sum by (consumer) (increase(rapport_dead_lettered_total"
                        f"{{{SEL}}}[$__range]))",
                        "{{consumer}}",
                    )
                ],
                kind="bargauge",
            ),
        ],
    ),
    Row(
        "Webhooks",
        [
            Panel(
                "Deliveries at the gateway",
                "reqps",
                "Webhook deliveries the gateway answered, by source and outcome (accepted, "
                "duplicate, bad_signature, stale, too_large, rate_limited, invalid, "
                "unavailable).",
                [
                    q(
                        "sum by (source, outcome) (rate(rapport_webhook_deliveries_total"
                        f'{{service="gateway", instance=~"$instance"}}[{RATE}]))',
                        "{{source}} {{outcome}}",
                    )
                ],
            ),
            Panel(
                "Ingestion outcomes",
                "ops",
                "Deliveries the events service ingested, by source and outcome (normalised, "
                "failed, duplicate). Alert: RapportWebhookFailures.",
                [
                    q(
                        "sum by (source, outcome) (rate(rapport_webhook_deliveries_total"
                        f'{{service="events", instance=~"$instance"}}[{RATE}]))',
                        "{{source}} {{outcome}}",
                    )
                ],
            ),
            Panel(
                "p95 ingestion lag by source",
                "s",
                "95th percentile of the time from the gateway receiving a delivery to the "
                "events service normalising it.",
                [
                    q(
                        "histogram_quantile(0.95, sum by (le, source) (rate("
                        f"rapport_webhook_ingestion_seconds_bucket{{{SEL}}}[{RATE}])))",
                        "{{source}}",
                    )
                ],
            ),
        ],
    ),
    Row(
        "Aggregator",
        [
            Panel(
                "Freshness p95",
                "s",
                "95th percentile of the time from an event happening to its interaction being "
                "in the relationship projection. Alert: RapportAggregatorStale.",
                [
                    q(
                        "histogram_quantile(0.95, sum by (le) (rate("
                        f"rapport_aggregator_freshness_seconds_bucket{{{SEL}}}[{RATE}])))",
                        "p95",
                    )
                ],
            ),
            Panel(
                "Interactions applied",
                "ops",
                "Interactions applied to the projection per second, by kind and channel.",
                [
                    q(
                        "sum by (kind, channel) (rate(rapport_interactions_applied_total"
                        f"{{{SEL}}}[{RATE}]))",
                        "{{channel}} {{kind}}",
                    )
                ],
            ),
        ],
    ),
]

PEOPLE = [
    Row(
        "Relationships",
        [
            Panel(
                "Pairs by status",
                "none",
                "Pairs of members by relationship health status (thriving, steady, fading, "
                "dormant); blocked pairs are not counted. Every aggregator instance reads the "
                "same projection, so their figures agree (max, not sum).",
                [
                    q(
                        f"max by (status) (rapport_pairs_by_status{{{SEL}}})",
                        "{{status}}",
                    )
                ],
                kind="bargauge",
            ),
            Panel(
                "Pairs by status over time",
                "none",
                "How the network's relationships move between statuses.",
                [
                    q(
                        f"max by (status) (rapport_pairs_by_status{{{SEL}}})",
                        "{{status}}",
                    )
                ],
            ),
            Panel(
                "Isolated members",
                "none",
                "Active members with no steady-or-better relationship: the people to invite to "
                "an event or introduce (every aggregator instance reads the same projection).",
                [q(f"max(rapport_isolated_members{{{SEL}}})", "isolated")],
                kind="stat",
                width=6,
            ),
            Panel(
                "Share of members isolated",
                "percentunit",
                "Isolated members as a share of all active members.",
                [
                    q(
                        f"max(rapport_isolated_members{{{SEL}}}) / max(sum by (instance) "
                        f"(rapport_members_by_balance_status{{{SEL}}}))",
                        "isolated share",
                    )
                ],
                kind="stat",
                width=6,
            ),
        ],
    ),
    Row(
        "Online and offline balance",
        [
            Panel(
                "Members by balance status",
                "none",
                "Members by online/offline networking balance: online_heavy (offline share "
                "below 25%), balanced, offline_heavy (above 75%), inactive.",
                [
                    q(
                        f"max by (status) (rapport_members_by_balance_status{{{SEL}}})",
                        "{{status}}",
                    )
                ],
                kind="bargauge",
            ),
            Panel(
                "Weekly interactions, online and offline",
                "none",
                "Interactions applied over the trailing 7 days, by channel: the weekly "
                "online/offline trend.",
                [
                    q(
                        "sum by (channel) (increase(rapport_interactions_applied_total"
                        f"{{{SEL}}}[7d]))",
                        "{{channel}}",
                    )
                ],
            ),
            Panel(
                "Weekly offline share",
                "percentunit",
                "Offline interactions as a share of all interactions over the trailing 7 days.",
                [
                    q(
                        "sum(increase(rapport_interactions_applied_total"
                        f'{{{SEL}, channel="offline"}}[7d])) / '
                        f"sum(increase(rapport_interactions_applied_total{{{SEL}}}[7d]))",
                        "offline share",
                    )
                ],
            ),
        ],
    ),
    Row(
        "Webhook sources",
        [
            Panel(
                "Deliveries accepted by source, past 7 days",
                "none",
                "Which event platforms send attendance (check-ins, badge scans, meetings), "
                "and how much.",
                [
                    q(
                        "sum by (source) (increase(rapport_webhook_deliveries_total"
                        '{service="gateway", instance=~"$instance", outcome="accepted"}[7d]))',
                        "{{source}}",
                    )
                ],
                kind="bargauge",
            ),
            Panel(
                "Deliveries normalised or failed by source, past 7 days",
                "none",
                "What became of each source's deliveries: normalised into events, meetings "
                "and check-ins, or failed and waiting for a fix and a replay.",
                [
                    q(
                        "sum by (source, outcome) (increase(rapport_webhook_deliveries_total"
                        '{service="events", instance=~"$instance", '
                        'outcome=~"normalised|failed"}[7d]))',
                        "{{source}} {{outcome}}",
                    )
                ],
                kind="bargauge",
            ),
        ],
    ),
]


def variables() -> list[dict]:
    def variable(name: str, query: str) -> dict:
        return {
            "name": name,
            "label": name,
            "type": "query",
            "datasource": DATASOURCE,
            "query": {"query": query, "refId": name},
            "definition": query,
            "refresh": 2,
            "includeAll": True,
            "multi": True,
            "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "sort": 1,
        }

    return [
        variable("service", "label_values(up, service)"),
        variable("instance", 'label_values(up{service=~"$service"}, instance)'),
    ]


def panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict:
    options: dict = {}
    if panel.kind == "stat":
        options = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background"}
    elif panel.kind == "bargauge":
        options = {"reduceOptions": {"calcs": ["lastNotNull"]}, "displayMode": "gradient"}
    else:
        options = {"legend": {"displayMode": "table", "placement": "bottom"}}
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": panel.width, "h": panel.height},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": options,
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": DATASOURCE,
                "expr": expr,
                "legendFormat": legend,
            }
            for i, (expr, legend) in enumerate(panel.targets)
        ],
    } | panel.extra


def dashboard(uid: str, title: str, description: str, rows: list[Row]) -> dict:
    panels: list[dict] = []
    y = 0
    next_id = 1
    for row in rows:
        panels.append(
            {
                "id": next_id,
                "type": "row",
                "title": row.title,
                "collapsed": False,
                "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
                "panels": [],
            }
        )
        next_id += 1
        y += 1
        x = 0
        row_height = 0
        for panel in row.panels:
            if x + panel.width > 24:
                x, y = 0, y + row_height
                row_height = 0
            panels.append(panel_json(panel, next_id, x, y))
            next_id += 1
            x += panel.width
            row_height = max(row_height, panel.height)
        y += row_height
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["rapport"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": variables()},
        "annotations": {"list": []},
        "panels": panels,
    }


DASHBOARDS = {
    "rapport-overview.json": dashboard(
        "rapport-overview",
        "Rapport: overview",
        "Is Rapport serving, and where is it hurting: API rate, errors and latency, services, "
        "NATS and JetStream, consumer lag, outboxes, dead letters, webhooks, aggregator "
        "freshness.",
        OVERVIEW,
    ),
    "rapport-people.json": dashboard(
        "rapport-people",
        "Rapport: people and community",
        "How healthy is our network: pairs by status, who is isolated, the online/offline "
        "balance and its weekly trend, and which event platforms feed it. Aggregates only; "
        "no member is named.",
        PEOPLE,
    ),
}


def render(dashboard_json: dict) -> str:
    return json.dumps(dashboard_json, indent=2) + "\n"


def main() -> None:
    out = HERE / "dashboards"
    out.mkdir(exist_ok=True)
    for name, content in DASHBOARDS.items():
        (out / name).write_text(render(content))
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
