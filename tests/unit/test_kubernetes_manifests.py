"""The Kubernetes manifests (deploy/kubernetes) render with kustomize, every object is valid
against the Kubernetes schemas (offline, kubernetes-validate), and they run what the code
expects: a Deployment with probes per process, the migrate and provision jobs, settings that
load, a three-node NATS cluster with JetStream."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr

from shared.natsserver import nats_server_binary
from shared.settings import SERVICES, Settings

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
TREES = ["base", "overlays/example"]
APPS = (*SERVICES, "gateway")
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
SCHEMA_VERSION = "1.30.0"  # the oldest Kubernetes the manifests are meant for


def render(tree: str) -> list[dict]:
    if not Path(KUBECTL).exists():
        pytest.skip("kubectl is not installed")
    built = subprocess.run(
        [KUBECTL, "kustomize", str(KUBERNETES / tree)], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


@pytest.fixture(scope="module", params=TREES)
def objects(request: pytest.FixtureRequest) -> list[dict]:
    return render(request.param)


@pytest.fixture(scope="module")
def example() -> list[dict]:
    return render("overlays/example")


def of_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def container(workload: dict) -> dict:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return only


def test_every_object_is_valid_against_the_kubernetes_schemas(objects: list[dict]) -> None:
    invalid = {}
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, SCHEMA_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            invalid[f"{obj['kind']}/{obj['metadata']['name']}"] = error.message
    assert not invalid, invalid


@pytest.mark.parametrize("app", APPS)
def test_every_process_has_a_deployment_with_probes_and_resources(
    app: str, objects: list[dict]
) -> None:
    deployment = of_kind(objects, "Deployment").get(app)
    assert deployment is not None, f"no Deployment for {app}"
    main = container(deployment)
    assert main["command"] == ["python", "-m", f"services.{app}"]
    port = Settings.model_construct().http_port(app)  # its default
    assert [p["containerPort"] for p in main["ports"]] == [port]
    ready, alive = main["readinessProbe"]["httpGet"], main["livenessProbe"]["httpGet"]
    assert (ready["path"], alive["path"]) == (
        ("/readyz", "/healthz") if app == "gateway" else ("/healthz", "/healthz")
    )
    assert ready["port"] in (port, "http") and alive["port"] in (port, "http")
    assert {"cpu", "memory"} <= main["resources"]["requests"].keys()
    assert {"cpu", "memory"} <= main["resources"]["limits"].keys()
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)


def test_the_migrate_and_provision_jobs_run_the_project_commands(objects: list[dict]) -> None:
    commands = {name: container(job)["command"] for name, job in of_kind(objects, "Job").items()}
    assert ["python", "-m", "shared.migrations", "upgrade"] in commands.values()
    assert ["python", "-m", "shared.messaging.provisioning"] in commands.values()


def test_the_gateway_keeps_a_pod_through_disruptions(objects: list[dict]) -> None:
    budgets = of_kind(objects, "PodDisruptionBudget")
    gateway = of_kind(objects, "Deployment")["gateway"]
    selected = [
        b
        for b in budgets.values()
        if b["spec"]["selector"]["matchLabels"].items()
        <= gateway["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert selected and all(b["spec"].get("minAvailable", 0) >= 1 for b in selected)


def test_nats_is_a_three_node_jetstream_cluster(objects: list[dict]) -> None:
    nats = of_kind(objects, "StatefulSet")["nats"]
    assert nats["spec"]["replicas"] == 3
    config = of_kind(objects, "ConfigMap")["nats-config"]["data"]["nats.conf"]
    assert "jetstream" in config and "cluster" in config
    routes = re.findall(r"nats://(nats-\d)\.", config)
    assert sorted(routes) == ["nats-0", "nats-1", "nats-2"]
    assert nats["spec"]["volumeClaimTemplates"], "JetStream needs a volume per node"


def test_the_nats_configuration_is_valid_for_nats_server(
    objects: list[dict], tmp_path: Path
) -> None:
    config = tmp_path / "nats.conf"
    config.write_text(of_kind(objects, "ConfigMap")["nats-config"]["data"]["nats.conf"])
    env = {item["name"]: "x" for item in container(of_kind(objects, "StatefulSet")["nats"])["env"]}
    checked = subprocess.run(
        [nats_server_binary(), "--config", str(config), "-t"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr + checked.stdout


def _secret_values(objects: list[dict]) -> dict[tuple[str, str], str]:
    values = {}
    for name, secret in of_kind(objects, "Secret").items():
        for key, value in (secret.get("data") or {}).items():
            values[name, key] = base64.b64decode(value).decode()
        for key, value in (secret.get("stringData") or {}).items():
            values[name, key] = value
    return values


def environment(workload: dict, objects: list[dict]) -> dict[str, str]:
    """The environment a container gets, with Secrets and ConfigMaps resolved."""
    main = container(workload)
    secrets = _secret_values(objects)
    maps = of_kind(objects, "ConfigMap")
    env: dict[str, str] = {}
    for source in main.get("envFrom", []):
        if "configMapRef" in source:
            env.update(maps[source["configMapRef"]["name"]]["data"])
        else:
            name = source["secretRef"]["name"]
            env.update({k: v for (secret, k), v in secrets.items() if secret == name})
    for item in main.get("env", []):
        if "value" in item:
            env[item["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], item["value"])
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets[ref["name"], ref["key"]]
    return env


@pytest.mark.parametrize("app", APPS)
def test_each_process_environment_loads_into_settings(
    app: str, example: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.upper().startswith("RAPPORT_") or key.upper() == "NATS_URL":
            monkeypatch.delenv(key)
    for key, value in environment(of_kind(example, "Deployment")[app], example).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.host == "0.0.0.0"
    assert settings.stream_replicas == 3
    assert re.fullmatch(rf"nats://{app}:[^@]+@nats:4222", settings.nats.url)
    if app in SERVICES:
        url = settings.database_url(app)
        assert url.startswith("postgresql+asyncpg://") and url.endswith(f"/{app}")
    else:
        assert all(
            isinstance(s, SecretStr) for keys in settings.webhook.secrets.values() for s in keys
        )
        assert settings.web.session_secret is not None


def test_every_gateway_replica_seals_sessions_with_one_key_from_a_secret(
    objects: list[dict],
) -> None:
    """A session made by one replica is read by any other: the key is one Secret's, never
    made per pod (the fallback, a key generated under the data directory, is per pod)."""
    gateway = of_kind(objects, "Deployment")["gateway"]
    (item,) = [e for e in container(gateway)["env"] if e["name"] == "RAPPORT_WEB_SESSION_SECRET"]
    ref = item["valueFrom"]["secretKeyRef"]
    assert ref["name"].startswith("rapport-web") and not ref.get("optional", False)
    assert _secret_values(objects)[ref["name"], ref["key"]]


def test_the_example_replaces_the_placeholder_session_key_for_its_replicas(
    example: list[dict],
) -> None:
    gateway = of_kind(example, "Deployment")["gateway"]
    assert gateway["spec"]["replicas"] > 1
    key = environment(gateway, example)["RAPPORT_WEB_SESSION_SECRET"]
    assert key != "change-me-web-session" and len(key) >= 32


def test_nats_knows_every_user_the_processes_connect_as(example: list[dict]) -> None:
    config = of_kind(example, "ConfigMap")["nats-config"]["data"]["nats.conf"]
    users = set(re.findall(r"user: (\w+), password: \$(\w+)", config))
    nats_env = {item["name"] for item in container(of_kind(example, "StatefulSet")["nats"])["env"]}
    workloads = [*of_kind(example, "Deployment").values(), *of_kind(example, "Job").values()]
    for workload in workloads:
        url = environment(workload, example).get("RAPPORT_NATS_URL")
        if url:
            user = re.match(r"nats://(\w+):", url).group(1)
            (password,) = [p for u, p in users if u == user] or [None]
            assert password in nats_env, f"nats does not know {user}"


def test_docker_compose_upgrades_the_databases_in_a_job() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["python", "-m", "shared.migrations", "upgrade"]
    assert migrate.get("restart") == "no"
    urls = {k for k in migrate["environment"] if k.endswith("_DATABASE_URL")}
    assert urls == {f"RAPPORT_{service.upper()}_DATABASE_URL" for service in SERVICES}
