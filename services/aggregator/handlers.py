"""The aggregator's event handler: a batch of events into the projection.

Any number of instances share one durable consumer per stream and one projection database
(PostgreSQL; SQLite is the one-instance default): JetStream spreads the batches, and every
instance answers queries straight from the projection (`queries.py`).
"""

from __future__ import annotations

import time
from datetime import timedelta

from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import MemberDeleted
from shared.db import UnitOfWork
from shared.messaging.consumer.durable import Unreadable

from .metrics import FRESHNESS, INTERACTIONS_APPLIED
from .projection import Projection, ProjectionTables
from .projector import ahead_of_arrival, only_additive, project_batch
from .state import Models, generation_state, lock_projection, rebuild_inbox


def batch_handler(models: Models, future_tolerance: timedelta):
    """Apply a batch of new events to the live generation (and to the one being rebuilt).
    An event timed too far ahead of its recording is dead-lettered with the reason (the
    batch is then handled one by one, so that only that event is)."""

    async def on_batch(items: list[tuple[Event, Envelope]], uow: UnitOfWork) -> None:
        if any(isinstance(event, MemberDeleted) for event, _ in items):
            uow.after_erasure()
        live, building = await generation_state(uow.session)
        model = await models.of(uow.session, live)
        for event, envelope in items:
            reason = ahead_of_arrival(event, envelope, model, future_tolerance)
            if reason is not None:
                raise Unreadable(reason)
        await lock_projection(uow.session, shared=only_additive(items))
        live, building = await generation_state(uow.session)  # as of holding the lock
        model = await models.of(uow.session, live)
        applied = await project_batch(
            Projection(uow.session, ProjectionTables.of(live), model), items
        )
        # while a rebuild runs, live events also go into the new generation (its own inbox
        # makes the replay of the same event harmless)
        if building is not None:
            fresh = await uow.claim_many(rebuild_inbox(building), [e.id for _, e in items])
            models.forget(building)  # a rebuild that starts over may change its model
            await project_batch(
                Projection(
                    uow.session,
                    ProjectionTables.of(building),
                    await models.of(uow.session, building),
                ),
                [(event, envelope) for event, envelope in items if envelope.id in fresh],
            )
        for interaction in applied:
            INTERACTIONS_APPLIED.labels(interaction.kind, interaction.channel).inc()
        now = time.time()
        for _, envelope in items:
            FRESHNESS.observe(max(0.0, now - envelope.time.timestamp()))

    return on_batch
