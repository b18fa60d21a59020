"""Composition root of the content service."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.contracts.content import (
    CommentAction,
    CommentsPage,
    ConversationPage,
    CreateComment,
    CreateGroup,
    CreatePost,
    EditPost,
    FeedPage,
    GroupMembership,
    GroupMessagesPage,
    GroupView,
    MemberQuery,
    Mute,
    PostAction,
    PostGroupMessage,
    RemoveReaction,
    SendDirectMessage,
    SetReaction,
    SharePost,
)
from shared.contracts.events import (
    EVENT_TYPES,
    MemberDeleted,
    MemberRegistered,
    MemberUpdated,
)
from shared.contracts.streams import CONSUMERS
from shared.service import ServiceRuntime
from shared.settings import Settings, get_settings

from .handlers import Content, ContentConfig
from .store import Base

NAME = "content"
MEMBERS = "content-members-v1"
CONNECTIONS = "content-connections-v1"


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    runtime = ServiceRuntime(NAME, Base.metadata, settings)
    content = Content(ContentConfig.from_settings(settings))

    runtime.rpc("create_post", CreatePost, content.create_post)
    runtime.rpc("get_post", PostAction, content.get_post)
    runtime.rpc("edit_post", EditPost, content.edit_post)
    runtime.rpc("delete_post", PostAction, content.delete_post)
    runtime.rpc("create_comment", CreateComment, content.create_comment)
    runtime.rpc("delete_comment", CommentAction, content.delete_comment)
    runtime.rpc("list_comments", CommentsPage, content.list_comments)
    runtime.rpc("set_reaction", SetReaction, content.set_reaction)
    runtime.rpc("remove_reaction", RemoveReaction, content.remove_reaction)
    runtime.rpc("share_post", SharePost, content.share_post)
    runtime.rpc("create_group", CreateGroup, content.create_group)
    runtime.rpc("get_group", GroupView, content.get_group)
    runtime.rpc("put_group_member", GroupMembership, content.put_group_member)
    runtime.rpc("remove_group_member", GroupMembership, content.remove_group_member)
    runtime.rpc("post_group_message", PostGroupMessage, content.post_group_message)
    runtime.rpc("list_group_messages", GroupMessagesPage, content.list_group_messages)
    runtime.rpc("send_direct_message", SendDirectMessage, content.send_direct_message)
    runtime.rpc("list_conversation", ConversationPage, content.list_conversation)
    runtime.rpc("feed", FeedPage, content.feed)
    runtime.rpc("mute", Mute, content.mute)
    runtime.rpc("unmute", Mute, content.unmute)
    runtime.rpc("list_mutes", MemberQuery, content.list_mutes)
    runtime.rpc("content_stats", MemberQuery, content.content_stats)

    runtime.on_event(MEMBERS, MemberRegistered, content.on_member_profile)
    runtime.on_event(MEMBERS, MemberUpdated, content.on_member_profile)
    runtime.on_event(MEMBERS, MemberDeleted, content.on_member_deleted)
    (connections,) = (c for c in CONSUMERS if c.durable == CONNECTIONS)
    for event_type in connections.event_types:
        runtime.on_event(CONNECTIONS, EVENT_TYPES[event_type], content.on_connection_event)

    app = runtime.asgi()

    async def prepare() -> None:
        async with runtime.unit_of_work() as uow:
            await content.prepare(uow)

    app.on_startup(prepare)  # after the schema exists, before the broker takes messages
    return app
