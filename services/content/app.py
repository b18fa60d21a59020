"""Composition root of the content service: settings -> context -> each feature's handlers,
subscribed to their declared operations and to the facts content copies."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.contracts.api import content as api
from shared.contracts.events import EVENT_TYPES
from shared.contracts.streams import CONSUMERS
from shared.messaging.personal_data import ProfilesOverBus, member_facts
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from .chats.handlers import ChatHandlers
from .context import ContentConfig, Context
from .copies.handlers import PERSONAL_FIELDS, on_connection_event, on_member_profile
from .engagement.handlers import EngagementHandlers
from .erasure import ErasureHandlers
from .feed.handlers import FeedHandlers
from .groups.handlers import GroupHandlers
from .posts.handlers import PostHandlers
from .schema import metadata
from .startup import prepare
from .stats import StatsHandlers

NAME = "content"
# `metadata` (imported above) is every table of the service: the runtime and the schema
# migrations (shared.migrations) read it
MEMBERS = "content-members-v1"
CONNECTIONS = "content-connections-v1"


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    runtime = ServiceRuntime(NAME, metadata, settings)
    context = Context(ContentConfig.from_settings(settings))

    posts = PostHandlers(context)
    runtime.serve(api.create_post, posts.create_post)
    runtime.serve(api.get_post, posts.get_post)
    runtime.serve(api.edit_post, posts.edit_post)
    runtime.serve(api.delete_post, posts.delete_post)

    engagement = EngagementHandlers(context)
    runtime.serve(api.create_comment, engagement.create_comment)
    runtime.serve(api.delete_comment, engagement.delete_comment)
    runtime.serve(api.list_comments, engagement.list_comments)
    runtime.serve(api.set_reaction, engagement.set_reaction)
    runtime.serve(api.remove_reaction, engagement.remove_reaction)
    runtime.serve(api.share_post, engagement.share_post)

    groups = GroupHandlers(context)
    runtime.serve(api.create_group, groups.create_group)
    runtime.serve(api.get_group, groups.get_group)
    runtime.serve(api.list_member_groups, groups.list_member_groups)
    runtime.serve(api.list_open_groups, groups.list_open_groups)
    runtime.serve(api.put_group_member, groups.put_group_member)
    runtime.serve(api.remove_group_member, groups.remove_group_member)

    chats = ChatHandlers(context)
    runtime.serve(api.post_group_message, chats.post_group_message)
    runtime.serve(api.list_group_messages, chats.list_group_messages)
    runtime.serve(api.send_direct_message, chats.send_direct_message)
    runtime.serve(api.list_conversation, chats.list_conversation)
    runtime.serve(api.list_conversations, chats.list_conversations)

    feed = FeedHandlers(context)
    runtime.serve(api.feed, feed.feed)
    runtime.serve(api.mute, feed.mute)
    runtime.serve(api.unmute, feed.unmute)
    runtime.serve(api.list_mutes, feed.list_mutes)
    runtime.serve(api.content_stats, StatsHandlers(context).content_stats)

    profiles = ProfilesOverBus(runtime.broker, timeout=settings.request_timeout)
    runtime.on_batch(
        MEMBERS,
        member_facts(
            profiles,
            PERSONAL_FIELDS,
            on_profile=on_member_profile,
            on_deleted=ErasureHandlers(context).on_member_deleted,
        ),
    )
    (connections,) = (c for c in CONSUMERS if c.durable == CONNECTIONS)
    for event_type in connections.event_types:
        runtime.on_event(CONNECTIONS, EVENT_TYPES[event_type], on_connection_event)

    app = runtime.asgi()

    async def prepared() -> None:
        async with runtime.unit_of_work() as uow:
            await prepare(context, uow)

    app.on_startup(prepared)  # after the schema exists, before the broker takes messages
    return app
