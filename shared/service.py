"""What every back-end service is made of, wired the same way: a NATS broker, a database with
outbox and inbox, the outbox relay, RPC endpoints, durable event consumers, `/metrics` and
`/healthz` over HTTP, structured logs and a graceful stop.

A service's `app.py` (its composition root) calls `ServiceRuntime` and registers handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.nats import JStream, NatsBroker
from faststream.nats.prometheus import NatsPrometheusMiddleware
from faststream.specification import AsyncAPI
from prometheus_client import REGISTRY, make_asgi_app
from pydantic import BaseModel
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import EVENT_TYPES
from shared.contracts.streams import consumers_of, stream_for_domain
from shared.contracts.subjects import event_subject
from shared.db import UnitOfWork, create_schema, make_engine, messaging_tables
from shared.logging import configure_logging
from shared.messaging.consumer import EventConsumer, EventHandler
from shared.messaging.outbox import OutboxRelay
from shared.messaging.rpc import rpc_endpoint
from shared.settings import Settings

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class ServiceRuntime:
    def __init__(self, name: str, metadata: MetaData, settings: Settings) -> None:
        self.name = name
        self.settings = settings
        configure_logging(name, level=settings.log_level, fmt=settings.log_format)
        self.engine = make_engine(settings.database_url(name))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.metadata = metadata
        self.outbox, self.inbox = messaging_tables(metadata)
        self.broker = NatsBroker(
            settings.nats_url.split(","),
            middlewares=[NatsPrometheusMiddleware(registry=REGISTRY, app_name=name)],
            graceful_timeout=settings.graceful_timeout,
            name=f"rapport-{name}",
            max_reconnect_attempts=-1,
        )
        self._publishers = {
            event_subject(cls): self.broker.publisher(
                event_subject(cls),
                stream=JStream(stream_for_domain(cls.domain), declare=False),
                schema=Envelope,
                title=event_subject(cls),
                description=cls.__doc__,
            )
            for cls in EVENT_TYPES.values()
            if cls.domain == name
        }
        self.relay = OutboxRelay(
            self.sessions,
            self.outbox,
            self._publish,
            service=name,
            batch_size=settings.outbox_batch_size,
            poll_interval=settings.outbox_poll_interval,
        )
        self._handlers: dict[str, dict[type[Event], EventHandler]] = {
            spec.durable: {} for spec in consumers_of(name)
        }
        self._on_startup: list[Callable[[], Awaitable[None]]] = []
        self._on_shutdown: list[Callable[[], Awaitable[None]]] = []
        self.rpc("ping", _Ping, self._ping)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(
            self.sessions,
            outbox=self.outbox,
            inbox=self.inbox,
            source=f"/rapport/{self.name}",
            after_commit=self.relay.wake,
        )

    async def _publish(self, subject: str, payload: bytes, event_id: str) -> Any:
        return await self._publishers[subject].publish(
            payload,
            headers={"Nats-Msg-Id": event_id, "content-type": "application/cloudevents+json"},
        )

    def rpc(
        self,
        operation: str,
        request: type[M],
        handler: Callable[[M, UnitOfWork], Awaitable[Any]],
    ) -> None:
        """Answer `operation` with `handler(command, unit_of_work)`."""

        async def with_unit_of_work(command: M) -> Any:
            async with self.unit_of_work() as uow:
                return await handler(command, uow)

        with_unit_of_work.__doc__ = handler.__doc__
        rpc_endpoint(
            self.broker,
            service=self.name,
            operation=operation,
            request=request,
            handler=with_unit_of_work,
        )

    def on_event(self, durable: str, event: type[Event], handler: EventHandler) -> None:
        self._handlers[durable][event] = handler

    async def _ping(self, _: _Ping, uow: UnitOfWork) -> dict:
        """Readiness: the service answers and its database does too."""
        await uow.session.execute(text("SELECT 1"))
        return {"service": self.name, "status": "ok"}

    def lifecycle(
        self,
        *,
        on_startup: Callable[[], Awaitable[None]] | None = None,
        on_shutdown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Run `on_startup` once the schema exists and before the broker takes messages, and
        `on_shutdown` when the service stops."""
        if on_startup is not None:
            self._on_startup.append(on_startup)
        if on_shutdown is not None:
            self._on_shutdown.append(on_shutdown)

    def asgi(self) -> AsgiFastStream:
        for spec in consumers_of(self.name):
            EventConsumer(
                spec=spec,
                handlers=self._handlers[spec.durable],
                unit_of_work=self.unit_of_work,
                broker=self.broker,
                settings=self.settings,
                service=self.name,
            ).subscribe()

        broker = self.broker

        @get
        async def healthz(scope) -> AsgiResponse:
            return (
                AsgiResponse(b"ok", 200)
                if await broker.ping(2.0)
                else AsgiResponse(b"nats unreachable", 503)
            )

        return AsgiFastStream(
            self.broker,
            asgi_routes=[("/metrics", make_asgi_app(REGISTRY)), ("/healthz", healthz)],
            on_startup=[self._create_schema, *self._on_startup],
            after_startup=[self.relay.start],
            on_shutdown=[self.relay.stop, *self._on_shutdown],
            after_shutdown=[self.engine.dispose],
            specification=AsyncAPI(title=f"rapport-{self.name}", version="1"),
        )

    async def _create_schema(self) -> None:
        await create_schema(self.engine, self.metadata)


class _Ping(BaseModel):
    pass


def serve(app: AsgiFastStream, settings: Settings, service: str) -> None:
    """Run a service's ASGI app (broker + /metrics + /healthz) until SIGINT/SIGTERM."""
    import uvicorn

    uvicorn.run(
        app,
        host=settings.host,
        port=settings.http_port(service),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.graceful_timeout),
    )
