"""Composition root of the events service."""

from __future__ import annotations

from datetime import timedelta

from faststream.asgi import AsgiFastStream

from shared.contracts.api import events as api
from shared.cursors import Cursors
from shared.messaging.credentials import pull_inbox_prefix
from shared.messaging.personal_data import ProfilesOverBus, member_facts
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from . import erasure, handlers, ingestion, listings
from .retention import RetentionTask
from .store import Base

NAME = "events"
# every table of the service: the runtime and the schema migrations (shared.migrations) read it
metadata = Base.metadata
MEMBERS = "events-members-v1"
WEBHOOKS = "events-webhooks-v1"


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    runtime = ServiceRuntime(NAME, metadata, settings)
    policy = handlers.Policy(future_tolerance=timedelta(seconds=settings.meeting_future_tolerance))
    cursors = Cursors()
    runtime.serve(api.create_event, handlers.create_event)
    runtime.serve(api.update_event, handlers.update_event)
    runtime.serve(api.cancel_event, handlers.cancel_event)
    runtime.serve(api.get_event, handlers.get_event)
    runtime.serve(api.list_events, handlers.list_events_handler(cursors))
    runtime.serve(api.list_attendees, handlers.list_attendees)
    runtime.serve(api.answer_rsvp, handlers.answer_rsvp)
    runtime.serve(api.check_in, handlers.check_in_handler(policy))
    runtime.serve(api.log_meeting, handlers.log_meeting_handler(policy))
    runtime.serve(api.get_meeting, handlers.get_meeting)
    runtime.serve(api.list_member_meetings, handlers.list_member_meetings)
    runtime.serve(api.list_deliveries, ingestion.list_deliveries_handler(cursors))
    runtime.serve(api.replay_delivery, ingestion.replay_handler(policy))
    raw_deliveries = erasure.RawDeliveries(
        lambda: runtime.broker.connection.jetstream(), pull_inbox_prefix(settings, NAME)
    )
    runtime.on_batch(
        MEMBERS,
        member_facts(
            ProfilesOverBus(runtime.broker, timeout=settings.request_timeout),
            handlers.PERSONAL_FIELDS,
            on_profile=handlers.on_member_profile,
            on_deleted=erasure.member_deleted_handler(raw_deliveries),
        ),
    )
    runtime.on_message(WEBHOOKS, ingestion.delivery_handler(policy))

    secret = settings.cursor_secret.get_secret_value() if settings.cursor_secret else None

    async def load_cursor_key() -> None:
        async with runtime.unit_of_work() as uow:
            await listings.load_cursor_key(uow, cursors, secret)

    # after the schema exists, before the broker takes requests
    runtime.lifecycle(on_startup=load_cursor_key)
    retention = RetentionTask(runtime.unit_of_work, settings.webhook.retention_days)
    runtime.lifecycle(on_shutdown=retention.stop)
    return runtime.asgi(after_startup=[retention.start])
