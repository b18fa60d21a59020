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


def stream_messages(url: str, stream: str) -> int:
    async def count() -> int:
        nc = await nats.connect(url)
        try:
            return (await nc.jetstream().stream_info(stream)).state.messages
        finally:
            await nc.close()

    return asyncio.run(count())


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


class Supervisor:
    """`python -m shared.runtime` (what `make run` runs) with its own nats-server, every
    process on a free port, data under tmp_path/var."""

    def __init__(self, tmp_path) -> None:
        self.names = [p.name for p in processes(Settings())]
        self.ports = ports = {name: free_port() for name in self.names}
        env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "RAPPORT_NATS_URL")}
        env |= {f"RAPPORT_{name.upper()}_PORT": str(port) for name, port in ports.items()}
        env |= {"RAPPORT_DATA_DIR": str(tmp_path / "var"), "RAPPORT_LOG_LEVEL": "WARNING"}
        env |= {"RAPPORT_OUTBOX_POLL_INTERVAL": "0.2"}
        for name in ("PROFILES", "CONNECTIONS", "AGGREGATOR", "CONTENT", "EVENTS"):
            env.pop(f"RAPPORT_{name}_DATABASE_URL", None)
        env.pop("RAPPORT_NATS_MONITOR_URLS", None)
        self.log_path = tmp_path / "supervisor.log"
        self.output = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.runtime"],
            env=env,
            stdout=self.output,
            stderr=self.output,
        )
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{ports['gateway']}", timeout=5)
        self.var = tmp_path / "var"
        self.pid_dir = self.var / "run"

    def as_member(self, handle: str) -> httpx.Client:
        """The API signed in as `handle`, with a token of the supervisor's development issuer."""
        issuer = f"http://127.0.0.1:{self.ports['issuer']}"
        token = httpx.post(f"{issuer}/token", json={"handle": handle}, timeout=5).json()
        return httpx.Client(
            base_url=str(self.api.base_url),
            timeout=5,
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )

    def ready(self) -> bool:
        try:
            return self.api.get("/readyz").status_code == 200
        except httpx.TransportError:
            return False

    def pid_of(self, name: str) -> int:
        return int((self.pid_dir / f"{name}.pid").read_text())

    def log(self) -> str:
        return self.log_path.read_text()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.api.close()
        self.output.close()


def test_the_supervisor_runs_restarts_and_stops_everything(tmp_path):
    supervisor = Supervisor(tmp_path)
    names, pid_of, pid_dir = supervisor.names, supervisor.pid_of, supervisor.pid_dir
    ready = supervisor.ready
    try:
        wait_until(ready, timeout=60, interval=0.2)
        pids = {name: pid_of(name) for name in names}
        assert (tmp_path / "var" / "nats").is_dir()  # its own nats-server, data under ./var
        # ...which knows every identity by a password made under ./var, readable by us only
        secrets = tmp_path / "var" / "secrets"
        assert {p.name: p.stat().st_mode & 0o777 for p in secrets.iterdir()} == {
            "nats-auth.conf": 0o600,
            **{f"nats-{identity}.password": 0o600 for identity in IDENTITIES},
            "web-session.secret": 0o600,  # the web app's session key
        }
        said = (tmp_path / "supervisor.log").read_text()
        url = re.search(r"nats-server with JetStream at (\S+)", said)
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            asyncio.run(nats.connect(url.group(1), allow_reconnect=False, max_reconnect_attempts=0))
        # its own development token issuer on loopback, keys under ./var, trusted by the gateway
        issuer = f"http://127.0.0.1:{supervisor.ports['issuer']}"
        discovery = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
        assert discovery["issuer"] == issuer
        assert httpx.get(discovery["jwks_uri"], timeout=5).json()["keys"]
        assert list((tmp_path / "var" / "issuer" / "keys").glob("*.pem"))
        pids["nats-server"] = pid_of("nats-server")

        os.kill(pids["connections"], signal.SIGKILL)
        wait_until(lambda: pid_of("connections") != pids["connections"], timeout=30)
        wait_until(ready, timeout=30, interval=0.2)
        pids["connections"] = pid_of("connections")

        supervisor.process.send_signal(signal.SIGINT)
        assert supervisor.process.wait(60) == 0
        log = supervisor.log()
        assert "connections exited with code" in log
        assert f"tokens       {issuer} (development)" in log
        assert not [name for name, pid in pids.items() if alive(pid)]
        nats_left = subprocess.run(
            ["pgrep", "-f", str(tmp_path / "var" / "nats")], capture_output=True
        ).stdout
        assert nats_left == b""
        assert not (pid_dir / "nats-server.pid").exists()
    finally:
        supervisor.close()


def test_the_supervisor_restarts_its_nats_server_with_the_same_store(tmp_path):
    supervisor = Supervisor(tmp_path)
    try:
        wait_until(supervisor.ready, timeout=60, interval=0.2)
        assert "started nats-server with JetStream" in supervisor.log()
        as_ana, as_ben = supervisor.as_member("ana"), supervisor.as_member("ben")
        before = as_ana.post("/v1/members", json={"handle": "ana", "name": "Ana"})
        assert before.status_code == 201, before.text
        ana = before.json()["member_id"]
        # the fact reached JetStream and a consumer: it is in the store when the server dies
        wait_until(lambda: as_ana.get(f"/v1/members/{ana}/connections").status_code == 200)

        first = supervisor.pid_of("nats-server")
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: "nats-server exited with code" in supervisor.log(), timeout=10)
        wait_until(lambda: alive(supervisor.pid_of("nats-server")), timeout=30)
        assert supervisor.pid_of("nats-server") != first
        assert "nats-server is back at" in supervisor.log()

        wait_until(supervisor.ready, timeout=60, interval=0.2)
        after = as_ben.post("/v1/members", json={"handle": "ben", "name": "Ben"})
        assert after.status_code == 201, after.text
        ben = after.json()["member_id"]
        # events flow again through the restarted server's streams and consumers
        wait_until(
            lambda: as_ben.get(f"/v1/members/{ben}/connections").status_code == 200, timeout=30
        )
        assert as_ben.get(f"/v1/members/{ana}").status_code == 200
        url = re.search(r"nats-server with JetStream at (\S+)", supervisor.log()).group(1)
        assert stream_messages(url, "PROFILES") >= 2  # ana's fact was kept, ben's added
        served = subprocess.run(
            ["pgrep", "-f", str(tmp_path / "var" / "nats")], capture_output=True, text=True
        ).stdout.split()
        assert served == [str(supervisor.pid_of("nats-server"))]  # one server, the new one
    finally:
        supervisor.process.send_signal(signal.SIGINT)
        supervisor.process.wait(60)
        supervisor.close()
