"""The dashboards and alerts against reality: the system runs as `make run` runs it, a real
Prometheus (Debian's package) scrapes every process with deploy/prometheus/prometheus.yml's
jobs and labels and evaluates the alert rules, a short scenario goes through the gateway,
then every expression of every dashboard panel, variable and alert is evaluated through
Prometheus's HTTP API. A query error, or a metric that no process exports, fails."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from shared.natsserver import free_port
from tests import promtools
from tests.e2e.scenario import drive
from tests.e2e.system import System, wait_until

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"

# What Grafana substitutes: every service and instance, windows that a 1 s scrape fills.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__range": "5m",
    "$service": ".*",
    "$instance": ".*",
}
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
PROMQL_WORDS |= {"group_left", "group_right", "inf", "nan"}


def grafana(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads (label matchers, ranges, grouping and function
    names set aside)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", expr):
        name, call = match.group(1), match.group(2)
        if not call and name.lower() not in PROMQL_WORDS:
            names.add(name)
    return names


def panel_queries() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                found.append((f"{dashboard['uid']}: {panel['title']}", target["expr"]))
    return found


def variable_queries() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        for variable in dashboard["templating"]["list"]:
            found.append((f"{dashboard['uid']}: ${variable['name']}", variable["definition"]))
    return found


def alert_rules() -> list[tuple[str, str]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [(rule["alert"], rule["expr"]) for group in groups for rule in group["rules"]]


def scraped_ports(system: System) -> dict[str, int]:
    """The processes prometheus.yml scrapes: all but the development issuer (it has no
    metrics, and no deployment runs it)."""
    return {name: port for name, port in system.ports.items() if name != "issuer"}


class Prometheus:
    """A prometheus process scraping the system every second, on a free loopback port."""

    def __init__(self, binary: str, root: Path, targets: dict[str, int]) -> None:
        self.port = free_port()
        config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
        config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
        config["rule_files"] = [str(ALERTS)]
        for job in config["scrape_configs"]:
            name = job["job_name"]
            port = self.port if name == "prometheus" else targets.pop(name)
            for static in job["static_configs"]:
                static["targets"] = [f"127.0.0.1:{port}"]
        assert not targets, f"processes that prometheus.yml does not scrape: {sorted(targets)}"
        (root / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = open(root / "prometheus.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={root / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}/api/v1", timeout=10)

    def get(self, path: str, **params) -> dict:
        try:
            return self.http.get(path, params=params).json()
        except (httpx.TransportError, ValueError):
            return {"status": "unreachable"}

    def query(self, expr: str) -> dict:
        return self.get("/query", query=expr)

    def names(self) -> set[str]:
        return set(self.get("/label/__name__/values").get("data", []))

    def targets_up(self) -> bool:
        active = self.get("/targets").get("data", {}).get("activeTargets", [])
        return bool(active) and all(t["health"] == "up" for t in active)

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def scraped(tmp_path_factory) -> Iterator[Prometheus]:
    binary = promtools.binaries()[0]
    root = tmp_path_factory.mktemp("dashboards")
    system = System(root / "system", {})
    system.env["RAPPORT_NATS_MONITOR_URLS"] = f"http://127.0.0.1:{system.nats.monitor_port}"
    prometheus = None
    try:
        system.start_all()
        prometheus = Prometheus(binary, root, scraped_ports(system))
        wait_until(prometheus.targets_up, timeout=60, interval=0.5)
        # scraped before the scenario, so that counters and gauges are seen changing
        wait_until(lambda: "rapport_jetstream_stream_messages" in prometheus.names(), timeout=30)
        drive(system)
        dead_letters = 'max(rapport_jetstream_stream_messages{stream="DEADLETTER"}) > 0'
        wait_until(lambda: prometheus.query(dead_letters).get("data", {}).get("result"), timeout=30)
        # every histogram and counter of the scenario is in the scraped data
        wait_until(lambda: "rapport_webhook_ingestion_seconds_bucket" in prometheus.names())
        yield prometheus
    finally:
        if prometheus is not None:
            prometheus.stop()
        system.shutdown()


def assert_evaluates(prometheus: Prometheus, what: str, expr: str) -> None:
    answer = prometheus.query(grafana(expr))
    assert answer.get("status") == "success", f"{what}: {expr}\n{answer}"
    missing = metric_names(expr) - prometheus.names()
    assert not missing, f"{what} charts metrics no process exports: {sorted(missing)}"


def test_every_dashboard_panel_evaluates_on_scraped_metrics(scraped: Prometheus) -> None:
    queries = panel_queries()
    assert len(queries) > 30
    for what, expr in queries:
        assert_evaluates(scraped, what, expr)


# Panels that chart failures the scenario does not provoke: empty on a healthy run, though a
# loaded machine may show a few (a readiness poll answered 503 while a service was busy).
QUIET_WHEN_HEALTHY = {
    "rapport-overview: Server error ratio by route",
    "rapport-overview: Operation failures by service",
}


def test_every_dashboard_panel_shows_data_after_the_scenario(scraped: Prometheus) -> None:
    """An empty panel is most often a label that does not match: every panel but those
    charting failures has data once the scenario ran."""
    panels: dict[str, bool] = {}
    for what, expr in panel_queries():
        result = scraped.query(grafana(expr)).get("data", {}).get("result", [])
        panels[what] = panels.get(what, False) or bool(result)
    empty = {what for what, has_data in panels.items() if not has_data}
    assert empty <= QUIET_WHEN_HEALTHY


def test_every_dashboard_variable_has_values(scraped: Prometheus) -> None:
    for what, definition in variable_queries():
        match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", definition)
        assert match, f"{what}: {definition}"
        selector, label = match.groups()
        values = scraped.get(f"/label/{label}/values", **{"match[]": grafana(selector)})
        assert values.get("data"), f"{what} lists no values: {values}"


def test_every_alert_expression_evaluates_on_scraped_metrics(scraped: Prometheus) -> None:
    for alert, expr in alert_rules():
        assert_evaluates(scraped, alert, expr)


def test_prometheus_evaluates_every_rule_without_error(scraped: Prometheus) -> None:
    def evaluated() -> list[dict]:
        groups = scraped.get("/rules").get("data", {}).get("groups", [])
        rules = [rule for group in groups for rule in group["rules"]]
        return (
            rules
            if rules and all(r.get("lastEvaluation", "0001")[:4] != "0001" for r in rules)
            else []
        )

    rules = wait_until(evaluated, timeout=30)
    assert {r["name"] for r in rules} == {alert for alert, _ in alert_rules()}
    assert [r for r in rules if r["health"] != "ok"] == []


def test_the_scenario_dead_letter_raises_its_alert_and_nothing_is_down(scraped: Prometheus) -> None:
    def firing() -> set[str]:
        alerts = scraped.get("/alerts").get("data", {}).get("alerts", [])
        return {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}

    assert "RapportDeadLetters" in wait_until(firing, timeout=30)
    assert "RapportServiceDown" not in firing()
    assert "RapportNatsServerDown" not in firing()


def test_the_metric_name_reader_sees_through_promql() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{x=~"5..", y="b c"}[5m])))'
        " / on (route) group_left max without (instance) (b_total offset 1m) > bool 0.5"
    )
    assert metric_names(expr) == {"a_bucket", "b_total"}
