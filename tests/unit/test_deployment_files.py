"""The deployment files agree with the code: compose, Dockerfile, Prometheus, PostgreSQL,
the NATS cluster and Grafana."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared.settings import SERVICES, Settings, variables

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"
GRAFANA = ROOT / "deploy" / "grafana"
APPS = (*SERVICES, "gateway")
NATS_NODES = ("nats-1", "nats-2", "nats-3")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def _command(service: dict) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _module_exists(module: str) -> bool:
    """`python -m module` runs: a module file, or a package with a __main__."""
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__main__.py").is_file()


def _settings_env_names() -> set[str]:
    """Every environment variable Settings reads (upper-cased; reading is case-insensitive)."""
    return set(variables())


def _port(service: str, env: dict[str, str]) -> int:
    override = {k.upper(): v for k, v in env.items()}.get(f"RAPPORT_{service.upper()}_PORT")
    return int(override) if override else Settings.model_construct().http_port(service)


def test_compose_file_parses(compose: dict) -> None:
    assert isinstance(compose, dict)
    assert isinstance(compose.get("services"), dict) and compose["services"]


def test_every_python_module_command_exists(services: dict[str, dict]) -> None:
    commands = {name: _command(svc) for name, svc in services.items()}
    modules = {
        name: command[2]
        for name, command in commands.items()
        if len(command) >= 3 and command[0] in ("python", "python3") and command[1] == "-m"
    }
    assert modules, "no service runs `python -m ...`"
    missing = {name: module for name, module in modules.items() if not _module_exists(module)}
    assert not missing, f"commands name modules that do not exist: {missing}"


def test_every_rapport_variable_is_a_setting(services: dict[str, dict]) -> None:
    known = _settings_env_names()
    unknown = {
        f"{name}: {key}"
        for name, svc in services.items()
        for key in _environment(svc)
        if key.upper().startswith("RAPPORT_") and key.upper() not in known
    }
    assert not unknown, f"RAPPORT_* variables that Settings does not read: {sorted(unknown)}"


@pytest.mark.parametrize("app", APPS)
def test_compose_environment_loads_into_settings(
    app: str, services: dict[str, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.upper().startswith("RAPPORT_") or key.upper() == "NATS_URL":
            monkeypatch.delenv(key)
    for key, value in _environment(services[app]).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.nats.url.startswith("nats://") and "127.0.0.1" not in settings.nats.url
    assert settings.host == "0.0.0.0"
    if app in SERVICES:
        assert settings.database_url(app).startswith("postgresql+asyncpg://"), (
            f"{app} would fall back to SQLite in its container"
        )
        assert settings.database_url(app).endswith(f"/{app}")


@pytest.mark.parametrize("app", APPS)
def test_every_service_runs_in_compose(app: str, services: dict[str, dict]) -> None:
    assert app in services, f"{app} is not in docker-compose.yml"
    service = services[app]
    assert _command(service) == ["python", "-m", f"services.{app}"]
    assert service.get("build") and service.get("image") == "rapport:latest"
    env = _environment(service)
    assert env.get("RAPPORT_NATS_URL")
    assert env.get("RAPPORT_HOST") == "0.0.0.0"
    depends = service.get("depends_on") or {}
    assert isinstance(depends, dict)
    assert depends.get("provision", {}).get("condition") == "service_completed_successfully"
    health = " ".join(str(part) for part in service["healthcheck"]["test"])
    assert f":{_port(app, env)}/healthz" in health


def test_streams_are_provisioned_by_a_one_shot_job(services: dict[str, dict]) -> None:
    provision = services["provision"]
    assert _command(provision) == ["python", "-m", "shared.messaging.provisioning"]
    assert set(NATS_NODES) <= set(provision.get("depends_on") or {})
    assert str(provision.get("restart", "no")) == "no"


def test_postgres_creates_a_database_per_service(services: dict[str, dict]) -> None:
    mounts = [str(v) for v in services["postgres"].get("volumes", [])]
    assert any(
        m.startswith("./deploy/postgres/init.sql:/docker-entrypoint-initdb.d/") for m in mounts
    )
    created = set(re.findall(r"CREATE DATABASE (\w+)", INIT_SQL.read_text(), re.IGNORECASE))
    assert created == set(SERVICES)


@pytest.mark.parametrize("app", APPS)
def test_prometheus_scrapes_every_service(app: str, services: dict[str, dict]) -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        if job.get("metrics_path", "/metrics") == "/metrics"
        for static in job.get("static_configs", [])
        for target in static.get("targets", [])
    }
    port = _port(app, _environment(services.get(app, {})))
    assert f"{app}:{port}" in targets, f"prometheus.yml does not scrape {app}:{port}/metrics"


def test_prometheus_mounts_its_config(services: dict[str, dict]) -> None:
    mounts = [str(v) for v in services["prometheus"].get("volumes", [])]
    assert any(
        m.startswith("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml")
        for m in mounts
    )


def test_every_mounted_deploy_file_exists(services: dict[str, dict]) -> None:
    sources = []
    for svc in services.values():
        for volume in svc.get("volumes", []):
            source = volume.get("source", "") if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith(("./deploy", "deploy/")):
                sources.append(source)
    assert sources, "nothing is mounted from ./deploy"
    missing = [s for s in sources if not (ROOT / s).exists()]
    assert not missing, f"mounted files that do not exist: {missing}"


def test_dockerfile_exists(services: dict[str, dict]) -> None:
    dockerfile = ROOT / "Dockerfile"
    assert dockerfile.is_file()
    text = dockerfile.read_text()
    assert re.search(r"^FROM python:3\.11", text, re.MULTILINE)
    assert "pip install ." in text
    for svc in services.values():
        build = svc.get("build")
        if build:
            context = build if isinstance(build, str) else build.get("context", ".")
            name = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            assert (ROOT / context / name).is_file()


# --- the NATS cluster ---------------------------------------------------------------------


def _flags(service: dict) -> dict[str, str]:
    return dict(
        part.removeprefix("--").split("=", 1) if "=" in part else (part.removeprefix("--"), "")
        for part in _command(service)
    )


@pytest.mark.parametrize("node", NATS_NODES)
def test_each_nats_node_runs_jetstream_in_the_cluster(node: str, services: dict) -> None:
    flags = _flags(services[node])
    assert flags["name"] == node
    assert "jetstream" in flags and flags["store_dir"] == "/data"
    assert flags["cluster_name"] == "rapport"
    port = flags["cluster"].rsplit(":", 1)[1]
    assert set(flags["routes"].split(",")) == {f"nats://{n}:{port}" for n in NATS_NODES}
    assert flags["http_port"] == "8222"
    stores = {str(v).split(":")[0] for v in services[node]["volumes"]}
    assert stores == {f"{node}-data"}, "each node keeps its own store"


def test_streams_are_replicated_on_every_node(services: dict) -> None:
    env = _environment(services["provision"])
    assert int(env["RAPPORT_STREAM_REPLICAS"]) == len(NATS_NODES)


@pytest.mark.parametrize("client", [*APPS, "provision"])
def test_every_client_knows_every_nats_node(client: str, services: dict) -> None:
    url = _environment(services[client])["RAPPORT_NATS_URL"]
    assert sorted(url.split(",")) == [f"nats://{node}:4222" for node in NATS_NODES]


def test_the_gateway_watches_every_nats_node(services: dict) -> None:
    urls = _environment(services["gateway"])["RAPPORT_NATS_MONITOR_URLS"].split(",")
    assert sorted(urls) == [f"http://{node}:8222" for node in NATS_NODES]


# --- Prometheus rules and Grafana ----------------------------------------------------------


def _mounts(service: dict) -> dict[str, str]:
    """container path -> host path, for the bind mounts of ./deploy."""
    found = {}
    for volume in service.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if source.startswith("./"):
            found[target] = source
    return found


def test_prometheus_mounts_its_rules_where_its_config_looks(services: dict) -> None:
    mounts = _mounts(services["prometheus"])
    config_dir = Path("/etc/prometheus")
    config = yaml.safe_load((ROOT / mounts[str(config_dir / "prometheus.yml")]).read_text())
    for rule_file in config["rule_files"]:
        assert mounts.get(str(config_dir / rule_file)) == f"./deploy/prometheus/{rule_file}"


def test_grafana_is_provisioned_with_the_datasource_and_dashboards(services: dict) -> None:
    grafana = services["grafana"]
    mounts = _mounts(grafana)
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    datasources = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    (prometheus,) = [d for d in datasources if d["type"] == "prometheus"]
    assert prometheus["url"] == "http://prometheus:9090" and "prometheus" in services
    assert "prometheus" in grafana.get("depends_on", {})
    providers = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "rapport.yml").read_text()
    )["providers"]
    (provider,) = providers
    host_dir = ROOT / mounts[provider["options"]["path"]]
    dashboards = sorted(host_dir.glob("*.json"))
    assert [d.name for d in dashboards] == ["rapport-overview.json", "rapport-people.json"]
    for path in dashboards:
        for panel in _panels(json.loads(path.read_text())):
            assert panel["datasource"]["uid"] == prometheus["uid"], panel["title"]


def _panels(dashboard: dict) -> list[dict]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def _generator():
    name = "rapport_grafana_dashboards"
    spec = importlib.util.spec_from_file_location(name, GRAFANA / "dashboards.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["rapport-overview.json", "rapport-people.json"])
def test_every_dashboard_panel_has_a_title_unit_description_and_query(name: str) -> None:
    dashboard = json.loads((GRAFANA / "dashboards" / name).read_text())
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"service", "instance"} <= variables
    for panel in _panels(dashboard):
        assert panel["title"] and panel["description"], panel
        assert panel["fieldConfig"]["defaults"]["unit"], panel["title"]
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", ["rapport-overview.json", "rapport-people.json"])
def test_the_dashboards_are_what_their_generator_writes(name: str) -> None:
    generator = _generator()
    committed = (GRAFANA / "dashboards" / name).read_text()
    assert committed == generator.render(generator.DASHBOARDS[name]), (
        "run `python deploy/grafana/dashboards.py` and commit the result"
    )


def _has_docker_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _has_docker_compose(), reason="no docker compose CLI here")
def test_docker_compose_config_is_valid() -> None:
    checked = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("app", (*APPS, "provision"))
def test_every_process_gets_its_own_nats_identity_from_a_secret(
    app: str, compose: dict, services: dict[str, dict]
) -> None:
    identity = "provisioning" if app == "provision" else app
    service = services[app]
    secret = f"nats_{identity}"
    assert secret in (service.get("secrets") or [])
    assert _environment(service).get("RAPPORT_NATS_PASSWORD_FILE") == f"/run/secrets/{secret}"
    assert compose["secrets"][secret]["file"] == f"./var/secrets/nats-{identity}.password"


def test_nats_refuses_anonymous_clients_with_the_generated_authorization(
    compose: dict, services: dict[str, dict]
) -> None:
    for node in NATS_NODES:
        assert "nats_authorization" in (services[node].get("secrets") or [])
        assert _flags(services[node])["config"] == "/run/secrets/nats_authorization"
    assert compose["secrets"]["nats_authorization"]["file"] == "./var/secrets/nats-auth.conf"
