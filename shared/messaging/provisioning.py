"""Creates Rapport's streams and durable consumers: the one place they are declared.

Run by `make run` (shared.runtime) before any service starts, by the test fixtures, and in
a deployment by the `provision` job: `python -m shared.messaging.provisioning`.
"""

from __future__ import annotations

import asyncio
import logging
from operator import attrgetter

import nats
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from shared.contracts.streams import STREAMS, StreamSpec, all_consumers
from shared.messaging.consumer.durable import consumer_config
from shared.messaging.credentials import connect_options
from shared.messaging.permissions import PROVISIONING
from shared.settings import Settings, get_settings

log = logging.getLogger(__name__)

DAY = 86_400.0


def max_age_days(spec: StreamSpec, settings: Settings) -> float | None:
    if spec.max_age_setting is not None:
        return attrgetter(spec.max_age_setting)(settings)
    return spec.max_age_days


def stream_config(spec: StreamSpec, settings: Settings) -> StreamConfig:
    days = max_age_days(spec, settings)
    return StreamConfig(
        name=spec.name,
        subjects=list(spec.subjects),
        description=spec.description,
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=days * DAY if days else 0,
        duplicate_window=settings.duplicate_window,
        num_replicas=settings.stream_replicas,
    )


async def provision(js: JetStreamContext, settings: Settings) -> None:
    for spec in STREAMS:
        config = stream_config(spec, settings)
        try:
            await js.stream_info(spec.name)
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)
            log.info("created stream %s", spec.name)
    for spec in all_consumers():
        wanted = consumer_config(spec, settings)
        try:
            info = await js.consumer_info(spec.stream, spec.durable)
        except NotFoundError:
            await js.add_consumer(spec.stream, wanted)
            log.info("created consumer %s on %s", spec.durable, spec.stream)
            continue
        have = info.config
        if (
            sorted(have.filter_subjects or [have.filter_subject]) != sorted(wanted.filter_subjects)
            or have.max_deliver != wanted.max_deliver
        ):
            # NATS refuses most changes to a durable: a new durable name is the way.
            log.warning("consumer %s differs from its definition; version its name", spec.durable)


async def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log.level)
    nc = await nats.connect(**connect_options(settings, PROVISIONING))
    try:
        await provision(nc.jetstream(), settings)
    finally:
        await nc.close()
    consumers = len(all_consumers())
    print(f"provisioned {len(STREAMS)} streams and {consumers} consumers")


if __name__ == "__main__":
    asyncio.run(main())
