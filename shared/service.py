"""What every back-end service is made of, wired the same way: a NATS broker, a database with
outbox and inbox, the outbox relay, RPC endpoints, durable event consumers, `/metrics` and
`/healthz` over HTTP, structured logs and a graceful stop.

A service's `app.py` (its composition root) calls `ServiceRuntime` and registers handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.nats import JStream, NatsBroker
from faststream.nats.prometheus import NatsPrometheusMiddleware
from faststream.specification import AsyncAPI
from prometheus_client import REGISTRY, make_asgi_app
from pydantic import BaseModel
from sqlalchemy import MetaData, text
from sqlalchemy.exc import IntegrityError

from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import EVENT_TYPES
from shared.contracts.operations import Operation, Ping, Pong, operations_of
from shared.contracts.streams import consumers_of, stream_for_domain
from shared.contracts.subjects import event_subject
from shared.db import UnitOfWork, messaging_tables
from shared.engines import make_engine, session_factory
from shared.errors import Conflict
from shared.logging import configure_logging
from shared.messaging.consumer.events import BatchHandler, EventConsumer, EventHandler
from shared.messaging.consumer.messages import MessageConsumer, MessageHandler
from shared.messaging.credentials import broker_options
from shared.messaging.outbox import OutboxRelay
from shared.messaging.rpc import checked_reply, fingerprint, rpc_endpoint
from shared.migrations import upgrade as upgrade_schema
from shared.settings import Settings

log = logging.getLogger(__name__)

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)


class ServiceRuntime:
    def __init__(
        self,
        name: str,
        metadata: MetaData,
        settings: Settings,
        *,
        partition: tuple[int, int] = (0, 1),
        serialize_events: bool = False,
    ) -> None:
        """`partition`: (index, count) of a partitioned service's instance.
        `serialize_events`: apply one transaction at a time across all of the service's
        consumers (for projections whose rows several streams update)."""
        self.name = name
        self.settings = settings
        configure_logging(name, level=settings.log.level, fmt=settings.log.format)
        self.engine = make_engine(
            settings.database_url(name), pool_size=settings.database_pool_size
        )
        self.sessions = session_factory(self.engine)
        self.metadata = metadata
        self.outbox, self.inbox, self.idempotency = messaging_tables(metadata)
        self.broker = NatsBroker(
            **broker_options(settings, name),
            middlewares=[NatsPrometheusMiddleware(registry=REGISTRY, app_name=name)],
            graceful_timeout=settings.graceful_timeout,
            name=f"rapport-{name}",
            max_reconnect_attempts=-1,
            log_level=logging.DEBUG,  # a line per message is noise (and costs) at INFO
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
            batch_size=settings.outbox.batch_size,
            poll_interval=settings.outbox.poll_interval,
        )
        # handlers are registered by a durable's base name; a partition reads its own copy
        self._consumers = dict(
            zip(
                (spec.durable for spec in consumers_of(name)),
                consumers_of(name, partition),
                strict=True,
            )
        )
        self._handlers: dict[str, dict[type[Event], EventHandler]] = {
            durable: {} for durable, spec in self._consumers.items() if not spec.raw
        }
        self._batch_handlers: dict[str, BatchHandler] = {}
        self._message_handlers: dict[str, MessageHandler] = {}
        self._event_lock = asyncio.Lock() if serialize_events else None
        self._on_startup: list[Callable[[], Awaitable[None]]] = []
        self._on_shutdown: list[Callable[[], Awaitable[None]]] = []
        self.operations = {op.name: op for op in operations_of(name)}
        self.serve(self.operations["ping"], self._ping)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(
            self.sessions,
            outbox=self.outbox,
            inbox=self.inbox,
            source=f"/rapport/{self.name}",
            after_commit=self.relay.wake,
            idempotency=self.idempotency,
        )

    async def _publish(self, subject: str, payload: bytes, event_id: str) -> Any:
        return await self._publishers[subject].publish(
            payload,
            headers={"Nats-Msg-Id": event_id, "content-type": "application/cloudevents+json"},
        )

    def serve(
        self,
        operation: Operation[Req, Rep],
        handler: Callable[[Req, UnitOfWork], Awaitable[Rep | dict]],
    ) -> None:
        """Answer `operation` with `handler(request, unit_of_work)`. An idempotent write
        retried with the same Idempotency-Key gets its first answer and writes nothing."""
        if operation.service != self.name:
            raise ValueError(f"{self.name} cannot answer {operation.subject}")

        async def run(request: Req, key: str | None, data: bytes) -> Rep | dict:
            if key is None:
                async with self.unit_of_work() as uow:
                    return await handler(request, uow)
            try:
                return await self._run_once(operation, handler, request, key, fingerprint(data))
            except (IntegrityError, Conflict):
                # A concurrent retry with the same key may have committed first (its write
                # then conflicts with ours): answer as it did.
                async with self.unit_of_work() as uow:
                    stored = await uow.recall(operation.name, key, fingerprint(data))
                if stored is None:
                    raise
                return operation.reply.model_validate_json(stored)

        rpc_endpoint(self.broker, operation, run, workers=self.settings.rpc_workers)

    async def _run_once(self, operation, handler, request, key: str, print_: str):
        async with self.unit_of_work() as uow:
            stored = await uow.recall(operation.name, key, print_)
            if stored is not None:
                return operation.reply.model_validate_json(stored)
            result = await handler(request, uow)
            reply = checked_reply(operation, result)
            await uow.remember(operation.name, key, print_, reply.model_dump_json().encode())
            return reply

    async def _forget_old_idempotency_keys(self) -> None:
        """Hourly: drop the answers of idempotent writes older than the configured keep."""
        while True:
            cutoff = datetime.now(UTC) - timedelta(hours=self.settings.idempotency_key_hours)
            async with self.unit_of_work() as uow:
                await uow.forget_older_than(cutoff)
            await asyncio.sleep(3600)

    def on_event(self, durable: str, event: type[Event], handler: EventHandler) -> None:
        self._handlers[durable][event] = handler

    def on_batch(self, durable: str, handler: BatchHandler) -> None:
        """Handle every event of a durable, a batch at a time (see EventConsumer)."""
        self._batch_handlers[durable] = handler

    def on_message(self, durable: str, handler: MessageHandler) -> None:
        """Handle the raw messages of a durable consumer whose spec lists subjects."""
        self._message_handlers[durable] = handler

    async def _ping(self, _: Ping, uow: UnitOfWork) -> Pong:
        """Readiness: the service answers and its database does too."""
        await uow.session.execute(text("SELECT 1"))
        return Pong(service=self.name, status="ok")

    async def consumer_lag(self) -> dict[str, int]:
        """Messages each of this service's durables has not yet received."""
        js = self.broker.connection.jetstream()
        lag = {}
        for spec in self._consumers.values():
            info = await js.consumer_info(spec.stream, spec.durable)
            lag[spec.durable] = info.num_pending or 0
        return lag

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

    def asgi(
        self,
        *,
        after_startup: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> AsgiFastStream:
        """The service as an ASGI app; `after_startup` hooks run once the broker started
        (see also `lifecycle`)."""
        self._event_consumers = []
        for durable, spec in self._consumers.items():
            common = dict(
                spec=spec,
                unit_of_work=self.unit_of_work,
                broker=self.broker,
                settings=self.settings,
                service=self.name,
            )
            consumer = (
                MessageConsumer(**common, handler=self._message_handlers[durable])
                if spec.raw
                else EventConsumer(
                    **common,
                    handlers=self._handlers[durable],
                    lock=self._event_lock,
                    batch_handler=self._batch_handlers.get(durable),
                )
            )
            consumer.subscribe()
            self._event_consumers.append(consumer)

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
            after_startup=[
                self.relay.start,
                self._start_consumers,
                self._start_housekeeping,
                *after_startup,
            ],
            on_shutdown=[
                *self._on_shutdown,
                self._stop_housekeeping,
                self._stop_consumers,
                self.relay.stop,
            ],
            after_shutdown=[self.engine.dispose],
            specification=AsyncAPI(title=f"rapport-{self.name}", version="1"),
        )

    async def _start_housekeeping(self) -> None:
        self._housekeeping = asyncio.create_task(self._forget_old_idempotency_keys())

    async def _stop_housekeeping(self) -> None:
        self._housekeeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._housekeeping

    async def _start_consumers(self) -> None:
        for consumer in self._event_consumers:
            await consumer.start()

    async def _stop_consumers(self) -> None:
        await asyncio.gather(*(consumer.stop() for consumer in self._event_consumers))

    async def _create_schema(self) -> None:
        """Upgrade the database to the head revision (shared/migrations)."""
        await upgrade_schema(self.engine, self.name)


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
