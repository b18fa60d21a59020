"""Composition root of the profiles service."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.contracts.api import profiles as api
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from .handlers import ProfileHandlers
from .store import Base
from .strength import StrengthRules

NAME = "profiles"
# every table of the service: the runtime and the schema migrations (shared.migrations) read it
metadata = Base.metadata


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    runtime = ServiceRuntime(NAME, metadata, settings)
    handlers = ProfileHandlers(StrengthRules.from_settings(settings))
    runtime.serve(api.register_member, handlers.register_member)
    runtime.serve(api.get_member, handlers.get_member)
    runtime.serve(api.update_member, handlers.update_member)
    runtime.serve(api.delete_member, handlers.delete_member)
    runtime.serve(api.list_members, handlers.list_members)
    runtime.serve(api.profile_strength, handlers.profile_strength)
    runtime.serve(api.member_of_subject, handlers.member_of_subject)
    runtime.serve(api.personal_data, handlers.personal_data)
    return runtime.asgi()
