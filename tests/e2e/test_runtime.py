"""`make run`'s supervisor: starts NATS (refusing anonymous clients, with credentials it
makes once) and every service, restarts a crashed one, and stops everything on Ctrl-C with
no process left behind."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys

import httpx
import nats
import nats.errors
import pytest

from shared.messaging.permissions import IDENTITIES
from shared.natsserver import free_port
from shared.runtime import processes
from shared.settings import Settings
from tests.e2e.system import wait_until


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is gone for our purposes
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_the_supervisor_runs_restarts_and_stops_everything(tmp_path):
    names = [p.name for p in processes(Settings())]
    ports = {name: free_port() for name in names}
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "RAPPORT_NATS_URL")}
    env |= {f"RAPPORT_{name.upper()}_PORT": str(port) for name, port in ports.items()}
    env |= {"RAPPORT_DATA_DIR": str(tmp_path / "var"), "RAPPORT_LOG_LEVEL": "WARNING"}
    for name in ("PROFILES", "CONNECTIONS", "AGGREGATOR"):
        env.pop(f"RAPPORT_{name}_DATABASE_URL", None)
    output = open(tmp_path / "supervisor.log", "wb")  # noqa: SIM115
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "shared.runtime"], env=env, stdout=output, stderr=output
    )
    api = httpx.Client(base_url=f"http://127.0.0.1:{ports['gateway']}", timeout=5)
    pid_dir = tmp_path / "var" / "run"

    def ready() -> bool:
        try:
            return api.get("/readyz").status_code == 200
        except httpx.TransportError:
            return False

    def pid_of(name: str) -> int:
        return int((pid_dir / f"{name}.pid").read_text())

    try:
        wait_until(ready, timeout=60, interval=0.2)
        pids = {name: pid_of(name) for name in names}
        assert (tmp_path / "var" / "nats").is_dir()  # its own nats-server, data under ./var
        # ...which knows every identity by a password made under ./var, readable by us only
        secrets = tmp_path / "var" / "secrets"
        assert {p.name: p.stat().st_mode & 0o777 for p in secrets.iterdir()} == {
            "nats-auth.conf": 0o600,
            **{f"nats-{identity}.password": 0o600 for identity in IDENTITIES},
        }
        said = (tmp_path / "supervisor.log").read_text()
        url = re.search(r"nats-server with JetStream at (\S+)", said)
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            asyncio.run(nats.connect(url.group(1), allow_reconnect=False, max_reconnect_attempts=0))
        # its own development token issuer on loopback, keys under ./var, trusted by the gateway
        issuer = f"http://127.0.0.1:{ports['issuer']}"
        discovery = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
        assert discovery["issuer"] == issuer
        assert httpx.get(discovery["jwks_uri"], timeout=5).json()["keys"]
        assert list((tmp_path / "var" / "issuer" / "keys").glob("*.pem"))

        os.kill(pids["connections"], signal.SIGKILL)
        wait_until(lambda: pid_of("connections") != pids["connections"], timeout=30)
        wait_until(ready, timeout=30, interval=0.2)
        pids["connections"] = pid_of("connections")

        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait(60) == 0
        log = (tmp_path / "supervisor.log").read_text()
        assert "connections exited with code" in log
        assert f"tokens       {issuer} (development)" in log
        assert not [name for name, pid in pids.items() if alive(pid)]
        nats_left = subprocess.run(
            ["pgrep", "-f", str(tmp_path / "var" / "nats")], capture_output=True
        ).stdout
        assert nats_left == b""
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        api.close()
        output.close()
