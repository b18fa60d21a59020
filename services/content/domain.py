"""The rules of content: posts, comments, reactions, shares, groups, chats and mutes.
Pure Python: each rule takes what it needs to decide, raises a domain error or changes its
objects, and returns the events to publish.

Who may see what (the one visibility rule, used by every read and every action on a post):
a member always sees their own posts; nobody sees anything of a member they block or who
blocks them; an `org` post is seen by every member, a `connections` post by the author's
connections, a `group` post by the group's members.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from shared.contracts.content import CreateGroup, CreatePost, PostChanges
from shared.contracts.envelope import Event
from shared.contracts.events import (
    CommentCreated,
    CommentDeleted,
    ConnectionAccepted,
    ConnectionRemoved,
    DirectMessageSent,
    GroupCreated,
    GroupMemberJoined,
    GroupMemberLeft,
    GroupMessagePosted,
    MemberBlocked,
    MemberFollowed,
    MemberUnblocked,
    MemberUnfollowed,
    PostCreated,
    PostDeleted,
    PostEdited,
    PostShared,
    ReactionRemoved,
    ReactionSet,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound

OWNER, MEMBER = "owner", "member"
OPEN, PRIVATE = "open", "private"
CONNECTED, FOLLOWS, BLOCKS = "connected", "follows", "blocks"


# --- who sees whom ----------------------------------------------------------------------


def relation_changes(event: Event) -> list[tuple[str, str, str, bool]]:
    """What a connections event says about the copy: (member, other, aspect, active). A
    connection is recorded in both directions, follows and blocks in theirs."""
    match event:
        case ConnectionAccepted(requester_id=a, addressee_id=b):
            return [(a, b, CONNECTED, True), (b, a, CONNECTED, True)]
        case ConnectionRemoved(member_id=a, other_id=b):
            return [(a, b, CONNECTED, False), (b, a, CONNECTED, False)]
        case MemberFollowed(member_id=a, other_id=b):
            return [(a, b, FOLLOWS, True)]
        case MemberUnfollowed(member_id=a, other_id=b):
            return [(a, b, FOLLOWS, False)]
        case MemberBlocked(member_id=a, other_id=b):
            return [(a, b, BLOCKS, True)]
        case MemberUnblocked(member_id=a, other_id=b):
            return [(a, b, BLOCKS, False)]
    return []


@dataclass(frozen=True)
class Standing:
    """What another member is to a member, from the service's copies."""

    connected: bool = False
    blocked: bool = False  # either one blocks the other


@dataclass
class Post:
    id: str
    author_id: str
    body: str
    visibility: str
    group_id: str | None
    link: str | None
    mentioned_ids: list[str]
    created_at: datetime
    edited_at: datetime | None = None


def can_see(post: Post, viewer_id: str, standing: Standing, *, in_group: bool) -> bool:
    if viewer_id == post.author_id:
        return True
    if standing.blocked:
        return False
    if post.visibility == "org":
        return True
    if post.visibility == "connections":
        return standing.connected
    return in_group


def require_visible(
    post: Post | None, viewer_id: str, standing: Standing, *, in_group: bool, field: str
) -> Post:
    """The post, if the viewer may see it; 404 otherwise (its existence is not revealed)."""
    if post is None or not can_see(post, viewer_id, standing, in_group=in_group):
        raise NotFound("no such post, or not visible to this member", field=field)
    return post


# --- mentions ---------------------------------------------------------------------------

_MENTION = re.compile(r"(?<![\w@.-])@([A-Za-z0-9][A-Za-z0-9_.-]{2,29})")
_TRAILING = "._-"


def mention_candidates(text: str) -> list[tuple[str, ...]]:
    """Each `@handle` in `text`, in order, once: the handle as written (lower-cased) and, when
    it ends in punctuation ("thanks @ana."), the handle without it."""
    seen: set[str] = set()
    found: list[tuple[str, ...]] = []
    for match in _MENTION.finditer(text):
        written = match.group(1).lower()
        stripped = written.rstrip(_TRAILING)
        variants = tuple(dict.fromkeys(v for v in (written, stripped) if len(v) >= 3))
        if variants and variants[0] not in seen:
            seen.add(variants[0])
            found.append(variants)
    return found


def resolve_mentions(
    candidates: Iterable[tuple[str, ...]],
    known: dict[str, str],
    *,
    author_id: str,
    hidden: set[str],
    limit: int,
) -> list[str]:
    """Member ids mentioned, in order, at most `limit`. An unknown handle, the author, and
    members blocked with the author stay text."""
    ids: list[str] = []
    for variants in candidates:
        member_id = next((known[v] for v in variants if v in known), None)
        if member_id is None or member_id == author_id or member_id in hidden:
            continue
        if member_id not in ids:
            ids.append(member_id)
        if len(ids) >= limit:
            break
    return ids


# --- posts ------------------------------------------------------------------------------


def post_visibility(command: CreatePost) -> str:
    visibility = command.visibility or ("group" if command.group_id else "org")
    if visibility == "group" and not command.group_id:
        raise Invalid("a group post names its group", field="group_id")
    if command.group_id and visibility != "group":
        raise Invalid("a post in a group has visibility 'group'", field="visibility")
    return visibility


def new_post(
    command: CreatePost,
    *,
    post_id: str,
    visibility: str,
    author_in_group: bool,
    mentioned_ids: list[str],
    now: datetime,
) -> tuple[Post, list[Event]]:
    if visibility == "group" and not author_in_group:
        raise Forbidden("only members of a group post in it", field="group_id")
    post = Post(
        id=post_id,
        author_id=command.author_id,
        body=command.body,
        visibility=visibility,
        group_id=command.group_id,
        link=str(command.link) if command.link else None,
        mentioned_ids=mentioned_ids,
        created_at=now,
    )
    return post, [
        PostCreated(
            post_id=post.id,
            author_id=post.author_id,
            visibility=visibility,  # type: ignore[arg-type]
            group_id=post.group_id,
            mentioned_ids=mentioned_ids,
            has_link=post.link is not None,
        )
    ]


def _require_author(post: Post, member_id: str, what: str) -> None:
    if member_id != post.author_id:
        raise Forbidden(f"only the author {what} a post", field="member_id")


def edit_post(
    post: Post,
    changes: PostChanges,
    *,
    mentioned_ids: list[str] | None,
    now: datetime,
) -> list[Event]:
    """Change the body and/or the link. `mentioned_ids` are those of the new body (None when
    the body is not given). Nothing changed: no event."""
    _require_author(post, changes.member_id, "edits")
    given = changes.model_fields_set
    if "body" in given and changes.body is None:
        raise Invalid("a post needs a body", field="body")
    changed = False
    if changes.body is not None and changes.body != post.body:
        post.body, changed = changes.body, True
    if "link" in given:
        link = str(changes.link) if changes.link else None
        if link != post.link:
            post.link, changed = link, True
    if not changed:
        return []
    before = post.mentioned_ids
    if mentioned_ids is not None:
        post.mentioned_ids = mentioned_ids
    post.edited_at = now
    return [
        PostEdited(
            post_id=post.id,
            author_id=post.author_id,
            mentioned_ids=post.mentioned_ids,
            added_mention_ids=[m for m in post.mentioned_ids if m not in before],
        )
    ]


def delete_post(post: Post, member_id: str) -> list[Event]:
    _require_author(post, member_id, "deletes")
    return [PostDeleted(post_id=post.id, author_id=post.author_id, reason="deleted")]


# --- comments ---------------------------------------------------------------------------


@dataclass
class Comment:
    id: str
    post_id: str
    author_id: str
    body: str
    thread_id: str | None  # the top-level comment this one belongs to (one level of threads)
    reply_to_comment_id: str | None
    reply_to_author_id: str | None
    mentioned_ids: list[str]
    created_at: datetime


def new_comment(
    post: Post,
    *,
    comment_id: str,
    author_id: str,
    body: str,
    replied: Comment | None,
    mentioned_ids: list[str],
    now: datetime,
) -> tuple[Comment, list[Event]]:
    """A comment, or a reply: a reply to a reply joins the thread of the comment it replies
    to, and still names the member it replies to."""
    if replied is not None and replied.post_id != post.id:
        raise NotFound("no such comment on this post", field="reply_to_comment_id")
    comment = Comment(
        id=comment_id,
        post_id=post.id,
        author_id=author_id,
        body=body,
        thread_id=(replied.thread_id or replied.id) if replied else None,
        reply_to_comment_id=replied.id if replied else None,
        reply_to_author_id=replied.author_id if replied else None,
        mentioned_ids=mentioned_ids,
        created_at=now,
    )
    return comment, [
        CommentCreated(
            comment_id=comment.id,
            post_id=post.id,
            author_id=author_id,
            post_author_id=post.author_id,
            reply_to_comment_id=comment.reply_to_comment_id,
            reply_to_author_id=comment.reply_to_author_id,
            mentioned_ids=mentioned_ids,
        )
    ]


def delete_comments(
    post: Post, comment: Comment, replies: list[Comment], member_id: str
) -> list[Event]:
    """The comment's author or the post's author deletes a comment, and its replies with it."""
    if member_id not in (comment.author_id, post.author_id):
        raise Forbidden(
            "only the comment's author or the post's author deletes a comment", field="member_id"
        )
    return [
        CommentDeleted(
            comment_id=c.id,
            post_id=post.id,
            author_id=c.author_id,
            post_author_id=post.author_id,
            actor_id=member_id,
        )
        for c in [comment, *replies]
    ]


# --- reactions --------------------------------------------------------------------------


@dataclass
class Reaction:
    post_id: str
    comment_id: str | None
    actor_id: str
    kind: str
    created_at: datetime
    updated_at: datetime

    @property
    def target_id(self) -> str:
        return self.comment_id or self.post_id


def set_reaction(
    existing: Reaction | None,
    *,
    post: Post,
    comment: Comment | None,
    actor_id: str,
    kind: str,
    now: datetime,
) -> tuple[Reaction, list[Event]]:
    """One reaction per member per post or comment: setting it again changes its kind; the
    same kind again changes nothing."""
    if existing is not None and existing.kind == kind:
        return existing, []
    previous = existing.kind if existing else None
    reaction = existing or Reaction(
        post.id, comment.id if comment else None, actor_id, kind, now, now
    )
    reaction.kind, reaction.updated_at = kind, now
    return reaction, [
        ReactionSet(
            target="comment" if comment else "post",
            post_id=post.id,
            comment_id=comment.id if comment else None,
            actor_id=actor_id,
            target_author_id=comment.author_id if comment else post.author_id,
            kind=kind,  # type: ignore[arg-type]
            previous_kind=previous,  # type: ignore[arg-type]
            post_author_id=post.author_id,
        )
    ]


def remove_reaction(
    existing: Reaction | None, *, post: Post, comment: Comment | None
) -> list[Event]:
    if existing is None:
        raise NotFound("this member has no reaction here", field="member_id")
    return [
        ReactionRemoved(
            target="comment" if comment else "post",
            post_id=post.id,
            comment_id=comment.id if comment else None,
            actor_id=existing.actor_id,
            target_author_id=comment.author_id if comment else post.author_id,
            kind=existing.kind,  # type: ignore[arg-type]
            post_author_id=post.author_id,
        )
    ]


# --- shares -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    id: str
    post_id: str
    sharer_id: str
    comment: str | None
    created_at: datetime


def share_post(
    post: Post,
    *,
    share_id: str,
    member_id: str,
    comment: str | None,
    already_shared: bool,
    now: datetime,
) -> tuple[Share, list[Event]]:
    if member_id == post.author_id:
        raise Invalid("a member shares other members' posts, not their own", field="member_id")
    if already_shared:
        raise Conflict("this member has already shared this post", field="post_id")
    share = Share(share_id, post.id, member_id, comment, now)
    return share, [
        PostShared(
            share_id=share_id,
            post_id=post.id,
            actor_id=member_id,
            post_author_id=post.author_id,
            with_comment=comment is not None,
        )
    ]


# --- groups -----------------------------------------------------------------------------


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


# --- chats ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupMessage:
    id: str
    group_id: str
    author_id: str
    body: str
    reply_to_message_id: str | None
    reply_to_author_id: str | None
    mentioned_ids: list[str]
    created_at: datetime


def new_group_message(
    group: Group,
    *,
    message_id: str,
    author_id: str,
    body: str,
    replied: GroupMessage | None,
    mentioned_ids: list[str],
    now: datetime,
) -> tuple[GroupMessage, list[Event]]:
    group.require_member(author_id, "group_id", "write in its chat")
    if replied is not None and replied.group_id != group.id:
        raise NotFound("no such message in this group", field="reply_to_message_id")
    message = GroupMessage(
        id=message_id,
        group_id=group.id,
        author_id=author_id,
        body=body,
        reply_to_message_id=replied.id if replied else None,
        reply_to_author_id=replied.author_id if replied else None,
        mentioned_ids=mentioned_ids,
        created_at=now,
    )
    return message, [
        GroupMessagePosted(
            message_id=message_id,
            group_id=group.id,
            author_id=author_id,
            reply_to_author_id=message.reply_to_author_id,
            mentioned_ids=mentioned_ids,
        )
    ]


@dataclass(frozen=True)
class DirectMessage:
    id: str
    sender_id: str
    recipient_id: str
    body: str
    created_at: datetime


def refuse_self(member_id: str, other_id: str, field: str, what: str) -> None:
    if member_id == other_id:
        raise Invalid(f"a member does not {what} themselves", field=field)


def new_direct_message(
    *,
    message_id: str,
    sender_id: str,
    recipient_id: str,
    body: str,
    standing: Standing,
    now: datetime,
) -> tuple[DirectMessage, list[Event]]:
    refuse_self(sender_id, recipient_id, "recipient_id", "message")
    if standing.blocked:
        raise Forbidden("one of these members has blocked the other", field="recipient_id")
    message = DirectMessage(message_id, sender_id, recipient_id, body, now)
    return message, [
        DirectMessageSent(message_id=message_id, sender_id=sender_id, recipient_id=recipient_id)
    ]
