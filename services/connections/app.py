"""Composition root of the connections service."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.contracts.api import connections as api
from shared.contracts.events import (
    AttendeeCheckedIn,
    EventCancelled,
    EventCreated,
    EventUpdated,
    GroupCreated,
    GroupMemberJoined,
    GroupMemberLeft,
    RsvpChanged,
)
from shared.messaging.personal_data import ProfilesOverBus, member_facts
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from . import handlers
from .index_feed import IndexFeed
from .store import PERSONAL_FIELDS, Base
from .suggestions.rules import SuggestionRules

NAME = "connections"
# every table of the service: the runtime and the schema migrations (shared.migrations) read it
metadata = Base.metadata
MEMBERS = "connections-members-v1"
GROUPS = "connections-groups-v1"
GATHERINGS = "connections-events-v1"


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    runtime = ServiceRuntime(NAME, metadata, settings)
    runtime.serve(api.send_request, handlers.send_request)
    runtime.serve(api.accept_request, handlers.accept_request)
    runtime.serve(api.decline_request, handlers.decline_request)
    runtime.serve(api.withdraw_request, handlers.withdraw_request)
    runtime.serve(api.remove_connection, handlers.remove_connection)
    runtime.serve(api.follow, handlers.follow)
    runtime.serve(api.unfollow, handlers.unfollow)
    runtime.serve(api.block, handlers.block)
    runtime.serve(api.unblock, handlers.unblock)
    runtime.serve(api.list_connections, handlers.list_connections)
    runtime.serve(api.list_requests, handlers.list_requests)
    runtime.serve(api.list_blocks, handlers.list_blocks)
    runtime.on_batch(
        MEMBERS,
        member_facts(
            ProfilesOverBus(runtime.broker, timeout=settings.request_timeout),
            PERSONAL_FIELDS,
            on_profile=handlers.on_member_profile,
            on_deleted=handlers.on_member_deleted,
        ),
    )
    runtime.on_event(GROUPS, GroupCreated, handlers.on_group_created)
    runtime.on_event(GROUPS, GroupMemberJoined, handlers.on_group_member_joined)
    runtime.on_event(GROUPS, GroupMemberLeft, handlers.on_group_member_left)
    runtime.on_event(GATHERINGS, EventCreated, handlers.on_event_details)
    runtime.on_event(GATHERINGS, EventUpdated, handlers.on_event_details)
    runtime.on_event(GATHERINGS, EventCancelled, handlers.on_event_cancelled)
    runtime.on_event(GATHERINGS, RsvpChanged, handlers.on_rsvp_changed)
    runtime.on_event(GATHERINGS, AttendeeCheckedIn, handlers.on_attendee_checked_in)

    feed = IndexFeed(
        runtime.sessions,
        grace=settings.suggestion.change_grace,
        retention=settings.suggestion.change_retention,
        refresh_interval=settings.suggestion.refresh_interval,
    )
    suggestions = handlers.SuggestionQueries(feed, SuggestionRules.from_settings(settings))
    runtime.serve(api.suggestions, suggestions.suggestions)
    runtime.serve(api.dismiss_suggestion, suggestions.dismiss_suggestion)
    runtime.lifecycle(on_startup=feed.start, on_shutdown=feed.stop)
    return runtime.asgi()
