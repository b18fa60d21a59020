"""Composition root of the profiles service."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.contracts.commands import MemberRef, RegisterMember, UpdateMember
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from . import handlers
from .queries import MemberPage
from .store import Base

NAME = "profiles"


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    runtime = ServiceRuntime(NAME, Base.metadata, settings or get_settings())
    runtime.rpc("register_member", RegisterMember, handlers.register_member)
    runtime.rpc("get_member", MemberRef, handlers.get_member)
    runtime.rpc("update_member", UpdateMember, handlers.update_member)
    runtime.rpc("delete_member", MemberRef, handlers.delete_member)
    runtime.rpc("list_members", MemberPage, handlers.list_members)
    return runtime.asgi()
