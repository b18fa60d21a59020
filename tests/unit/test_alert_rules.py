"""Prometheus alert rules: valid, each one proven firing and not firing by promtool's unit
tests, referenced by the Prometheus configuration, and each with its runbook."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests import promtools

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "alerts.yml"
RULE_TESTS = PROMETHEUS_DIR / "alerts.test.yml"
OPERATIONS = ROOT / "docs" / "operations.md"


def alerts() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]


@pytest.fixture(scope="module")
def promtool() -> str:
    return promtools.binaries()[1]


def run(promtool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, *args], capture_output=True, text=True, cwd=PROMETHEUS_DIR)


def test_the_rules_are_valid(promtool: str) -> None:
    checked = run(promtool, "check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_behaves_as_its_unit_tests_say(promtool: str) -> None:
    tested = run(promtool, "test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.parametrize("alert", alerts())
def test_every_alert_is_tested_firing_and_not_firing(alert: str) -> None:
    cases = [
        check
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for check in test["alert_rule_test"]
        if check["alertname"] == alert
    ]
    assert any(case["exp_alerts"] for case in cases), f"{alert} is never tested firing"
    assert any(not case["exp_alerts"] for case in cases), f"{alert} is never tested quiet"


@pytest.mark.parametrize("alert", alerts())
def test_every_alert_has_a_runbook(alert: str) -> None:
    text = OPERATIONS.read_text()
    section = re.search(rf"^### {alert}\n(.+?)(?=^#)", text, re.MULTILINE | re.DOTALL)
    assert section, f"docs/operations.md has no '### {alert}' runbook"
    assert "**Check**" in section.group(1) and "**Act**" in section.group(1)
    rule = next(
        r
        for g in yaml.safe_load(RULES.read_text())["groups"]
        for r in g["rules"]
        if r.get("alert") == alert
    )
    assert rule["annotations"]["runbook"] == f"docs/operations.md#{alert.lower()}"


def test_prometheus_loads_the_alert_rules() -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    assert "alerts.yml" in [Path(f).name for f in config.get("rule_files", [])]


def test_the_prometheus_configuration_is_valid(promtool: str) -> None:
    checked = run(promtool, "check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
