"""Rebuild the aggregator's projection from the streams while the live one keeps serving.

    python -m services.aggregator.rebuild        (make rebuild)

1. A new generation of the projection tables is created and marked *building*: from then
   on the running aggregator applies every event it handles to both generations.
2. Every stream the aggregator reads is replayed from its first message up to its last one
   at the start, into the new generation (an ephemeral consumer per stream, batches in one
   transaction each). The new generation has an inbox of its own, so an event that arrives
   both live and by replay is applied once; and the projection does not depend on order.
3. The new generation becomes *live* and the running aggregator serves from it. The
   previous generation's tables are dropped by the next rebuild.

The new generation is built with the health model this process is configured with
(RAPPORT_HEALTH_MODEL), recorded with it: the running instances apply live events to it and
serve it with that model, whatever their own configuration. So `RAPPORT_HEALTH_MODEL=v2 make
rebuild` turns a v1 projection into v2 while v1 keeps serving, then switches.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from shared.contracts.envelope import Envelope
from shared.contracts.events import parse_event
from shared.contracts.streams import consumers_of
from shared.db import UnitOfWork, messaging_tables
from shared.engines import make_engine, session_factory
from shared.messaging.consumer.fact_checks import refusal
from shared.messaging.credentials import connect_options
from shared.messaging.permissions import PROVISIONING
from shared.settings import Settings, get_settings

from .app import health_model
from .projection import Projection, ProjectionTables, metadata
from .projector import ahead_of_arrival, project_batch
from .state import (
    ensure_generation_row,
    generation_state,
    lock_projection,
    rebuild_inbox,
    record_generation_model,
    set_generations,
)

BATCH = 500


def say(message: str) -> None:
    print(f"[rebuild] {message}", flush=True)


async def rebuild(settings: Settings) -> int:
    """Returns the new live generation."""
    engine = make_engine(settings.database_url("aggregator"))
    sessions = session_factory(engine)
    # the service's own inbox table (its runtime adds it to the same metadata)
    if "inbox" in metadata.tables:
        outbox, inbox = metadata.tables["outbox"], metadata.tables["inbox"]
    else:
        outbox, inbox, _ = messaging_tables(metadata)
    model = health_model(settings)
    tolerance = timedelta(seconds=settings.meeting_future_tolerance)

    def unit_of_work() -> UnitOfWork:
        return UnitOfWork(sessions, outbox=outbox, inbox=inbox, source="/rapport/aggregator")

    async with unit_of_work() as uow:
        await ensure_generation_row(uow.session)
        live, building = await generation_state(uow.session)
        await uow.commit()
    new = building if building is not None else live + 1  # an interrupted one starts over
    async with engine.begin() as connection:
        for old in {live - 1, new} - {live}:
            if old >= 1:  # retired generations, and a rebuild that was interrupted
                tables = ProjectionTables.of(old).all()
                await connection.run_sync(lambda c, t=tables: metadata.drop_all(c, tables=t))
        new_tables = ProjectionTables.of(new).all()
        await connection.run_sync(lambda c: metadata.create_all(c, tables=new_tables))
    async with unit_of_work() as uow:
        # recorded before the live instances start writing into it: they use its model
        await record_generation_model(uow.session, new, settings.health.model)
        await set_generations(uow.session, live=live, building=new)
        await uow.session.execute(inbox.delete().where(inbox.c.consumer == rebuild_inbox(new)))
        await uow.commit()
    say(
        f"generation {new} created (health model {settings.health.model}); the live "
        "aggregator now also writes into it"
    )

    # Replaying creates consumers: a job of the provisioning identity (docs/operations.md)
    nc = await nats.connect(**connect_options(settings, PROVISIONING))
    js = nc.jetstream()
    started = time.monotonic()
    total = 0
    try:
        for spec in consumers_of("aggregator"):
            info = await js.stream_info(spec.stream)
            last = info.state.last_seq
            if info.state.messages == 0:
                continue
            subscription = await js.pull_subscribe(
                "",
                stream=spec.stream,
                config=ConsumerConfig(
                    deliver_policy=DeliverPolicy.ALL,
                    ack_policy=AckPolicy.NONE,
                    filter_subjects=spec.filter_subjects,
                    inactive_threshold=60.0,
                ),
            )
            done = 0
            while True:
                try:
                    messages = await subscription.fetch(BATCH, timeout=2.0)
                except TimeoutError:
                    break
                items = []
                for message in messages:
                    try:
                        envelope = Envelope.model_validate_json(message.data)
                        event = parse_event(envelope)
                    except ValueError:  # unreadable: it is in the dead-letter stream
                        continue
                    if refusal(message, envelope, event, settings) is None:  # as live
                        items.append((event, envelope))
                async with unit_of_work() as uow:
                    await lock_projection(uow.session)  # the live instances write here too
                    fresh = await uow.claim_many(rebuild_inbox(new), [e.id for _, e in items])
                    # what the live consumer dead-lettered stays out of the replay too
                    await project_batch(
                        Projection(uow.session, ProjectionTables.of(new), model),
                        [
                            (event, envelope)
                            for event, envelope in items
                            if envelope.id in fresh
                            and ahead_of_arrival(event, envelope, model, tolerance) is None
                        ],
                    )
                    await uow.commit()
                done += len(messages)
                if messages[-1].metadata.sequence.stream >= last:
                    break
                if done % 5000 < BATCH:
                    say(f"{spec.stream}: {done} events replayed")
            await subscription.unsubscribe()
            total += done
            say(f"{spec.stream}: {done} events replayed (up to sequence {last})")
    finally:
        await nc.close()

    async with unit_of_work() as uow:
        await set_generations(uow.session, live=new, building=None)
        await uow.commit()
    await engine.dispose()
    say(
        f"generation {new} is live (health model {settings.health.model}): {total} events in "
        f"{time.monotonic() - started:.1f}s"
    )
    return new


def main() -> None:
    try:
        asyncio.run(rebuild(get_settings()))
    except KeyboardInterrupt:
        say("interrupted: the live generation is unchanged; run again to start over")
        sys.exit(1)


if __name__ == "__main__":
    main()
