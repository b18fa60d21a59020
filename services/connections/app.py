"""Composition root of the connections service."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.contracts.commands import (
    DecideConnectionRequest,
    MemberRef,
    PairCommand,
    SendConnectionRequest,
)
from shared.contracts.events import MemberDeleted, MemberRegistered, MemberUpdated
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from . import handlers
from .store import Base

NAME = "connections"
MEMBERS = "connections-members-v1"


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    runtime = ServiceRuntime(NAME, Base.metadata, settings or get_settings())
    runtime.rpc("send_request", SendConnectionRequest, handlers.send_request)
    runtime.rpc("accept_request", DecideConnectionRequest, handlers.accept_request)
    runtime.rpc("decline_request", DecideConnectionRequest, handlers.decline_request)
    runtime.rpc("withdraw_request", DecideConnectionRequest, handlers.withdraw_request)
    runtime.rpc("remove_connection", PairCommand, handlers.remove_connection)
    runtime.rpc("follow", PairCommand, handlers.follow)
    runtime.rpc("unfollow", PairCommand, handlers.unfollow)
    runtime.rpc("block", PairCommand, handlers.block)
    runtime.rpc("unblock", PairCommand, handlers.unblock)
    runtime.rpc("list_connections", MemberRef, handlers.list_connections)
    runtime.rpc("list_requests", MemberRef, handlers.list_requests)
    runtime.on_event(MEMBERS, MemberRegistered, handlers.on_member_profile)
    runtime.on_event(MEMBERS, MemberUpdated, handlers.on_member_profile)
    runtime.on_event(MEMBERS, MemberDeleted, handlers.on_member_deleted)
    return runtime.asgi()
