"""Events (gatherings) and their references in event platforms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime

from ..domain import ChangedMeanwhile, Gathering
from .base import Base


class GatheringRow(Base):
    __tablename__ = "gatherings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(16), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(200), default="")
    organiser_id: Mapped[str | None] = mapped_column(String(64), index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)


class ExternalRefRow(Base):
    __tablename__ = "external_refs"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("gatherings.id"), index=True)


class Gatherings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, event_id: str) -> Gathering | None:
        row = await self.session.get(GatheringRow, event_id)
        if row is None:
            return None
        refs = await self.session.execute(
            select(ExternalRefRow.source, ExternalRefRow.external_id)
            .where(ExternalRefRow.event_id == event_id)
            .order_by(ExternalRefRow.source, ExternalRefRow.external_id)
        )
        return _to_gathering(row, [(r.source, r.external_id) for r in refs])

    async def by_external_ref(self, source: str, external_id: str) -> Gathering | None:
        """The gathering with this reference (its other references are not loaded)."""
        row = await self.session.scalar(
            select(GatheringRow)
            .join(ExternalRefRow, ExternalRefRow.event_id == GatheringRow.id)
            .where(ExternalRefRow.source == source, ExternalRefRow.external_id == external_id)
        )
        return _to_gathering(row, [(source, external_id)]) if row else None

    async def owner_of_ref(self, source: str, external_id: str) -> str | None:
        return await self.session.scalar(
            select(ExternalRefRow.event_id).where(
                ExternalRefRow.source == source, ExternalRefRow.external_id == external_id
            )
        )

    async def add(self, gathering: Gathering, *, created_at: datetime) -> None:
        self.session.add(GatheringRow(**_columns(gathering), created_at=created_at, version=0))
        await self.session.flush()
        for source, external_id in gathering.external_refs:
            self.session.add(
                ExternalRefRow(source=source, external_id=external_id, event_id=gathering.id)
            )
        await self.session.flush()

    async def save(self, gathering: Gathering) -> None:
        """Write the gathering as it was changed, only if nobody changed it since it was
        loaded (compare-and-set on its version: an update racing a cancellation loses)."""
        done = await self.session.execute(
            update(GatheringRow)
            .where(GatheringRow.id == gathering.id, GatheringRow.version == gathering.version)
            .values(**_columns(gathering), version=gathering.version + 1)
        )
        if done.rowcount != 1:
            raise ChangedMeanwhile("event", "event_id")
        gathering.version += 1

    async def upcoming(
        self,
        *,
        ending_after: datetime,
        starting_before: datetime | None,
        format: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Gathering]:
        query = select(GatheringRow).where(
            GatheringRow.cancelled_at.is_(None), GatheringRow.ends_at > ending_after
        )
        if starting_before is not None:
            query = query.where(GatheringRow.starts_at < starting_before)
        if format is not None:
            query = query.where(GatheringRow.format == format)
        if after is not None:
            starts_at, event_id = after
            query = query.where(
                (GatheringRow.starts_at > starts_at)
                | ((GatheringRow.starts_at == starts_at) & (GatheringRow.id > event_id))
            )
        rows = list(
            await self.session.scalars(
                query.order_by(GatheringRow.starts_at, GatheringRow.id).limit(limit)
            )
        )
        refs: dict[str, list[tuple[str, str]]] = {row.id: [] for row in rows}
        for ref in await self.session.execute(
            select(ExternalRefRow)
            .where(ExternalRefRow.event_id.in_(refs))
            .order_by(ExternalRefRow.source, ExternalRefRow.external_id)
        ):
            ref = ref[0]
            refs[ref.event_id].append((ref.source, ref.external_id))
        return [_to_gathering(row, refs[row.id]) for row in rows]

    async def forget_organiser(self, member_id: str) -> None:
        await self.session.execute(
            update(GatheringRow)
            .where(GatheringRow.organiser_id == member_id)
            .values(organiser_id=None)
        )


def _columns(gathering: Gathering) -> dict:
    return {
        "id": gathering.id,
        "title": gathering.title,
        "kind": gathering.kind,
        "format": gathering.format,
        "starts_at": gathering.starts_at,
        "ends_at": gathering.ends_at,
        "timezone": gathering.timezone,
        "venue": gathering.venue,
        "organiser_id": gathering.organiser_id,
        "cancelled_at": gathering.cancelled_at,
    }


def _to_gathering(row: GatheringRow, refs: list[tuple[str, str]]) -> Gathering:
    return Gathering(
        id=row.id,
        title=row.title,
        kind=row.kind,
        format=row.format,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        venue=row.venue,
        organiser_id=row.organiser_id,
        external_refs=refs,
        cancelled_at=row.cancelled_at,
        version=row.version,
    )
