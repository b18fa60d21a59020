"""Content's handlers: check who and what exist, run the rule, save, publish, reply; keep the
copies of members and relations up to date from events."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

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
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import MemberDeleted, MemberProfile
from shared.cursors import Cursors
from shared.db import UnitOfWork
from shared.errors import NotFound
from shared.settings import Settings

from . import domain, queries
from .domain import Group, Post
from .queries import Clock, parse_position
from .store import (
    Comments,
    DirectMessages,
    Erasure,
    GroupMessages,
    Groups,
    Members,
    Mentions,
    Mutes,
    Posts,
    Reactions,
    Relations,
    Shares,
    State,
    pair_key,
)
from .value import ValueRules

GROUP_MEMBERS_SHOWN = 200
RESCORE_BATCH = 500


@dataclass(frozen=True)
class ContentConfig:
    rules: ValueRules
    max_mentions: int
    stats_window_days: float
    cursor_secret: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> ContentConfig:
        return cls(
            rules=ValueRules(
                half_life_days=settings.content_half_life_days,
                reaction=settings.content_weight_reaction,
                comment=settings.content_weight_comment,
                share=settings.content_weight_share,
            ),
            max_mentions=settings.content_max_mentions,
            stats_window_days=settings.content_stats_window_days,
            cursor_secret=(
                settings.cursor_secret.get_secret_value() if settings.cursor_secret else None
            ),
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


async def _publish(uow: UnitOfWork, events: list[Event]) -> None:
    for event in events:
        await uow.publish(event)
    await uow.commit()


def _page(items: list, limit: int) -> tuple[list, bool]:
    return items[:limit], len(items) > limit


class Content:
    """Every operation of the content service, sharing its configuration and cursor key."""

    def __init__(self, config: ContentConfig) -> None:
        self.config = config
        self.cursors = Cursors()

    def clock(self) -> Clock:
        return Clock(_now(), self.config.rules)

    # --- start-up -------------------------------------------------------------------

    async def prepare(self, uow: UnitOfWork) -> None:
        """Load (or create) the cursor key; score every post again if the value rules
        changed since they were scored."""
        try:
            await self._prepare(uow)
        except IntegrityError:  # another replica prepared at the same moment: use its key
            await uow.session.rollback()
            await self._prepare(uow)

    async def _prepare(self, uow: UnitOfWork) -> None:
        state = State(uow.session)
        if self.config.cursor_secret:
            self.cursors.key = hashlib.sha256(self.config.cursor_secret.encode()).digest()
        else:
            key = await state.get("cursor_key")
            if key is None:
                key = secrets.token_hex(32)
                await state.put("cursor_key", key)
            self.cursors.key = bytes.fromhex(key)
        signature = self.config.rules.signature()
        if await state.get("value_rules") != signature:
            posts, after = Posts(uow.session), None
            while batch := await posts.all_ids(after, RESCORE_BATCH):
                await posts.rescore(batch, self.config.rules)
                after = batch[-1]
            await state.put("value_rules", signature)
        await uow.commit()

    # --- shared checks --------------------------------------------------------------

    async def _mentions(self, uow: UnitOfWork, text: str, author_id: str) -> list[str]:
        candidates = domain.mention_candidates(text)
        if not candidates or self.config.max_mentions == 0:
            return []
        known = await Members(uow.session).ids_by_handle(h for c in candidates for h in c)
        hidden = await Relations(uow.session).blocked_with(author_id, known.values())
        return domain.resolve_mentions(
            candidates,
            known,
            author_id=author_id,
            hidden=hidden,
            limit=self.config.max_mentions,
        )

    async def _visible_post(
        self,
        uow: UnitOfWork,
        post_id: str,
        viewer_id: str,
        field: str = "post_id",
        *,
        with_mentions: bool = False,
    ) -> Post:
        post = await Posts(uow.session).get(post_id, with_mentions=with_mentions)
        if post is None:
            raise NotFound(f"no post with id {post_id}", field=field)
        standing = await Relations(uow.session).standing(viewer_id, post.author_id)
        in_group = bool(post.group_id) and await Groups(uow.session).is_member(
            post.group_id, viewer_id
        )
        return domain.require_visible(post, viewer_id, standing, in_group=in_group, field=field)

    async def _group(self, uow: UnitOfWork, group_id: str, *involving: str) -> Group:
        group = await Groups(uow.session).get(group_id, involving)
        if group is None:
            raise NotFound(f"no group with id {group_id}", field="group_id")
        return group

    async def _post_view(self, uow: UnitOfWork, post_id: str, viewer_id: str) -> dict:
        views = await queries.post_views(uow.session, [post_id], viewer_id, self.clock())
        return views[post_id]

    def _read_cursor(self, cursor: str | None, scope: str, shape: str) -> tuple | None:
        if cursor is None:
            return None
        return parse_position(self.cursors.read(cursor, scope), shape)

    def _next_cursor(self, more: bool, scope: str, position: list) -> str | None:
        return self.cursors.issue(scope, position) if more else None

    # --- posts ----------------------------------------------------------------------

    async def create_post(self, command: CreatePost, uow: UnitOfWork) -> dict:
        """Publish a post (to the author's connections, the org, or a group); post.created."""
        await Members(uow.session).require(command.author_id, "author_id")
        visibility = domain.post_visibility(command)
        in_group = False
        if command.group_id:
            group = await self._group(uow, command.group_id, command.author_id)
            in_group = group.is_member(command.author_id)
        post, events = domain.new_post(
            command,
            post_id=_new_id(),
            visibility=visibility,
            author_in_group=in_group,
            mentioned_ids=await self._mentions(uow, command.body, command.author_id),
            now=_now(),
        )
        await Posts(uow.session).add(post)
        await _publish(uow, events)
        return queries.post_view(
            post,
            cards=await Members(uow.session).cards([post.author_id, *post.mentioned_ids]),
            mentioned=post.mentioned_ids,
            audience=await Relations(uow.session).audience(post.author_id),
            clock=self.clock(),
        )

    async def get_post(self, query: PostAction, uow: UnitOfWork) -> dict:
        """A post as `member_id` sees it, with its counts and content value."""
        await Members(uow.session).require(query.member_id, "member_id")
        post = await self._visible_post(uow, query.post_id, query.member_id)
        return await self._post_view(uow, post.id, query.member_id)

    async def edit_post(self, command: EditPost, uow: UnitOfWork) -> dict:
        """The author changes the body or the link; post.edited when something changed."""
        changes = command.changes
        await Members(uow.session).require(changes.member_id, "member_id")
        post = await self._visible_post(uow, command.post_id, changes.member_id, with_mentions=True)
        mentioned = (
            await self._mentions(uow, changes.body, post.author_id) if changes.body else None
        )
        events = domain.edit_post(post, changes, mentioned_ids=mentioned, now=_now())
        if events:
            await Posts(uow.session).save(post)
            await _publish(uow, events)
        return await self._post_view(uow, post.id, changes.member_id)

    async def delete_post(self, command: PostAction, uow: UnitOfWork) -> dict:
        """The author deletes a post, with its comments, reactions and shares; post.deleted."""
        await Members(uow.session).require(command.member_id, "member_id")
        post = await self._visible_post(uow, command.post_id, command.member_id)
        events = domain.delete_post(post, command.member_id)
        await Posts(uow.session).delete([post.id])
        await _publish(uow, events)
        return {"post_id": post.id, "deleted": True}

    # --- comments -------------------------------------------------------------------

    async def create_comment(self, command: CreateComment, uow: UnitOfWork) -> dict:
        """Comment on a post, or reply to a comment; comment.created."""
        await Members(uow.session).require(command.author_id, "author_id")
        post = await self._visible_post(uow, command.post_id, command.author_id)
        replied = None
        if command.reply_to_comment_id:
            replied = await self._visible_comment(
                uow, post, command.reply_to_comment_id, command.author_id, "reply_to_comment_id"
            )
        comment, events = domain.new_comment(
            post,
            comment_id=_new_id(),
            author_id=command.author_id,
            body=command.body,
            replied=replied,
            mentioned_ids=await self._mentions(uow, command.body, command.author_id),
            now=_now(),
        )
        await Comments(uow.session).add(comment)
        await Posts(uow.session).rescore([post.id], self.config.rules)
        await _publish(uow, events)
        cards = await Members(uow.session).cards(_comment_members([comment]))
        return _comment_view(comment, cards, {}, None)

    async def _visible_comment(
        self, uow: UnitOfWork, post: Post, comment_id: str, viewer_id: str, field: str
    ) -> domain.Comment:
        comment = await Comments(uow.session).get(comment_id)
        if comment is None or comment.post_id != post.id:
            raise NotFound(f"no comment with id {comment_id} on this post", field=field)
        if (await Relations(uow.session).standing(viewer_id, comment.author_id)).blocked:
            raise NotFound(f"no comment with id {comment_id} on this post", field=field)
        return comment

    async def delete_comment(self, command: CommentAction, uow: UnitOfWork) -> dict:
        """The comment's or the post's author deletes a comment (and its replies);
        comment.deleted for each."""
        await Members(uow.session).require(command.member_id, "member_id")
        post = await self._visible_post(uow, command.post_id, command.member_id)
        comment = await self._visible_comment(
            uow, post, command.comment_id, command.member_id, "comment_id"
        )
        comments = Comments(uow.session)
        replies = await comments.replies(comment.id)
        events = domain.delete_comments(post, comment, replies, command.member_id)
        await comments.delete([comment.id, *(r.id for r in replies)])
        await Posts(uow.session).rescore([post.id], self.config.rules)
        await _publish(uow, events)
        return {"comment_id": comment.id, "deleted": 1 + len(replies)}

    async def list_comments(self, query: CommentsPage, uow: UnitOfWork) -> dict:
        """A post's comments, oldest first, a page at a time."""
        await Members(uow.session).require(query.member_id, "member_id")
        post = await self._visible_post(uow, query.post_id, query.member_id)
        scope = f"comments:{post.id}:{query.member_id}"
        after = self._read_cursor(query.cursor, scope, "ts")
        rows, more = _page(
            await queries.comments_page(
                uow.session,
                post_id=post.id,
                viewer_id=query.member_id,
                limit=query.limit,
                after=after,
            ),
            query.limit,
        )
        items = await self._comment_views(uow, [r.id for r in rows], query.member_id)
        last = rows[-1] if rows else None
        return {
            "post_id": post.id,
            "items": items,
            "next_cursor": self._next_cursor(
                more, scope, [last.created_at.isoformat(), last.id] if last else []
            ),
        }

    async def _comment_views(
        self, uow: UnitOfWork, comment_ids: list[str], viewer_id: str
    ) -> list[dict]:
        comments = await Comments(uow.session).many(comment_ids)
        counts, mine = await queries.comment_reactions(uow.session, comment_ids, viewer_id)
        cards = await Members(uow.session).cards(_comment_members(comments))
        return [_comment_view(c, cards, counts.get(c.id, {}), mine.get(c.id)) for c in comments]

    # --- reactions and shares -------------------------------------------------------

    async def _reaction_target(
        self, uow: UnitOfWork, post_id: str, comment_id: str | None, member_id: str
    ) -> tuple[Post, domain.Comment | None]:
        await Members(uow.session).require(member_id, "member_id")
        post = await self._visible_post(uow, post_id, member_id)
        comment = None
        if comment_id:
            comment = await self._visible_comment(uow, post, comment_id, member_id, "comment_id")
        return post, comment

    async def set_reaction(self, command: SetReaction, uow: UnitOfWork) -> dict:
        """React to a post or a comment, or change the reaction; reaction.set."""
        post, comment = await self._reaction_target(
            uow, command.post_id, command.comment_id, command.member_id
        )
        reactions = Reactions(uow.session)
        target_id = comment.id if comment else post.id
        reaction, events = domain.set_reaction(
            await reactions.get(target_id, command.member_id),
            post=post,
            comment=comment,
            actor_id=command.member_id,
            kind=command.kind,
            now=_now(),
        )
        if events:
            await reactions.save(reaction)
            await Posts(uow.session).rescore([post.id], self.config.rules)
            await _publish(uow, events)
        return {
            "post_id": post.id,
            "comment_id": reaction.comment_id,
            "member_id": reaction.actor_id,
            "kind": reaction.kind,
        }

    async def remove_reaction(self, command: RemoveReaction, uow: UnitOfWork) -> dict:
        """Take a reaction back; reaction.removed."""
        post, comment = await self._reaction_target(
            uow, command.post_id, command.comment_id, command.member_id
        )
        reactions = Reactions(uow.session)
        target_id = comment.id if comment else post.id
        events = domain.remove_reaction(
            await reactions.get(target_id, command.member_id), post=post, comment=comment
        )
        await reactions.delete(target_id, command.member_id)
        await Posts(uow.session).rescore([post.id], self.config.rules)
        await _publish(uow, events)
        return {"post_id": post.id, "comment_id": command.comment_id, "removed": True}

    async def share_post(self, command: SharePost, uow: UnitOfWork) -> dict:
        """Share another member's post, with an optional comment; post.shared."""
        await Members(uow.session).require(command.member_id, "member_id")
        post = await self._visible_post(uow, command.post_id, command.member_id)
        shares = Shares(uow.session)
        share, events = domain.share_post(
            post,
            share_id=_new_id(),
            member_id=command.member_id,
            comment=command.comment,
            already_shared=await shares.exists(post.id, command.member_id),
            now=_now(),
        )
        await shares.add(share)
        await Posts(uow.session).rescore([post.id], self.config.rules)
        await _publish(uow, events)
        return {
            "id": share.id,
            "post_id": post.id,
            "member_id": share.sharer_id,
            "comment": share.comment,
            "created_at": share.created_at.isoformat(),
        }

    # --- groups ---------------------------------------------------------------------

    async def create_group(self, command: CreateGroup, uow: UnitOfWork) -> dict:
        """Create a group, owned by its creator; group.created and group.member_joined."""
        await Members(uow.session).require(command.owner_id, "owner_id")
        now = _now()
        group, events = domain.new_group(command, group_id=_new_id(), now=now)
        await Groups(uow.session).save(group, now)
        await _publish(uow, events)
        return await self._group_view(uow, group.id, command.owner_id)

    async def get_group(self, query: GroupView, uow: UnitOfWork) -> dict:
        """A group, its first members and the viewer's status. A private group is shown to
        its members and invitees only."""
        group = await self._visible_group(uow, query.group_id, query.member_id)
        return await self._group_view(uow, group.id, query.member_id)

    async def _visible_group(self, uow: UnitOfWork, group_id: str, reader_id: str) -> Group:
        """The group, if the reader may see it: a private group only to its members and
        invitees (to others it does not exist)."""
        await Members(uow.session).require(reader_id, "member_id")
        group = await self._group(uow, group_id, reader_id)
        if (
            group.privacy == domain.PRIVATE
            and not group.is_member(reader_id)
            and reader_id not in group.invited
        ):
            raise NotFound(f"no group with id {group_id}", field="group_id")
        return group

    async def _group_view(self, uow: UnitOfWork, group_id: str, viewer_id: str) -> dict:
        group = await self._group(uow, group_id, viewer_id)
        members = await queries.group_members(uow.session, group.id, GROUP_MEMBERS_SHOWN)
        cards = await Members(uow.session).cards(m.member_id for m in members)
        status = (
            "member"
            if group.is_member(viewer_id)
            else "invited"
            if viewer_id in group.invited
            else "none"
        )
        return {
            "id": group.id,
            "name": group.name,
            "topic": group.topic,
            "privacy": group.privacy,
            "owner_id": group.owner_id,
            "created_at": group.created_at.isoformat(),
            "member_count": group.member_count,
            "members": [
                {
                    **cards.get(m.member_id, {"member_id": m.member_id}),
                    "role": m.role,
                    "joined_at": m.joined_at.isoformat(),
                }
                for m in members
            ],
            "status": status,
        }

    async def put_group_member(self, command: GroupMembership, uow: UnitOfWork) -> dict:
        """Join a group (open, or private when invited), or, as the owner of a private group,
        invite a member to it; group.member_joined when someone joins."""
        members = Members(uow.session)
        await members.require(command.member_id, "member_id")
        await members.require(command.actor_id, "actor_id")
        group = await self._group(uow, command.group_id, command.actor_id, command.member_id)
        standing = await Relations(uow.session).standing(command.actor_id, command.member_id)
        now = _now()
        status, events = domain.join_or_invite(
            group,
            member_id=command.member_id,
            actor_id=command.actor_id,
            standing=standing,
            now=now,
        )
        await Groups(uow.session).save(group, now)
        await _publish(uow, events)
        membership = group.members.get(command.member_id)
        return {
            "group_id": group.id,
            "member_id": command.member_id,
            "status": status,
            "role": membership.role if membership else None,
        }

    async def remove_group_member(self, command: GroupMembership, uow: UnitOfWork) -> dict:
        """Leave a group (or decline an invitation), or, as the owner, remove a member;
        group.member_left."""
        await Members(uow.session).require(command.actor_id, "actor_id")
        group = await self._group(uow, command.group_id, command.actor_id, command.member_id)
        groups = Groups(uow.session)
        successor = (
            await groups.longest_standing(group.id, excluding=command.member_id)
            if group.owner_id == command.member_id
            else None
        )
        events = domain.leave_or_remove(
            group, member_id=command.member_id, actor_id=command.actor_id, successor=successor
        )
        await groups.save(group, _now())
        await _publish(uow, events)
        return {"group_id": group.id, "member_id": command.member_id, "status": "none"}

    # --- chats ----------------------------------------------------------------------

    async def post_group_message(self, command: PostGroupMessage, uow: UnitOfWork) -> dict:
        """Write in a group's chat (members only), optionally replying to a message;
        group.message_posted."""
        await Members(uow.session).require(command.author_id, "author_id")
        group = await self._group(uow, command.group_id, command.author_id)
        messages = GroupMessages(uow.session)
        replied = None
        if command.reply_to_message_id:
            replied = await messages.get(command.reply_to_message_id)
            hidden = (
                replied is not None
                and (
                    await Relations(uow.session).standing(command.author_id, replied.author_id)
                ).blocked
            )
            if replied is None or hidden:
                raise NotFound(
                    f"no message with id {command.reply_to_message_id} in this group",
                    field="reply_to_message_id",
                )
        message, events = domain.new_group_message(
            group,
            message_id=_new_id(),
            author_id=command.author_id,
            body=command.body,
            replied=replied,
            mentioned_ids=await self._mentions(uow, command.body, command.author_id),
            now=_now(),
        )
        await messages.add(message)
        await _publish(uow, events)
        cards = await Members(uow.session).cards([message.author_id, *message.mentioned_ids])
        return _group_message_view(message, cards)

    async def list_group_messages(self, query: GroupMessagesPage, uow: UnitOfWork) -> dict:
        """A group's chat, newest first, a page at a time (members only)."""
        group = await self._visible_group(uow, query.group_id, query.member_id)
        group.require_member(query.member_id, "member_id", "read its chat")
        scope = f"group-messages:{group.id}:{query.member_id}"
        after = self._read_cursor(query.cursor, scope, "ts")
        rows, more = _page(
            await queries.group_messages_page(
                uow.session,
                group_id=group.id,
                viewer_id=query.member_id,
                limit=query.limit,
                after=after,
            ),
            query.limit,
        )
        mentions = await Mentions(uow.session).of(r.id for r in rows)
        cards = await Members(uow.session).cards(
            {*(r.author_id for r in rows), *(m for ms in mentions.values() for m in ms)}
        )
        items = [
            _group_message_view(
                domain.GroupMessage(
                    r.id,
                    r.group_id,
                    r.author_id,
                    r.body,
                    r.reply_to_message_id,
                    r.reply_to_author_id,
                    mentions.get(r.id, []),
                    r.created_at,
                ),
                cards,
            )
            for r in rows
        ]
        last = rows[-1] if rows else None
        return {
            "group_id": group.id,
            "items": items,
            "next_cursor": self._next_cursor(
                more, scope, [last.created_at.isoformat(), last.id] if last else []
            ),
        }

    async def send_direct_message(self, command: SendDirectMessage, uow: UnitOfWork) -> dict:
        """Send a direct message (never to oneself, nor across a block); direct_message.sent."""
        domain.refuse_self(command.sender_id, command.recipient_id, "recipient_id", "message")
        members = Members(uow.session)
        await members.require(command.sender_id, "sender_id")
        await members.require(command.recipient_id, "recipient_id")
        message, events = domain.new_direct_message(
            message_id=_new_id(),
            sender_id=command.sender_id,
            recipient_id=command.recipient_id,
            body=command.body,
            standing=await Relations(uow.session).standing(command.sender_id, command.recipient_id),
            now=_now(),
        )
        await DirectMessages(uow.session).add(message)
        await _publish(uow, events)
        return _direct_message_view(
            message.id, message.sender_id, message.recipient_id, message.body, message.created_at
        )

    async def list_conversation(self, query: ConversationPage, uow: UnitOfWork) -> dict:
        """The direct messages between two members, newest first, for either of them."""
        domain.refuse_self(query.member_id, query.other_id, "other_id", "converse with")
        members = Members(uow.session)
        await members.require(query.member_id, "member_id")
        await members.require(query.other_id, "other_id")
        pair = pair_key(query.member_id, query.other_id)
        scope = f"conversation:{pair}:{query.member_id}"
        after = self._read_cursor(query.cursor, scope, "ts")
        rows, more = _page(
            await queries.conversation_page(uow.session, pair=pair, limit=query.limit, after=after),
            query.limit,
        )
        last = rows[-1] if rows else None
        return {
            "member_id": query.member_id,
            "other_id": query.other_id,
            "items": [
                _direct_message_view(r.id, r.sender_id, r.recipient_id, r.body, r.created_at)
                for r in rows
            ],
            "next_cursor": self._next_cursor(
                more, scope, [last.created_at.isoformat(), last.id] if last else []
            ),
        }

    # --- feed, mutes, stats ---------------------------------------------------------

    async def feed(self, query: FeedPage, uow: UnitOfWork) -> dict:
        """A member's feed, newest first or by content value, a page at a time."""
        await Members(uow.session).require(query.member_id, "member_id")
        scope = f"feed:{query.member_id}:{query.order}"
        shape = "fts" if query.order == "value" else "ts"
        after = self._read_cursor(query.cursor, scope, shape)
        entries, more = _page(
            await queries.feed_page(
                uow.session,
                viewer_id=query.member_id,
                order=query.order,
                limit=query.limit,
                after=after,
            ),
            query.limit,
        )
        posts = await queries.post_views(
            uow.session, [e["post_id"] for e in entries], query.member_id, self.clock()
        )
        shares = await queries.share_details(
            uow.session, [e["entry_id"] for e in entries if e["kind"] == "share"]
        )
        sharers = await Members(uow.session).cards(s.sharer_id for s in shares.values())
        items = []
        for e in entries:
            item = {"kind": e["kind"], "id": e["entry_id"], "at": e["at"].isoformat()}
            if e["kind"] == "share":
                share = shares[e["entry_id"]]
                item["shared_by"] = sharers.get(share.sharer_id, {"member_id": share.sharer_id})
                item["comment"] = share.comment
            item["post"] = posts[e["post_id"]]
            items.append(item)
        last = entries[-1] if entries else None
        position = []
        if last is not None:
            position = [last["at"].isoformat(), last["entry_id"]]
            if query.order == "value":
                position = [float(last["rank"]), *position]
        return {
            "member_id": query.member_id,
            "order": query.order,
            "items": items,
            "next_cursor": self._next_cursor(more, scope, position),
        }

    async def mute(self, command: Mute, uow: UnitOfWork) -> dict:
        """Mute a member or a group: their posts and shares leave the member's feed."""
        kind = await self._mute_target(uow, command)
        row = await Mutes(uow.session).add(command.member_id, command.target_id, kind, _now())
        await uow.commit()
        return _mute_view(row)

    async def unmute(self, command: Mute, uow: UnitOfWork) -> dict:
        """Lift a mute."""
        await Members(uow.session).require(command.member_id, "member_id")
        mutes = Mutes(uow.session)
        if await mutes.get(command.member_id, command.target_id) is None:
            raise NotFound("this member has not muted that member or group", field="target_id")
        await mutes.delete(command.member_id, command.target_id)
        await uow.commit()
        return {"member_id": command.member_id, "target_id": command.target_id, "muted": False}

    async def _mute_target(self, uow: UnitOfWork, command: Mute) -> str:
        members = Members(uow.session)
        await members.require(command.member_id, "member_id")
        domain.refuse_self(command.member_id, command.target_id, "target_id", "mute")
        if await members.status(command.target_id) == "active":
            return "member"
        if await Groups(uow.session).get(command.target_id) is not None:
            return "group"
        raise NotFound(f"no member or group with id {command.target_id}", field="target_id")

    async def list_mutes(self, query: MemberQuery, uow: UnitOfWork) -> dict:
        """The members and groups a member has muted."""
        await Members(uow.session).require(query.member_id, "member_id")
        rows = await queries.mutes_of(uow.session, query.member_id)
        return {"member_id": query.member_id, "items": [_mute_view(r) for r in rows]}

    async def content_stats(self, query: MemberQuery, uow: UnitOfWork) -> dict:
        """A member's posts, engagement received and given, and content value (90 days)."""
        await Members(uow.session).require(query.member_id, "member_id")
        return await queries.content_stats(
            uow.session, query.member_id, self.clock(), self.config.stats_window_days
        )

    # --- events from profiles and connections ---------------------------------------

    async def on_member_profile(
        self, event: MemberProfile, envelope: Envelope, uow: UnitOfWork
    ) -> None:
        await Members(uow.session).upsert(
            event.member_id,
            handle=event.handle,
            name=event.name,
            as_of=envelope.time,
            event_id=envelope.id,
        )

    async def on_member_deleted(
        self, event: MemberDeleted, envelope: Envelope, uow: UnitOfWork
    ) -> None:
        """Erasure: the member's content, engagement, messages, memberships and mutes go;
        group.member_left (member_deleted) for each group they were in."""
        member_id, s = event.member_id, uow.session
        await Members(s).tombstone(member_id, as_of=envelope.time, event_id=envelope.id)
        relations = Relations(s)
        for other in await relations.forget(member_id):
            await relations.refresh_audience(other)
        erasure, groups = Erasure(s), Groups(s)
        engaged = await erasure.engaged_posts(member_id)
        for group_id in await groups.of_member(member_id):
            group = await groups.get(group_id, [member_id])
            successor = (
                await groups.longest_standing(group_id, excluding=member_id)
                if group.owner_id == member_id
                else None
            )
            for left in domain.erase_member(group, member_id, successor):
                await uow.publish(left)
            await groups.save(group, _now())
        await erasure.content_of(member_id)
        await Posts(s).rescore(engaged, self.config.rules)

    async def on_connection_event(self, event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        members, relations = Members(uow.session), Relations(uow.session)
        changes = domain.relation_changes(event)
        involved = {m for change in changes for m in change[:2]}
        for member_id in involved:
            if await members.status(member_id) == "deleted":
                return  # an erased member stays erased, whatever arrives late
        version = (envelope.time, envelope.id)
        for member_id, other_id, aspect, active in changes:
            await relations.apply(member_id, other_id, aspect, active, version)
        for member_id in involved:
            await relations.refresh_audience(member_id)


def _comment_members(comments: list[domain.Comment]) -> set[str]:
    return {
        *(c.author_id for c in comments),
        *(c.reply_to_author_id for c in comments if c.reply_to_author_id),
        *(m for c in comments for m in c.mentioned_ids),
    }


def _comment_view(
    c: domain.Comment, cards: dict[str, dict], reactions: dict[str, int], mine: str | None
) -> dict:
    return {
        "id": c.id,
        "post_id": c.post_id,
        "author": cards.get(c.author_id, {"member_id": c.author_id}),
        "body": c.body,
        "thread_id": c.thread_id,
        "reply_to_comment_id": c.reply_to_comment_id,
        "reply_to": cards.get(c.reply_to_author_id) if c.reply_to_author_id else None,
        "mentions": [cards[m] for m in c.mentioned_ids if m in cards],
        "created_at": c.created_at.isoformat(),
        "reactions": reactions or dict.fromkeys(queries.REACTION_KINDS, 0),
        "my_reaction": mine,
    }


def _group_message_view(message: domain.GroupMessage, cards: dict[str, dict]) -> dict:
    return {
        "id": message.id,
        "group_id": message.group_id,
        "author": cards.get(message.author_id, {"member_id": message.author_id}),
        "body": message.body,
        "reply_to_message_id": message.reply_to_message_id,
        "reply_to_author_id": message.reply_to_author_id,
        "mentions": [cards[m] for m in message.mentioned_ids if m in cards],
        "created_at": message.created_at.isoformat(),
    }


def _direct_message_view(
    message_id: str, sender_id: str, recipient_id: str, body: str, at: datetime
) -> dict:
    return {
        "id": message_id,
        "sender_id": sender_id,
        "recipient_id": recipient_id,
        "body": body,
        "created_at": at.isoformat(),
    }


def _mute_view(row) -> dict:
    return {
        "member_id": row.member_id,
        "target_id": row.target_id,
        "kind": row.target_kind,
        "muted": True,
        "since": row.created_at.isoformat(),
    }
