"""NATS and JetStream health as Prometheus metrics, polled by the gateway.

No exporter for nats-server ships with the stack, so the gateway (one per deployment, always
connected) asks:
- the JetStream API, as any client may: every stream's messages, bytes and replicas (how many
  of them are current), every durable consumer's pending, ack-pending and redelivered counts;
- each nats-server's monitoring endpoint listed in RAPPORT_NATS_MONITOR_URLS (optional): is
  the server healthy, how much JetStream storage it uses and its limit (the account limit the
  JetStream API reports is -1, "the server's", so the limit is only known there).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import urllib.request
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from nats.aio.client import Client
from prometheus_client import Gauge

log = logging.getLogger(__name__)

POLL_INTERVAL = 5.0

NATS_CONNECTED = Gauge(
    "rapport_nats_connected", "1 while this process's NATS connection is up, else 0."
)
JETSTREAM_API_UP = Gauge(
    "rapport_jetstream_api_up", "1 when the JetStream API answered the last poll, else 0."
)
STREAM_MESSAGES = Gauge(
    "rapport_jetstream_stream_messages", "Messages a JetStream stream holds.", ["stream"]
)
STREAM_BYTES = Gauge(
    "rapport_jetstream_stream_bytes", "Bytes a JetStream stream holds.", ["stream"]
)
STREAM_REPLICAS = Gauge(
    "rapport_jetstream_stream_replicas", "Replicas a stream is configured with.", ["stream"]
)
STREAM_REPLICAS_CURRENT = Gauge(
    "rapport_jetstream_stream_replicas_current",
    "Replicas of a stream that are current: the leader and the followers caught up with it.",
    ["stream"],
)
CONSUMER_PENDING = Gauge(
    "rapport_jetstream_consumer_pending_messages",
    "Messages of its stream a durable consumer has not yet been delivered (its lag).",
    ["stream", "durable"],
)
CONSUMER_ACK_PENDING = Gauge(
    "rapport_jetstream_consumer_ack_pending_messages",
    "Messages delivered to a durable consumer and not yet acknowledged.",
    ["stream", "durable"],
)
CONSUMER_REDELIVERED = Gauge(
    "rapport_jetstream_consumer_redelivered_messages",
    "Messages a durable consumer has delivered more than once and not yet acknowledged.",
    ["stream", "durable"],
)
SERVER_UP = Gauge(
    "rapport_nats_server_up",
    "1 when a nats-server's monitoring /healthz answers ok (JetStream included), else 0.",
    ["server"],
)
SERVER_STORAGE = Gauge(
    "rapport_nats_server_jetstream_storage_bytes",
    "JetStream file storage a nats-server uses.",
    ["server"],
)
SERVER_MAX_STORAGE = Gauge(
    "rapport_nats_server_jetstream_max_storage_bytes",
    "JetStream file storage limit of a nats-server.",
    ["server"],
)


def monitor_urls(value: str) -> list[str]:
    """RAPPORT_NATS_MONITOR_URLS: comma-separated http://host:port of monitoring endpoints."""
    return [url.strip().rstrip("/") for url in value.split(",") if url.strip()]


def _server_label(url: str) -> str:
    return urlsplit(url).netloc or url


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=3) as response:
        return json.load(response)


async def poll_jetstream(nc: Client) -> None:
    js = nc.jetstream()
    try:
        streams = await js.streams_info()
        for stream in streams:
            name = stream.config.name
            STREAM_MESSAGES.labels(name).set(stream.state.messages)
            STREAM_BYTES.labels(name).set(stream.state.bytes)
            replicas = stream.config.num_replicas or 1
            STREAM_REPLICAS.labels(name).set(replicas)
            cluster = stream.cluster
            current = replicas
            if cluster is not None and cluster.replicas is not None:
                # the leader is current by definition; followers say so themselves
                current = (1 if cluster.leader else 0) + sum(
                    1 for r in cluster.replicas if r.current and not r.offline
                )
            elif cluster is not None and not cluster.leader and replicas > 1:
                current = 0
            STREAM_REPLICAS_CURRENT.labels(name).set(current)
            for consumer in await js.consumers_info(name):
                durable = consumer.config.durable_name or consumer.name
                CONSUMER_PENDING.labels(name, durable).set(consumer.num_pending or 0)
                CONSUMER_ACK_PENDING.labels(name, durable).set(consumer.num_ack_pending or 0)
                CONSUMER_REDELIVERED.labels(name, durable).set(consumer.num_redelivered or 0)
    except Exception:
        JETSTREAM_API_UP.set(0)
        raise
    JETSTREAM_API_UP.set(1)


async def poll_server(url: str) -> None:
    server = _server_label(url)
    try:
        healthy = await asyncio.to_thread(_get_json, f"{url}/healthz?js-enabled-only=true")
        jsz = await asyncio.to_thread(_get_json, f"{url}/jsz")
    except Exception:
        SERVER_UP.labels(server).set(0)
        return
    SERVER_UP.labels(server).set(1 if healthy.get("status") == "ok" else 0)
    SERVER_STORAGE.labels(server).set(jsz.get("storage", 0))
    limit = (jsz.get("config") or {}).get("max_storage")
    if limit:
        SERVER_MAX_STORAGE.labels(server).set(limit)


async def watch(
    connection: Callable[[], Client | None],
    servers: Sequence[str] = (),
    *,
    interval: float = POLL_INTERVAL,
) -> None:
    """Poll until cancelled. `connection` gives the process's current NATS client (or None
    before it connected); a failed poll is logged and never ends the loop."""
    while True:
        try:
            nc = connection()
        except Exception:  # a broker not (yet) connected may refuse to hand it out
            nc = None
        connected = nc is not None and nc.is_connected
        NATS_CONNECTED.set(1 if connected else 0)
        if connected:
            try:
                await asyncio.wait_for(poll_jetstream(nc), timeout=max(interval, 5.0))
            except asyncio.CancelledError:
                raise
            except Exception as error:
                JETSTREAM_API_UP.set(0)
                log.debug("polling JetStream failed: %s", error)
        else:
            JETSTREAM_API_UP.set(0)
        await asyncio.gather(*(poll_server(url) for url in servers))
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def watching(connection: Callable[[], Client | None], servers: Sequence[str] = ()):
    task = asyncio.create_task(watch(connection, servers))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
