"""Two replicas of one service on one PostgreSQL share the work: both answer requests (NATS
queue group), and their outbox relays publish every fact exactly once (row locks)."""

from __future__ import annotations

import asyncio
import itertools
import re
import subprocess
from collections.abc import Iterator

import httpx
import nats
import pytest

from shared.natsserver import free_port
from tests.conftest import POSTGRES_URL
from tests.e2e.conftest import _running_system
from tests.e2e.system import System, wait_until

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set")


@pytest.fixture
def system(tmp_path) -> Iterator[System]:
    yield from _running_system("postgres", tmp_path)


class Replica:
    """A second process of a service, beside the one the system started."""

    def __init__(self, system: System, name: str) -> None:
        self.port = free_port()
        env = system.env | system.process_env.get(name, {})
        env[f"RAPPORT_{name.upper()}_PORT"] = str(self.port)
        log = open(system.logs / f"{name}-replica.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            system.specs[name].command, env=env, stdout=log, stderr=log, start_new_session=True
        )
        wait_until(self._healthy, timeout=60)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def metric(port: int, name: str, **labels: str) -> float:
    """The sum of a metric's samples with these labels on one process's /metrics."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    total = 0.0
    for line in text.splitlines():
        found = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if found and all(f'{k}="{v}"' in found.group(1) for k, v in labels.items()):
            total += float(found.group(2))
    return total


async def _send(base_url: str, requests: list[tuple[str, dict, dict]], clients: int) -> list[int]:
    """POST (path, body, headers of the acting member) with `clients` in flight."""
    statuses: list[int] = []
    queue = list(reversed(requests))
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:

        async def worker() -> None:
            while queue:
                path, body, headers = queue.pop()
                response = await client.post(path, json=body, headers=headers)
                statuses.append(response.status_code)

        await asyncio.gather(*(worker() for _ in range(clients)))
    return statuses


async def _stream_messages(url: str, stream: str) -> int:
    nc = await nats.connect(url)
    try:
        return (await nc.jetstream().stream_info(stream)).state.messages
    finally:
        await nc.close()


def _published_once(system: System, service: str, stream: str, replica: Replica) -> None:
    ports = (system.ports[service], replica.port)

    def drained() -> bool:
        return all(metric(p, "rapport_outbox_backlog", service=service) == 0 for p in ports)

    wait_until(drained, timeout=60)
    published = sum(metric(p, "rapport_outbox_published_total", service=service) for p in ports)
    assert published == asyncio.run(_stream_messages(system.nats_url, stream))


def _both_answered(system: System, service: str, operation: str, replica: Replica) -> None:
    for port in (system.ports[service], replica.port):
        handled = metric(
            port, "rapport_rpc_requests_total", service=service, operation=operation, outcome="ok"
        )
        assert handled > 0, f"the replica on port {port} answered no {operation}"


def test_two_replicas_of_content_share_the_posts_and_publish_each_fact_once(system: System):
    authors = system.registered(*(f"author{n}" for n in range(4)))
    replica = Replica(system, "content")
    try:
        signed_in = [dict(system.as_id(a).headers) for a in authors]
        posts = [("/v1/posts", {"body": f"post {n}"}, signed_in[n % 4]) for n in range(200)]

        statuses = asyncio.run(_send(str(system.http.base_url), posts, clients=16))

        assert statuses == [201] * 200
        _both_answered(system, "content", "create_post", replica)
        _published_once(system, "content", "CONTENT", replica)
    finally:
        replica.stop()


def test_two_replicas_of_connections_share_the_requests_and_publish_each_fact_once(
    system: System,
):
    members = system.registered(*(f"member{n}" for n in range(16)))
    replica = Replica(system, "connections")
    try:
        pairs = list(itertools.combinations(members, 2))[:100]
        requests = [
            ("/v1/connection-requests", {"addressee_id": b}, dict(system.as_id(a).headers))
            for a, b in pairs
        ]

        statuses = asyncio.run(_send(str(system.http.base_url), requests, clients=16))

        assert statuses == [201] * 100
        _both_answered(system, "connections", "send_request", replica)
        _published_once(system, "connections", "CONNECTIONS", replica)
    finally:
        replica.stop()
