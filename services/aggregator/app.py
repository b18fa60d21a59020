"""Composition root of the aggregator."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.contracts.commands import MemberRef
from shared.contracts.events import EVENT_TYPES, MemberDeleted, MemberRegistered
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from . import handlers
from .domain import TrustWeights
from .store import Base

NAME = "aggregator"
MEMBERS = "aggregator-members-v1"
CONNECTIONS = "aggregator-connections-v1"


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    runtime = ServiceRuntime(NAME, Base.metadata, settings)
    weights = TrustWeights(connected=settings.trust_connected, follow=settings.trust_follow)
    runtime.rpc("relationships", MemberRef, handlers.relationships_query(weights))
    runtime.on_event(MEMBERS, MemberRegistered, handlers.on_member_registered)
    runtime.on_event(MEMBERS, MemberDeleted, handlers.on_member_deleted)
    for event_type in EVENT_TYPES.values():
        if event_type.domain == "connections":
            runtime.on_event(CONNECTIONS, event_type, handlers.on_connection_event)
    return runtime.asgi()
