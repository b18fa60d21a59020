"""The feed (posts and shares, newest first or by value) and mutes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ...fields import MemberId
from ...operations import SELF, Answer, Done, Request, operation
from .common import SERVICE, FeedOrder, Id, MemberCard, MemberQuery, Page
from .posts import PostView


class FeedPage(Page):
    member_id: MemberId
    order: FeedOrder = "recent"


class Mute(Request):
    member_id: MemberId
    target_id: Id


class FeedItem(Answer):
    """A post, or a share of one (then with who shared it and their comment)."""

    kind: Literal["post", "share"]
    id: str
    at: datetime
    shared_by: MemberCard | None = None
    comment: str | None = None
    post: PostView


class Feed(Answer):
    member_id: str
    order: FeedOrder
    items: list[FeedItem]
    next_cursor: str | None


class MuteView(Answer):
    member_id: str
    target_id: str
    kind: Literal["member", "group"]
    muted: bool
    since: datetime


class MuteList(Answer):
    member_id: str
    items: list[MuteView]


feed = operation(
    SERVICE,
    "feed",
    FeedPage,
    Feed,
    "Posts and shares from the member's connections, follows and groups",
    errors=(404,),
    access=SELF(),
)
mute = operation(
    SERVICE,
    "mute",
    Mute,
    MuteView,
    "Mute a member or a group: their posts leave the member's feed",
    errors=(404, 422),
    access=SELF(),
)
unmute = operation(SERVICE, "unmute", Mute, Done, "Lift a mute", errors=(404,), access=SELF())
list_mutes = operation(
    SERVICE,
    "list_mutes",
    MemberQuery,
    MuteList,
    "The members and groups a member muted",
    errors=(404,),
    access=SELF(),
)
