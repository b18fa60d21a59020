"""A service's copy of another service's entity (members, connections, groups, events), fed
by that service's facts: one last-writer-wins rule, with tombstones.

Facts about one entity may arrive in any order and more than once (replay, redelivery). Each
copied row keeps the `Version` of the fact that wrote it: the source's time for the fact (the
envelope's `time`), then the event id as the tie-break. A fact applies only if it is newer
than the row's version, so the same facts in any order leave the same copy. An erasure leaves
a tombstone (the key, no personal fields) that no older fact can bring back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Boolean, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.contracts.envelope import Envelope
from shared.db import UTCDateTime


@dataclass(frozen=True, order=True)
class Version:
    """Orders the writes to one copied entity: the fact's time, then its id."""

    time: datetime
    event_id: str

    @classmethod
    def of(cls, envelope: Envelope) -> Version:
        return cls(envelope.time, envelope.id)

    def newer_than(self, other: Version | None) -> bool:
        return other is None or self > other


class CopiedRow:
    """Columns every copied row has (a declarative mixin): its version and whether the
    source erased it."""

    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[str] = mapped_column(String(64))

    @property
    def version(self) -> Version:
        return Version(self.as_of, self.event_id)


Row = TypeVar("Row", bound=CopiedRow)


class Copies(Generic[Row]):
    """The copies of one entity kind in one service: `apply` a fact's fields, `erase` on the
    source's deletion. `personal` names the fields an erasure clears."""

    def __init__(self, session: AsyncSession, row: type[Row], *, personal: tuple[str, ...] = ()):
        self.session = session
        self.row = row
        self.personal = personal

    async def get(self, key: Any) -> Row | None:
        """The live copy (None when unknown or erased)."""
        found = await self.session.get(self.row, key)
        return None if found is None or found.deleted else found

    async def apply(self, key: Any, fields: dict[str, Any], version: Version) -> bool:
        """Write `fields` unless a newer fact (or an erasure) is known; True when written."""
        found = await self.session.get(self.row, key)
        if found is None:
            self.session.add(
                self.row(**_key(self.row, key), **fields, deleted=False, **_stamp(version))
            )
            await self.session.flush()
            return True
        if found.deleted or not version.newer_than(found.version):
            return False
        for name, value in fields.items():
            setattr(found, name, value)
        found.as_of, found.event_id = version.time, version.event_id
        return True

    async def erase(self, key: Any, version: Version) -> None:
        """Leave a tombstone: the key stays, personal fields go, nothing older comes back."""
        found = await self.session.get(self.row, key)
        if found is None:
            self.session.add(self.row(**_key(self.row, key), deleted=True, **_stamp(version)))
        else:
            for name in self.personal:
                setattr(found, name, None)
            # a tombstone carries the newest erasure's version, whatever facts came before,
            # so that the same facts in any order leave the same tombstone
            if not found.deleted or version.newer_than(found.version):
                found.as_of, found.event_id = version.time, version.event_id
            found.deleted = True
        await self.session.flush()

    async def live(self, keys: list[Any]) -> dict[Any, Row]:
        """The live copies among `keys` (single-column keys)."""
        if not keys:
            return {}
        (column,) = self.row.__mapper__.primary_key
        rows = await self.session.scalars(
            select(self.row).where(column.in_(set(keys)), self.row.deleted.is_(False))
        )
        return {getattr(r, column.key): r for r in rows}


def _key(row: type, key: Any) -> dict[str, Any]:
    columns = [c.key for c in row.__mapper__.primary_key]
    values = key if isinstance(key, tuple) else (key,)
    return dict(zip(columns, values, strict=True))


def _stamp(version: Version) -> dict[str, Any]:
    return {"as_of": version.time, "event_id": version.event_id}
