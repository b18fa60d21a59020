"""Composition root of the profiles service."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.contracts.commands import MemberRef, RegisterMember, UpdateMember
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from .handlers import ProfileHandlers
from .queries import MemberPage
from .store import Base
from .strength import StrengthRules

NAME = "profiles"


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    runtime = ServiceRuntime(NAME, Base.metadata, settings)
    handlers = ProfileHandlers(StrengthRules.from_settings(settings))
    runtime.rpc("register_member", RegisterMember, handlers.register_member)
    runtime.rpc("get_member", MemberRef, handlers.get_member)
    runtime.rpc("update_member", UpdateMember, handlers.update_member)
    runtime.rpc("delete_member", MemberRef, handlers.delete_member)
    runtime.rpc("list_members", MemberPage, handlers.list_members)
    runtime.rpc("profile_strength", MemberRef, handlers.profile_strength)
    return runtime.asgi()
