"""Composition root of the gateway."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from faststream.nats import NatsBroker

from shared.logging import configure_logging
from shared.settings import Settings, get_settings

from . import problems
from .backends import Backends
from .middleware import BodySizeLimit, RequestMetrics
from .routes import connections, content, members, operations, relationships

NAME = "gateway"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(NAME, level=settings.log_level, fmt=settings.log_format)
    broker = NatsBroker(
        settings.nats_url.split(","), name="rapport-gateway", max_reconnect_attempts=-1
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await broker.connect()
        app.state.backends = Backends(broker, settings.request_timeout)
        yield
        await broker.stop()

    app = FastAPI(
        title="Rapport API",
        version="1",
        description=(
            "Org-wide professional networking: members, connections, relationships, posts, "
            "groups, chats and the feed."
        ),
        lifespan=lifespan,
    )
    problems.install(app)
    for module in (members, connections, content, relationships, operations):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestMetrics)
    return app
