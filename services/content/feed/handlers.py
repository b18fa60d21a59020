"""The feed and mutes: a member's feed a page at a time; muting members and groups."""

from __future__ import annotations

from shared.contracts.api.content import (
    Feed,
    FeedItem,
    FeedPage,
    MemberQuery,
    Mute,
    MuteList,
    MuteView,
)
from shared.contracts.operations import Done
from shared.db import UnitOfWork
from shared.errors import NotFound

from ..chats.domain import refuse_self
from ..context import Context, now
from ..copies.store import Members, card
from ..groups.store import Groups
from ..paging import cut
from ..posts.views import post_views
from .queries import feed_page, share_details
from .store import Mutes
from .tables import MuteRow


class FeedHandlers:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def feed(self, query: FeedPage, uow: UnitOfWork) -> Feed:
        """A member's feed, newest first or by content value, a page at a time."""
        s = uow.session
        await Members(s).require(query.member_id, "member_id")
        scope = f"feed:{query.member_id}:{query.order}"
        shape = "fts" if query.order == "value" else "ts"
        entries, more = cut(
            await feed_page(
                s,
                viewer_id=query.member_id,
                order=query.order,
                limit=query.limit,
                after=self.context.read_cursor(query.cursor, scope, shape),
            ),
            query.limit,
        )
        posts = await post_views(
            s, [e["post_id"] for e in entries], query.member_id, self.context.clock()
        )
        shares = await share_details(s, [e["entry_id"] for e in entries if e["kind"] == "share"])
        sharers = await Members(s).cards(share.sharer_id for share in shares.values())
        items = []
        for e in entries:
            share = shares.get(e["entry_id"]) if e["kind"] == "share" else None
            items.append(
                FeedItem(
                    kind=e["kind"],
                    id=e["entry_id"],
                    at=e["at"],
                    shared_by=card(sharers, share.sharer_id) if share else None,
                    comment=share.comment if share else None,
                    post=posts[e["post_id"]],
                )
            )
        last = entries[-1] if entries else None
        position = []
        if last is not None:
            position = [last["at"].isoformat(), last["entry_id"]]
            if query.order == "value":
                position = [float(last["rank"]), *position]
        return Feed(
            member_id=query.member_id,
            order=query.order,
            items=items,
            next_cursor=self.context.next_cursor(more, scope, position),
        )

    async def mute(self, command: Mute, uow: UnitOfWork) -> MuteView:
        """Mute a member or a group: their posts and shares leave the member's feed."""
        kind = await self._mute_target(uow, command)
        row = await Mutes(uow.session).add(command.member_id, command.target_id, kind, now())
        await uow.commit()
        return _mute_view(row)

    async def unmute(self, command: Mute, uow: UnitOfWork) -> Done:
        """Lift a mute."""
        await Members(uow.session).require(command.member_id, "member_id")
        if not await Mutes(uow.session).delete(command.member_id, command.target_id):
            raise NotFound("this member has not muted that member or group", field="target_id")
        await uow.commit()
        return Done()

    async def list_mutes(self, query: MemberQuery, uow: UnitOfWork) -> MuteList:
        """The members and groups a member has muted."""
        await Members(uow.session).require(query.member_id, "member_id")
        rows = await Mutes(uow.session).of(query.member_id)
        return MuteList(member_id=query.member_id, items=[_mute_view(r) for r in rows])

    async def _mute_target(self, uow: UnitOfWork, command: Mute) -> str:
        members = Members(uow.session)
        await members.require(command.member_id, "member_id")
        refuse_self(command.member_id, command.target_id, "target_id", "mute")
        if await members.status(command.target_id) == "active":
            return "member"
        if await Groups(uow.session).get(command.target_id) is not None:
            return "group"
        raise NotFound(f"no member or group with id {command.target_id}", field="target_id")


def _mute_view(row: MuteRow) -> MuteView:
    return MuteView(
        member_id=row.member_id,
        target_id=row.target_id,
        kind=row.target_kind,
        muted=True,
        since=row.created_at,
    )
