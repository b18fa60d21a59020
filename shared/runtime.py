"""The supervisor behind `make run`: NATS, provisioning, then every service as its own process.

- Starts a nats-server with JetStream on a free port (data under <data_dir>/nats), unless
  NATS_URL / RAPPORT_NATS_URL is set, and supervises it too: when it exits it is started
  again on the same ports with the same store (the services reconnect by themselves and
  their outboxes drain). It refuses anonymous clients and gives each service the
  permissions of shared.messaging.permissions, with passwords made once under
  <data_dir>/secrets (unless RAPPORT_NATS_AUTH=off).
- Starts the development token issuer on loopback, and points the gateway at it in
  development mode, unless RAPPORT_AUTH_ISSUER names the organisation's provider.
- Creates the streams and consumers, then starts each service; a service that exits is
  logged and restarted with a growing delay.
- Ctrl-C or SIGTERM stops the services (SIGTERM, then SIGKILL after the grace period) and
  the nats-server it started. Children also get SIGTERM if the supervisor itself dies.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nats

from services.issuer.app import development_environment, issuer_url
from services.web.session import ensure_secret
from shared.messaging.credentials import (
    connect_options,
    ensure_credentials,
    write_server_config,
)
from shared.messaging.permissions import PROVISIONING
from shared.messaging.provisioning import provision
from shared.natsserver import NatsServer, start_nats_server
from shared.settings import SERVICES, Settings, get_settings

ISSUER = "issuer"  # the development token issuer (services/issuer), when no provider is set

RESTART_DELAYS = (1, 2, 5, 10, 30)
STABLE_AFTER = 60.0  # seconds of uptime after which a restart counts as the first again


@dataclass(frozen=True)
class Process:
    """One supervised process: a service."""

    name: str
    service: str
    env: dict[str, str]

    @property
    def command(self) -> list[str]:
        return command(self.service)


def command(service: str) -> list[str]:
    """How every service is started, by `make run` and by the end-to-end tests."""
    return [sys.executable, "-m", f"services.{service}"]


def processes(settings: Settings) -> list[Process]:
    """Every process of the system, one per service (more aggregator instances are more
    replicas of the same process, sharing its durables and its PostgreSQL database)."""
    found = [] if settings.auth.issuer else [Process(ISSUER, ISSUER, {})]
    return found + [Process(service, service, {}) for service in (*SERVICES, "gateway")]


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def say(message: str) -> None:
    print(f"[rapport] {message}", flush=True)


@dataclass
class Supervised:
    spec: Process
    env: dict[str, str]
    pid_dir: Path
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0

    @property
    def name(self) -> str:
        return self.spec.name

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.spec.command,
            env=self.env | self.spec.env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.started_at = time.monotonic()
        (self.pid_dir / f"{self.name}.pid").write_text(str(self.process.pid))

    def check(self, now: float) -> None:
        """Restart the process if it exited, after a delay that grows with each crash."""
        if self.process is None:
            if now >= self.next_start:
                self.start()
            return
        code = self.process.poll()
        if code is None:
            return
        if now - self.started_at > STABLE_AFTER:
            self.restarts = 0
        delay = RESTART_DELAYS[min(self.restarts, len(RESTART_DELAYS) - 1)]
        self.restarts += 1
        say(f"{self.name} exited with code {code}; restarting in {delay}s")
        self.process = None
        self.next_start = now + delay

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait_or_kill(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{self.name} did not stop in time; killing it")
            self.process.kill()
            self.process.wait()
        (self.pid_dir / f"{self.name}.pid").unlink(missing_ok=True)


@dataclass
class SupervisedNats:
    """`make run`'s own nats-server, restarted like a service when it exits."""

    server: NatsServer
    pid_dir: Path
    restarts: int = 0
    started_at: float = 0.0
    next_start: float | None = None

    def __post_init__(self) -> None:
        self.started_at = time.monotonic()
        self._write_pid()

    def _write_pid(self) -> None:
        (self.pid_dir / "nats-server.pid").write_text(str(self.server.process.pid))

    def check(self, now: float) -> None:
        if self.next_start is not None:
            if now >= self.next_start:
                self._restart(now)
            return
        code = self.server.process.poll()
        if code is None:
            return
        if now - self.started_at > STABLE_AFTER:
            self.restarts = 0
        delay = RESTART_DELAYS[min(self.restarts, len(RESTART_DELAYS) - 1)]
        self.restarts += 1
        say(f"nats-server exited with code {code}; restarting in {delay}s with the same store")
        self.next_start = now + delay

    def _restart(self, now: float) -> None:
        try:
            self.server = self.server.restarted()
        except RuntimeError as error:
            delay = RESTART_DELAYS[min(self.restarts, len(RESTART_DELAYS) - 1)]
            self.restarts += 1
            say(f"nats-server did not start again ({error}); retrying in {delay}s")
            self.next_start = time.monotonic() + delay
            return
        self.next_start = None
        self.started_at = time.monotonic()
        self._write_pid()
        say(f"nats-server is back at {self.server.url} (pid {self.server.process.pid})")

    def stop(self) -> None:
        self.server.stop()
        (self.pid_dir / "nats-server.pid").unlink(missing_ok=True)


async def _provision(url: str, settings: Settings) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            nc = await nats.connect(
                **connect_options(
                    settings.model_copy(
                        update={"nats": settings.nats.model_copy(update={"url": url})}
                    ),
                    PROVISIONING,
                ),
                connect_timeout=2,
                max_reconnect_attempts=1,
            )
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        await provision(nc.jetstream(), settings)
    finally:
        await nc.close()


def bus_authorization(settings: Settings, data_dir: Path) -> Path | None:
    """The server's authorization file, with credentials made on first use under
    <data_dir>/secrets, where each child finds its own (RAPPORT_NATS_AUTH=off: none)."""
    if not settings.nats.auth:
        say("NATS authentication is off (RAPPORT_NATS_AUTH): any client may do anything")
        return None
    directory = data_dir / "secrets"
    return write_server_config(directory, ensure_credentials(directory))


def main() -> None:
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    pid_dir = data_dir / "run"
    pid_dir.mkdir(parents=True, exist_ok=True)

    nats: SupervisedNats | None = None
    url = os.environ.get("RAPPORT_NATS_URL") or os.environ.get("NATS_URL")
    env = dict(os.environ)
    if not url:
        server = start_nats_server(
            data_dir / "nats",
            log_file=data_dir / "logs/nats.log",
            config=bus_authorization(settings, data_dir),
        )
        nats = SupervisedNats(server, pid_dir)
        url = server.url
        env.setdefault("RAPPORT_NATS_MONITOR_URLS", server.monitor_url)
        say(
            f"started nats-server with JetStream at {url} (pid {server.process.pid}, "
            f"data in {data_dir / 'nats'}); restarted if it exits"
        )
    asyncio.run(_provision(url, settings))
    say("streams and consumers provisioned")

    env |= {"RAPPORT_NATS_URL": url, "RAPPORT_DATA_DIR": str(data_dir)}
    if settings.web.session_secret is None:
        ensure_secret(data_dir / "secrets")  # the web's session key, made once
    env |= development_environment(settings)
    children = [Supervised(spec, env, pid_dir) for spec in processes(settings)]

    stopping = False

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    for child in children:
        child.start()
    base = f"http://{settings.host}"
    say(f"web app      {base}:{settings.gateway.port}/  (sign in with the provider below)")
    say(f"API          {base}:{settings.gateway.port}/v1  (OpenAPI at /openapi.json, docs /docs)")
    say(f"readiness    {base}:{settings.gateway.port}/readyz")
    if settings.auth.issuer:
        say(f"tokens       trusted from {settings.auth.issuer}")
    else:
        say(f"tokens       {issuer_url(settings)} (development): make token HANDLE=ana ROLE=member")
    for child in children:
        if child.spec.service not in ("gateway", ISSUER):
            port = child.spec.env.get("RAPPORT_AGGREGATOR_PORT") or settings.http_port(
                child.spec.service
            )
            say(f"{child.name:<12} metrics {base}:{port}/metrics")
    if nats is not None:
        say(f"{'nats-server':<12} {url}  monitoring {nats.server.monitor_url}")
    say(f"data         {data_dir}")
    say("press Ctrl-C to stop")

    try:
        while not stopping:
            now = time.monotonic()
            if nats is not None:
                nats.check(now)
            for child in children:
                child.check(now)
            time.sleep(0.2)
    finally:
        say("stopping services")
        for child in children:
            child.terminate()
        deadline = time.monotonic() + settings.graceful_timeout + 5
        for child in children:
            child.wait_or_kill(deadline)
        if nats is not None:
            nats.stop()
        say("stopped")


if __name__ == "__main__":
    main()
