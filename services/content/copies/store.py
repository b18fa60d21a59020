"""Content's copies of members and relation facts, on the shared last-writer-wins rule
(shared.copies), and the queries every feature asks of them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.api.content import MemberCard
from shared.copies import Copies, Version
from shared.errors import NotFound

from ..value import audience_log2
from .domain import BLOCKS, CONNECTED, FOLLOWS, Standing
from .tables import AudienceRow, FactRow, MemberRow


class Members:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.copies = Copies(session, MemberRow, personal=("handle", "name"))

    async def status(self, member_id: str) -> str:
        """ "active", "deleted" (a tombstone) or "unknown"."""
        row = await self.session.get(MemberRow, member_id)
        if row is None:
            return "unknown"
        return "deleted" if row.deleted else "active"

    async def require(self, member_id: str, field: str) -> MemberRow:
        row = await self.copies.get(member_id)
        if row is None:
            raise NotFound(f"no member with id {member_id}", field=field)
        return row

    async def copy(self, member_id: str, *, handle: str, name: str, version: Version) -> None:
        await self.copies.apply(member_id, {"handle": handle, "name": name}, version)

    async def erase(self, member_id: str, version: Version) -> None:
        await self.copies.erase(member_id, version)

    async def ids_by_handle(self, handles: Iterable[str]) -> dict[str, str]:
        """handle -> id of the active member holding it (the newest copy wins while two
        copies briefly claim one handle, e.g. after a rename seen out of order)."""
        handles = list(set(handles))
        if not handles:
            return {}
        rows = await self.session.execute(
            select(MemberRow.handle, MemberRow.id)
            .where(MemberRow.handle.in_(handles), MemberRow.deleted.is_(False))
            .order_by(MemberRow.as_of, MemberRow.event_id)
        )
        return {r.handle: r.id for r in rows}

    async def cards(self, ids: Iterable[str]) -> dict[str, MemberCard]:
        """id -> the member as views show them (known, not erased members only)."""
        live = await self.copies.live(list(ids))
        return {i: MemberCard(member_id=i, handle=r.handle, name=r.name) for i, r in live.items()}


def card(cards: dict[str, MemberCard], member_id: str) -> MemberCard:
    """The member's card, or just their id when content does not know them (any more)."""
    return cards.get(member_id) or MemberCard(member_id=member_id)


class Relations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.copies = Copies(session, FactRow)

    async def apply(
        self, member_id: str, other_id: str, aspect: str, active: bool, version: Version
    ) -> bool:
        """Record a fact unless a newer one is known; True when written."""
        return await self.copies.apply((member_id, other_id, aspect), {"active": active}, version)

    async def standing(self, member_id: str, other_id: str) -> Standing:
        rows = await self.session.execute(
            select(FactRow.member_id, FactRow.aspect).where(
                FactRow.active.is_(True),
                or_(
                    (FactRow.member_id == member_id) & (FactRow.other_id == other_id),
                    (FactRow.member_id == other_id) & (FactRow.other_id == member_id),
                ),
            )
        )
        facts = {(r.member_id, r.aspect) for r in rows}
        return Standing(
            connected=(member_id, CONNECTED) in facts,
            blocked=(member_id, BLOCKS) in facts or (other_id, BLOCKS) in facts,
        )

    async def blocked_with(self, member_id: str, others: Iterable[str]) -> set[str]:
        """Which of `others` block `member_id` or are blocked by them."""
        others = list(set(others))
        if not others:
            return set()
        rows = await self.session.execute(
            select(FactRow.member_id, FactRow.other_id).where(
                FactRow.aspect == BLOCKS,
                FactRow.active.is_(True),
                or_(
                    (FactRow.member_id == member_id) & FactRow.other_id.in_(others),
                    (FactRow.other_id == member_id) & FactRow.member_id.in_(others),
                ),
            )
        )
        return {r.other_id if r.member_id == member_id else r.member_id for r in rows}

    async def refresh_audience(self, member_id: str) -> None:
        connections = select(func.count()).where(
            FactRow.member_id == member_id,
            FactRow.aspect == CONNECTED,
            FactRow.active.is_(True),
        )
        followers = select(func.count()).where(
            FactRow.other_id == member_id,
            FactRow.aspect == FOLLOWS,
            FactRow.active.is_(True),
        )
        size = (await self.session.scalar(connections) or 0) + (
            await self.session.scalar(followers) or 0
        )
        row = await self.session.get(AudienceRow, member_id)
        if row is None:
            self.session.add(
                AudienceRow(member_id=member_id, size=size, size_log2=audience_log2(size))
            )
        else:
            row.size, row.size_log2 = size, audience_log2(size)
        await self.session.flush()

    async def audience(self, member_id: str) -> int:
        row = await self.session.get(AudienceRow, member_id)
        return row.size if row else 0

    async def forget(self, member_id: str) -> set[str]:
        """Erasure: delete every fact involving the member; returns the others involved."""
        rows = await self.session.execute(
            select(FactRow.member_id, FactRow.other_id).where(
                or_(FactRow.member_id == member_id, FactRow.other_id == member_id)
            )
        )
        others = {r.other_id if r.member_id == member_id else r.member_id for r in rows}
        await self.session.execute(
            delete(FactRow).where(
                or_(FactRow.member_id == member_id, FactRow.other_id == member_id)
            )
        )
        await self.session.execute(delete(AudienceRow).where(AudienceRow.member_id == member_id))
        return others - {member_id}
