"""Groups: creating them, reading one, joining, inviting, leaving, removing, a member's groups."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ...fields import MemberId
from ...operations import SELF, Answer, Done, Request, operation
from .common import (
    SERVICE,
    GroupName,
    GroupTopic,
    Id,
    MemberCard,
    MemberQuery,
    Page,
    Privacy,
)


class NewGroup(Request):
    """POST /v1/groups: the caller owns the group."""

    name: GroupName
    topic: GroupTopic = ""
    privacy: Privacy = "open"


class CreateGroup(NewGroup):
    owner_id: MemberId


class GroupQuery(Request):
    group_id: Id
    member_id: MemberId


class OpenGroupsPage(Page):
    """GET /v1/groups: the open groups anyone may join, newest first; `member_id` is the
    caller (their status in each)."""

    member_id: MemberId


class GroupMembership(Request):
    """`actor_id` puts `member_id` into a group: themselves (join) or another (invite)."""

    group_id: Id
    member_id: MemberId
    actor_id: MemberId


class GroupMemberView(MemberCard):
    role: Literal["owner", "member"]
    joined_at: datetime


class GroupView(Answer):
    id: str
    name: str
    topic: str
    privacy: Privacy
    owner_id: str | None
    created_at: datetime
    member_count: int
    members: list[GroupMemberView]
    status: Literal["member", "invited", "none"]


class MembershipView(Answer):
    group_id: str
    member_id: str
    status: Literal["member", "invited"]
    role: Literal["owner", "member"] | None


class GroupSummary(Answer):
    id: str
    name: str
    topic: str
    privacy: Privacy
    member_count: int
    status: Literal["member", "invited"]


class MemberGroups(Answer):
    member_id: str
    items: list[GroupSummary]


class OpenGroup(Answer):
    id: str
    name: str
    topic: str
    member_count: int
    created_at: datetime
    status: Literal["member", "none"]


class OpenGroups(Answer):
    items: list[OpenGroup]
    next_cursor: str | None


create_group = operation(
    SERVICE,
    "create_group",
    CreateGroup,
    GroupView,
    "Create a group",
    errors=(404,),
    idempotent=True,
    access=SELF("owner_id"),
)
get_group = operation(
    SERVICE,
    "get_group",
    GroupQuery,
    GroupView,
    "A group, its first members and the reader's status",
    errors=(404,),
    access=SELF(),
)
put_group_member = operation(
    SERVICE,
    "put_group_member",
    GroupMembership,
    MembershipView,
    "Join a group (open, or private when invited); as its owner, invite to a private one",
    errors=(403, 404, 409, 422),
    access=SELF("actor_id"),
)
remove_group_member = operation(
    SERVICE,
    "remove_group_member",
    GroupMembership,
    Done,
    "Leave a group or decline an invitation; as its owner, remove or uninvite a member",
    errors=(403, 404, 409),
    access=SELF("actor_id"),
)
list_member_groups = operation(
    SERVICE,
    "list_member_groups",
    MemberQuery,
    MemberGroups,
    "The groups a member is in or invited to, by name",
    errors=(404,),
    access=SELF(),
)
list_open_groups = operation(
    SERVICE,
    "list_open_groups",
    OpenGroupsPage,
    OpenGroups,
    "The open groups anyone may join, newest first",
    errors=(404,),
    access=SELF(),
)
