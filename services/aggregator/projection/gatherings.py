"""Upcoming events and who is going (events' facts), for the go-offline nudges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.copies import Version

from .tables import ProjectionTables


class Gatherings:
    def __init__(self, session: AsyncSession, tables: ProjectionTables) -> None:
        self.session = session
        self.events = tables.events
        self.rsvps = tables.rsvps

    async def upsert(
        self,
        event_id: str,
        *,
        title: str,
        format: str,
        starts_at: datetime,
        ends_at: datetime,
        as_of: datetime,
    ) -> None:
        """A created or updated event; a cancellation is final."""
        e = self.events
        row = (
            await self.session.execute(select(e.c.as_of, e.c.cancelled).where(e.c.id == event_id))
        ).first()
        values = dict(
            title=title,
            format=format,
            starts_at=starts_at,
            ends_at=ends_at,
            cancelled=False,
            as_of=as_of,
        )
        if row is None:
            await self.session.execute(insert(e).values(id=event_id, **values))
        elif row.as_of <= as_of and not row.cancelled:
            await self.session.execute(update(e).where(e.c.id == event_id).values(**values))

    async def cancel(self, event_id: str, as_of: datetime) -> None:
        e = self.events
        done = await self.session.execute(
            update(e).where(e.c.id == event_id).values(cancelled=True)
        )
        if done.rowcount == 0:  # cancelled before we heard of it: remember the cancellation
            await self.session.execute(
                insert(e).values(
                    id=event_id,
                    title="",
                    format="in_person",
                    starts_at=as_of,
                    ends_at=as_of,
                    cancelled=True,
                    as_of=as_of,
                )
            )

    async def set_rsvp(self, event_id: str, member_id: str, status: str, version: Version) -> None:
        """The member's latest answer (last writer wins, as in shared/copies.py)."""
        r = self.rsvps
        where = (r.c.event_id == event_id, r.c.member_id == member_id)
        row = (await self.session.execute(select(r.c.as_of, r.c.event_order).where(*where))).first()
        stamp = dict(status=status, as_of=version.time, event_order=version.event_id)
        if row is None:
            await self.session.execute(
                insert(r).values(event_id=event_id, member_id=member_id, **stamp)
            )
        elif version.newer_than(Version(row.as_of, row.event_order)):
            await self.session.execute(update(r).where(*where).values(**stamp))

    async def upcoming_in_person(self, after: datetime) -> list:
        e = self.events
        rows = await self.session.execute(
            select(e)
            .where(
                e.c.starts_at > after,
                e.c.cancelled.is_(False),
                e.c.format.in_(("in_person", "hybrid")),
            )
            .order_by(e.c.starts_at)
        )
        return list(rows)

    async def going(self, event_ids: list[str]) -> dict[str, set[str]]:
        r = self.rsvps
        result: dict[str, set[str]] = {eid: set() for eid in event_ids}
        if not event_ids:
            return result
        rows = await self.session.execute(
            select(r.c.event_id, r.c.member_id).where(
                r.c.event_id.in_(event_ids), r.c.status == "going"
            )
        )
        for row in rows:
            result[row.event_id].add(row.member_id)
        return result

    async def erase_member(self, member_id: str) -> None:
        r = self.rsvps
        await self.session.execute(delete(r).where(r.c.member_id == member_id))
