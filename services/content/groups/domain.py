"""The rules of groups: membership, invitations, ownership. Pure Python: each rule changes
the group it is given and returns the events to publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.contracts.api.content import CreateGroup
from shared.contracts.envelope import Event
from shared.contracts.events import GroupCreated, GroupMemberJoined, GroupMemberLeft
from shared.errors import Conflict, Forbidden, Invalid, NotFound

from ..copies.domain import Standing

OWNER, MEMBER = "owner", "member"
OPEN, PRIVATE = "open", "private"


@dataclass
class Membership:
    member_id: str
    role: str
    joined_at: datetime


@dataclass
class Group:
    id: str
    name: str
    topic: str
    privacy: str
    owner_id: str | None
    created_at: datetime
    # The memberships and invitations of the members a command concerns (`loaded`), not
    # necessarily all: a group may have thousands of members.
    members: dict[str, Membership] = field(default_factory=dict)
    invited: dict[str, str] = field(default_factory=dict)  # invitee -> inviter
    member_count: int = 0
    loaded: set[str] = field(default_factory=set)
    left: list[str] = field(default_factory=list)  # members who left now, to save
    deleted: bool = False  # the last member left: the group goes, with its content

    def is_member(self, member_id: str) -> bool:
        return member_id in self.members

    def require_member(self, member_id: str, field: str, what: str) -> None:
        if not self.is_member(member_id):
            raise Forbidden(f"only members of a group {what}", field=field)

    def status_of(self, member_id: str) -> str:
        if self.is_member(member_id):
            return "member"
        return "invited" if member_id in self.invited else "none"

    def visible_to(self, reader_id: str) -> bool:
        """A private group shows to its members and invitees only."""
        return self.privacy != PRIVATE or self.status_of(reader_id) != "none"


def new_group(command: CreateGroup, *, group_id: str, now: datetime) -> tuple[Group, list[Event]]:
    group = Group(
        id=group_id,
        name=command.name,
        topic=command.topic,
        privacy=command.privacy,
        owner_id=command.owner_id,
        created_at=now,
        members={command.owner_id: Membership(command.owner_id, OWNER, now)},
        member_count=1,
    )
    return group, [
        GroupCreated(
            group_id=group_id,
            owner_id=command.owner_id,
            name=group.name,
            topic=group.topic,
            privacy=group.privacy,  # type: ignore[arg-type]
        ),
        GroupMemberJoined(group_id=group_id, member_id=command.owner_id, role=OWNER),
    ]


def join_or_invite(
    group: Group, *, member_id: str, actor_id: str, standing: Standing, now: datetime
) -> tuple[str, list[Event]]:
    """`actor_id` puts `member_id` into the group. Themselves: they join (an open group, or a
    private one they were invited to). Another: the owner invites them to a private group.
    Returns the member's status, "member" or "invited"."""
    if actor_id == member_id:
        if group.is_member(member_id):
            return "member", []  # PUT is idempotent
        inviter = group.invited.pop(member_id, None)
        if group.privacy == PRIVATE and inviter is None:
            raise Forbidden("a private group is joined by invitation only", field="member_id")
        group.members[member_id] = Membership(member_id, MEMBER, now)
        group.member_count += 1
        return "member", [
            GroupMemberJoined(
                group_id=group.id, member_id=member_id, role=MEMBER, invited_by=inviter
            )
        ]
    if group.privacy == OPEN:
        raise Invalid("members join an open group themselves", field="actor_id")
    if actor_id != group.owner_id:
        raise Forbidden("only the owner invites to a private group", field="actor_id")
    if standing.blocked:
        raise Forbidden("one of these members has blocked the other", field="member_id")
    if group.is_member(member_id):
        raise Conflict("this member is already in the group", field="member_id")
    group.invited.setdefault(member_id, actor_id)
    return "invited", []


def leave_or_remove(
    group: Group, *, member_id: str, actor_id: str, successor: Membership | None
) -> list[Event]:
    """A member leaves (or declines an invitation), or the owner removes a member (or
    withdraws an invitation). When the owner goes, `successor` (the longest-standing other
    member) becomes the owner; the last member out deletes the group."""
    if actor_id != member_id:
        if actor_id != group.owner_id:
            raise Forbidden("only the owner removes members", field="actor_id")
        reason = "removed"
    else:
        reason = "left"
    if not group.is_member(member_id):
        if group.invited.pop(member_id, None):
            return []  # an invitation declined, or withdrawn by the owner
        raise NotFound("this member is not in the group", field="member_id")
    _depart(group, member_id, successor)
    return [GroupMemberLeft(group_id=group.id, member_id=member_id, reason=reason)]


def _depart(group: Group, member_id: str, successor: Membership | None) -> None:
    del group.members[member_id]
    group.left.append(member_id)
    group.member_count -= 1
    if group.owner_id == member_id:
        group.owner_id = successor.member_id if successor else None
        if successor is not None:
            successor.role = OWNER
            group.members[successor.member_id] = successor
    group.deleted = group.member_count <= 0


def erase_member(group: Group, member_id: str, successor: Membership | None) -> list[Event]:
    """A member's erasure takes them out of the group as leaving does."""
    group.invited.pop(member_id, None)
    if not group.is_member(member_id):
        return []
    _depart(group, member_id, successor)
    return [GroupMemberLeft(group_id=group.id, member_id=member_id, reason="member_deleted")]
