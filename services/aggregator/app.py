"""Composition root of the aggregator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from faststream.asgi import AsgiFastStream
from sqlalchemy.exc import IntegrityError

from shared.contracts.api import aggregator as api
from shared.contracts.streams import CONSUMERS
from shared.cursors import Cursors, kept_key
from shared.db import KeptValues
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from .domain import TrustWeights
from .handlers import batch_handler
from .metrics import CONSUMER_LAG, ISOLATED_MEMBERS, MEMBERS_BY_BALANCE, PAIRS_BY_STATUS
from .model import V1, V2, HealthModel
from .projection import ProjectionTables, metadata, service_state
from .projection.pairs import carry_over_kinds
from .queries import Partials, Queries
from .state import (
    Models,
    ensure_generation_row,
    generation_model,
    generation_state,
    live_projection,
    lock_projection,
    lock_schema,
)
from .sums import ChannelSums

NAME = "aggregator"
# `metadata` (imported above) is every table of the service: the runtime and the schema
# migrations (shared.migrations) read it
GAUGE_INTERVAL = 30.0
log = logging.getLogger(__name__)


def health_model(settings: Settings, version: str | None = None) -> HealthModel:
    """The configured model (or `version` with the configured numbers): v2 unless
    RAPPORT_HEALTH_MODEL=v1; a meeting's numbers left unset take the chosen model's
    defaults."""
    thriving, steady, fading = settings.health.thresholds
    online_heavy, offline_heavy = settings.balance.bounds
    meeting = {
        name: value
        for name, value in (
            ("meeting_base", settings.health.meeting_base),
            ("meeting_minutes_per_point", settings.health.meeting_minutes_per_point),
            ("meeting_cap", settings.health.meeting_cap),
        )
        if value is not None
    }
    numbers = dict(
        half_life_days=settings.health.half_life_days,
        weights=dict(settings.health.weights),
        meeting_default_minutes=settings.health.meeting_default_minutes,
        activity_weights=dict(settings.health.activity_weights),
        thriving_at=thriving,
        steady_at=steady,
        fading_at=fading,
        at_risk_gap_factor=settings.health.at_risk_gap_factor,
        online_heavy_below=online_heavy,
        offline_heavy_above=offline_heavy,
        attention_floor=settings.health.attention_floor,
        attention_full_share=settings.health.attention_full_share,
        attention_weight=settings.health.attention_weight,
        **meeting,
    )
    if (version or settings.health.model) == V1:
        return HealthModel(**numbers)
    return HealthModel.v2(**numbers)


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    # N instances share the durables and the database; cursors are signed with the key kept
    # there (or the configured one), so any instance may answer the next page
    runtime = ServiceRuntime(NAME, metadata, settings, serialize_events=True)
    model = health_model(settings)
    models = Models({version: health_model(settings, version) for version in (V1, V2)})
    weights = TrustWeights(connected=settings.trust.connected, follow=settings.trust.follow)

    on_batch = batch_handler(models, timedelta(seconds=settings.meeting_future_tolerance))
    for spec in CONSUMERS:
        if spec.service == NAME:
            runtime.on_batch(spec.durable, on_batch)

    partials = Partials(models, weights)
    cursors = Cursors()  # its key is loaded at startup (prepare)
    queries = Queries(
        model,
        weights,
        models=models,
        partials=partials,
        reciprocate=(settings.nudge.reciprocate_ratio, settings.nudge.reciprocate_minimum),
        min_group=settings.insights.min_group,
        cursors=cursors,
    )
    runtime.serve(api.relationships, queries.relationships)
    runtime.serve(api.pair, queries.pair)
    runtime.serve(api.balance, queries.balance)
    runtime.serve(api.nudges, queries.nudges)
    runtime.serve(api.insights_org, queries.org)
    runtime.serve(api.insights_team, queries.team)
    secret = settings.cursor_secret.get_secret_value() if settings.cursor_secret else None

    gauges: list[asyncio.Task] = []

    async def prepare() -> None:
        # instances starting together take turns (PostgreSQL's DDL is transactional)
        async with runtime.engine.begin() as connection:
            await lock_schema(connection)
            # aggregator_state until the aggregator's migration 0003 creates it (checkfirst)
            await connection.run_sync(lambda c: metadata.create_all(c, tables=[service_state]))
        async with runtime.unit_of_work() as uow:
            await lock_projection(uow.session)
            await ensure_generation_row(uow.session, settings.health.model)
            live, building = await generation_state(uow.session)
            serving = await generation_model(uow.session, live)
            generations = {live} | ({building} if building else set())
            await uow.commit()
        async with runtime.engine.begin() as connection:
            await lock_schema(connection)
            for generation in generations:
                tables = ProjectionTables.of(generation)
                await connection.run_sync(
                    lambda c, t=tables.all(): metadata.create_all(c, tables=t)
                )
                if carried := await carry_over_kinds(connection, tables):
                    log.info(
                        "generation %s: sums per kind of %s pairs carried over", generation, carried
                    )
        if serving != settings.health.model:
            log.warning(
                "the live projection was built with health model %s: RAPPORT_HEALTH_MODEL=%s "
                "takes effect once `make rebuild` has replayed the streams into a new one",
                serving,
                settings.health.model,
            )
        try:
            async with runtime.unit_of_work() as uow:
                cursors.key = await kept_key(KeptValues(uow.session, service_state), secret)
                await uow.commit()
        except IntegrityError:  # another replica created it at the same moment: use its key
            async with runtime.unit_of_work() as uow:
                cursors.key = await kept_key(KeptValues(uow.session, service_state), secret)

    async def start_gauges() -> None:
        gauges.append(asyncio.create_task(refresh_gauges(runtime, models, partials)))

    async def stop_gauges() -> None:
        for task in gauges:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    runtime.lifecycle(on_startup=prepare, on_shutdown=stop_gauges)
    return runtime.asgi(after_startup=[start_gauges])


async def refresh_gauges(runtime: ServiceRuntime, models: Models, partials: Partials) -> None:
    """Pairs by status, members by balance, and consumer lag, every GAUGE_INTERVAL."""
    while True:
        try:
            now = datetime.now(UTC)
            async with runtime.unit_of_work() as uow:
                part = await partials.insights(api.PartialInsightsQuery(at=now), uow)
                projection = await live_projection(uow, models)
                model = projection.model
                members = await projection.members.active()
            for status, count in part.pairs_by_status.model_dump().items():
                PAIRS_BY_STATUS.labels(status).set(count)
            counts: dict[str, int] = {}
            for member in members:
                figures = part.member_sums.get(member) or api.ChannelFigures()
                sums = ChannelSums(figures.online, figures.offline, figures.as_of)
                status = model.balance_status(*sums.at(now, model))
                counts[status] = counts.get(status, 0) + 1
            for status in ("online_heavy", "balanced", "offline_heavy", "inactive"):
                MEMBERS_BY_BALANCE.labels(status).set(counts.get(status, 0))
            ISOLATED_MEMBERS.set(len(set(members) - set(part.steady_members)))
            for durable, pending in (await runtime.consumer_lag()).items():
                CONSUMER_LAG.labels(durable).set(pending)
        except asyncio.CancelledError:
            raise
        except Exception:  # metrics must never take the service down
            log.exception("refreshing the aggregator's gauges failed")
        await asyncio.sleep(GAUGE_INTERVAL)
