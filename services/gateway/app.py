"""Composition root of the gateway."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from faststream.nats import NatsBroker

from services.web import app as web
from shared import natsmetrics
from shared.logging import configure_logging
from shared.messaging.credentials import broker_options
from shared.settings import Settings, get_settings
from shared.webhooks.adapters import ADAPTERS

from . import access, auth, openapi, problems
from .backends import Backends
from .middleware import BodySizeLimit, InputHygiene, RequestMetrics
from .routes import (
    connections,
    content,
    events,
    meetings,
    members,
    operations,
    relationships,
    webhooks,
)
from .webhooks import RateLimits

NAME = "gateway"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(NAME, level=settings.log.level, fmt=settings.log.format)
    unknown = {s: a for s, a in settings.webhook.sources().items() if a not in ADAPTERS}
    if unknown:
        raise ValueError(f"webhook sources with no such payload adapter: {unknown}")
    broker = NatsBroker(
        **broker_options(settings, NAME),
        name="rapport-gateway",
        max_reconnect_attempts=-1,
        log_level=logging.DEBUG,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await broker.connect()
        app.state.backends = Backends(broker, settings.request_timeout)
        # NATS and JetStream health for the dashboards and alerts (no other exporter)
        servers = natsmetrics.monitor_urls(settings.nats.monitor_urls)
        async with natsmetrics.watching(lambda: broker.connection, servers):
            yield
        await broker.stop()

    app = FastAPI(
        title="Rapport API",
        version="1",
        description=(
            "Org-wide professional networking: members, connections, relationship health, "
            "posts, groups, chats and the feed, events and meetings, and signed webhooks "
            "from event platforms."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.webhook_limits = RateLimits(settings.webhook.rate, settings.webhook.burst)
    problems.install(app)
    auth.install(app, settings)
    openapi.install(app)
    for module in (
        members,
        connections,
        content,
        relationships,
        events,
        meetings,
        webhooks,
        operations,
    ):
        app.include_router(module.router)
    access.install(app)
    # The web app under / (pages, sign-in, static files), a client of the API above; its
    # forms post urlencoded bodies, which the API's JSON checks leave alone.
    web.install(app, settings)
    # Outermost last: metrics see every answer, the size limit holds before anything buffers.
    app.add_middleware(InputHygiene, exempt=(webhooks.PREFIX, *web.form_paths(app)))
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        path_limits={webhooks.PREFIX: settings.webhook.max_body_bytes},
        on_refused=webhooks.count_refused_body(settings),
    )
    app.add_middleware(RequestMetrics)
    return app
