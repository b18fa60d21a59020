"""The gateway's NATS and JetStream metrics, read from a real nats-server."""

from __future__ import annotations

import nats
from prometheus_client import REGISTRY

from shared import natsmetrics
from shared.contracts.streams import STREAMS, all_consumers
from shared.natsserver import NatsServer, free_port


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_every_stream_and_durable_is_measured(clean_nats: str) -> None:
    nc = await nats.connect(clean_nats)
    try:
        await nc.jetstream().publish("rapport.profiles.member.registered", b"{}")
        await natsmetrics.poll_jetstream(nc)
    finally:
        await nc.close()
    assert sample("rapport_jetstream_api_up") == 1
    for stream in STREAMS:
        assert sample("rapport_jetstream_stream_replicas", stream=stream.name) == 1
        assert sample("rapport_jetstream_stream_replicas_current", stream=stream.name) == 1
    assert sample("rapport_jetstream_stream_messages", stream="PROFILES") == 1
    for consumer in all_consumers(1):
        pending = sample(
            "rapport_jetstream_consumer_pending_messages",
            stream=consumer.stream,
            durable=consumer.durable,
        )
        assert pending is not None, consumer.durable
    readers = [c for c in all_consumers(1) if c.stream == "PROFILES"]
    assert readers and all(
        sample("rapport_jetstream_consumer_pending_messages", stream="PROFILES", durable=c.durable)
        == 1
        for c in readers
    )


async def test_a_server_is_up_with_its_storage_limit_or_down(nats_server: NatsServer) -> None:
    await natsmetrics.poll_server(nats_server.monitor_url)
    server = f"127.0.0.1:{nats_server.monitor_port}"
    assert sample("rapport_nats_server_up", server=server) == 1
    assert sample("rapport_nats_server_jetstream_max_storage_bytes", server=server) > 0
    assert sample("rapport_nats_server_jetstream_storage_bytes", server=server) is not None

    nowhere = free_port()
    await natsmetrics.poll_server(f"http://127.0.0.1:{nowhere}")
    assert sample("rapport_nats_server_up", server=f"127.0.0.1:{nowhere}") == 0
