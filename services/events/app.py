"""Composition root of the events service."""

from __future__ import annotations

from datetime import timedelta

from faststream.asgi import AsgiFastStream

from shared.contracts.commands import MemberRef
from shared.contracts.events import MemberDeleted, MemberRegistered, MemberUpdated
from shared.contracts.gatherings import (
    AnswerRsvp,
    CheckIn,
    CreateEvent,
    DeliveryQuery,
    DeliveryRef,
    EventQuery,
    EventRef,
    LogMeeting,
    MeetingRef,
    UpdateEvent,
)
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from . import handlers, ingestion
from .store import Base

NAME = "events"
MEMBERS = "events-members-v1"
WEBHOOKS = "events-webhooks-v1"


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    runtime = ServiceRuntime(NAME, Base.metadata, settings)
    policy = handlers.Policy(future_tolerance=timedelta(seconds=settings.meeting_future_tolerance))
    runtime.rpc("create_event", CreateEvent, handlers.create_event)
    runtime.rpc("update_event", UpdateEvent, handlers.update_event)
    runtime.rpc("cancel_event", EventRef, handlers.cancel_event)
    runtime.rpc("get_event", EventRef, handlers.get_event)
    runtime.rpc("list_events", EventQuery, handlers.list_events)
    runtime.rpc("list_attendees", EventRef, handlers.list_attendees)
    runtime.rpc("answer_rsvp", AnswerRsvp, handlers.answer_rsvp)
    runtime.rpc("check_in", CheckIn, handlers.check_in_handler(policy))
    runtime.rpc("log_meeting", LogMeeting, handlers.log_meeting_handler(policy))
    runtime.rpc("get_meeting", MeetingRef, handlers.get_meeting)
    runtime.rpc("list_member_meetings", MemberRef, handlers.list_member_meetings)
    runtime.rpc("list_deliveries", DeliveryQuery, ingestion.list_deliveries)
    runtime.rpc("replay_delivery", DeliveryRef, ingestion.replay_handler(policy))
    runtime.on_event(MEMBERS, MemberRegistered, handlers.on_member_profile)
    runtime.on_event(MEMBERS, MemberUpdated, handlers.on_member_profile)
    runtime.on_event(MEMBERS, MemberDeleted, handlers.on_member_deleted)
    runtime.on_message(WEBHOOKS, ingestion.delivery_handler(policy))
    return runtime.asgi()
