"""The aggregator's projection: tables and the repository that reads and writes them.

Every projection table exists once per generation (suffix `_g<n>`), so that a rebuild can
replay the streams into a fresh generation while the live one keeps serving, then switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import UTCDateTime

from .model import ONLINE, Activity, HealthModel, Interaction, PairSums, pair_key

metadata = MetaData()

# Which generation is live: a tiny table outside the generations.
generations = Table(
    "projection_generation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("live", Integer, nullable=False),
    Column("building", Integer, nullable=True),
)

CONNECTED, FOLLOWS, BLOCKS = "connected", "follows", "blocks"


class ProjectionTables:
    """The projection's tables for one generation."""

    _cache: dict[int, ProjectionTables] = {}

    def __init__(self, generation: int) -> None:
        g = f"_g{generation}"
        self.generation = generation
        self.members = Table(
            f"members{g}",
            metadata,
            Column("id", String(64), primary_key=True),
            Column("deleted", Boolean, nullable=False, default=False),
            Column("handle", String(30), nullable=True),
            Column("team", String(100), nullable=True),
            Column("as_of", UTCDateTime, nullable=True),
        )
        self.facts = Table(
            f"relation_facts{g}",
            metadata,
            Column("member_id", String(64), primary_key=True),
            Column("other_id", String(64), primary_key=True, index=True),
            Column("aspect", String(16), primary_key=True),
            Column("active", Boolean, nullable=False),
            Column("as_of", UTCDateTime, nullable=False),
            Column("event_id", String(64), nullable=False),
        )
        self.pairs = Table(
            f"pairs{g}",
            metadata,
            Column("a", String(64), primary_key=True),
            Column("b", String(64), primary_key=True, index=True),
            Column("ab", Float, nullable=False, default=0.0),
            Column("ba", Float, nullable=False, default=0.0),
            Column("online", Float, nullable=False, default=0.0),
            Column("offline", Float, nullable=False, default=0.0),
            Column("count", Integer, nullable=False, default=0),
            Column("first", UTCDateTime, nullable=True),
            Column("last", UTCDateTime, nullable=True),
            Column("by_kind", JSON, nullable=False, default=dict),
            Column("ever_connected", Boolean, nullable=False, default=False),
        )
        self.member_sums = Table(
            f"member_sums{g}",
            metadata,
            Column("member_id", String(64), primary_key=True),
            Column("online", Float, nullable=False, default=0.0),
            Column("offline", Float, nullable=False, default=0.0),
        )
        self.weeks = Table(
            f"member_weeks{g}",
            metadata,
            Column("member_id", String(64), primary_key=True),
            Column("week", String(10), primary_key=True),  # ISO date of the week's Monday
            Column("online", Float, nullable=False, default=0.0),
            Column("offline", Float, nullable=False, default=0.0),
        )
        self.attendance = Table(
            f"attendance{g}",
            metadata,
            Column("event_id", String(64), primary_key=True),
            Column("member_id", String(64), primary_key=True, index=True),
            Column("checked_in_at", UTCDateTime, nullable=False),
        )
        self.co_attended = Table(
            f"co_attended{g}",
            metadata,
            Column("event_id", String(64), primary_key=True),
            Column("a", String(64), primary_key=True),
            Column("b", String(64), primary_key=True),
        )
        self.events = Table(
            f"gatherings{g}",
            metadata,
            Column("id", String(64), primary_key=True),
            Column("title", String(300), nullable=False),
            Column("format", String(16), nullable=False),
            Column("starts_at", UTCDateTime, nullable=False),
            Column("ends_at", UTCDateTime, nullable=False),
            Column("cancelled", Boolean, nullable=False, default=False),
            Column("as_of", UTCDateTime, nullable=False),
        )
        self.rsvps = Table(
            f"rsvps{g}",
            metadata,
            Column("event_id", String(64), primary_key=True),
            Column("member_id", String(64), primary_key=True, index=True),
            Column("status", String(16), nullable=False),
            Column("as_of", UTCDateTime, nullable=False),
            Column("event_order", String(64), nullable=False),
        )
        self.watermark = Table(
            f"watermark{g}",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("at", UTCDateTime, nullable=False),
        )

    @classmethod
    def of(cls, generation: int) -> ProjectionTables:
        if generation not in cls._cache:
            cls._cache[generation] = cls(generation)
        return cls._cache[generation]

    def all(self) -> list[Table]:
        return [
            self.members,
            self.facts,
            self.pairs,
            self.member_sums,
            self.weeks,
            self.attendance,
            self.co_attended,
            self.events,
            self.rsvps,
            self.watermark,
        ]


def week_of(t: datetime) -> str:
    monday = (t - timedelta(days=t.weekday())).date()
    return monday.isoformat()


@dataclass(frozen=True)
class Version:
    """Orders writes to one fact: event time, then event id as a tie-break."""

    time: datetime
    event_id: str

    def newer_than(self, other: Version) -> bool:
        return (self.time, self.event_id) > (other.time, other.event_id)


class Projection:
    """Reads and writes one generation of the projection."""

    def __init__(self, session: AsyncSession, tables: ProjectionTables, model: HealthModel):
        self.session = session
        self.t = tables
        self.model = model
        self._pairs: dict[tuple[str, str], _CachedPair] = {}
        self._member_sums: dict[str, list] = {}  # id -> [online, offline, exists, dirty]
        self._weeks: dict[tuple[str, str], list] = {}
        self._new_watermark: datetime | None = None
        self._deleted: dict[str, bool] = {}  # member id -> erased (for ids looked up)

    # --- members ----------------------------------------------------------------------

    async def member_status(self, member_id: str) -> str:
        row = (
            await self.session.execute(
                select(self.t.members.c.deleted).where(self.t.members.c.id == member_id)
            )
        ).first()
        if row is None:
            return "unknown"
        return "deleted" if row.deleted else "active"

    async def any_deleted(self, *member_ids: str) -> bool:
        await self._load_deleted(set(member_ids))
        return any(self._deleted[m] for m in member_ids)

    async def _load_deleted(self, member_ids: set[str]) -> None:
        wanted = [m for m in member_ids if m not in self._deleted]
        m = self.t.members
        for chunk in _chunks(wanted):
            for row in await self.session.execute(
                select(m.c.id).where(m.c.id.in_(chunk), m.c.deleted.is_(True))
            ):
                self._deleted[row.id] = True
        for member in wanted:
            self._deleted.setdefault(member, False)

    async def register(self, member_id: str, *, handle: str, team: str, as_of: datetime) -> None:
        m = self.t.members
        row = (await self.session.execute(select(m).where(m.c.id == member_id))).first()
        values = dict(handle=handle, team=team or None, as_of=as_of)
        if row is None:
            await self.session.execute(insert(m).values(id=member_id, deleted=False, **values))
        elif not row.deleted and (row.as_of is None or row.as_of <= as_of):
            await self.session.execute(update(m).where(m.c.id == member_id).values(**values))

    async def handles(self, member_ids: list[str]) -> dict[str, str]:
        m = self.t.members
        if not member_ids:
            return {}
        rows = await self.session.execute(
            select(m.c.id, m.c.handle).where(m.c.id.in_(member_ids), m.c.handle.is_not(None))
        )
        return {r.id: r.handle for r in rows}

    async def erase(self, member_id: str) -> None:
        """Remove every pair and balance involving the member; keep a tombstone (the id)."""
        await self.flush()
        self._forget_cached_rows()  # rows are deleted and partners' sums changed below
        self._deleted[member_id] = True
        t = self.t
        row = (
            await self.session.execute(select(t.members).where(t.members.c.id == member_id))
        ).first()
        if row is None:
            await self.session.execute(insert(t.members).values(id=member_id, deleted=True))
        else:
            await self.session.execute(
                update(t.members)
                .where(t.members.c.id == member_id)
                .values(deleted=True, team=None, handle=None)
            )
        # the partners' balances lose what they did with the erased member
        for pair in await self.pairs_of(member_id):
            partner = pair.b if pair.a == member_id else pair.a
            s = t.member_sums
            await self.session.execute(
                update(s)
                .where(s.c.member_id == partner)
                .values(online=s.c.online - pair.online, offline=s.c.offline - pair.offline)
            )
        await self.session.execute(
            delete(t.pairs).where(or_(t.pairs.c.a == member_id, t.pairs.c.b == member_id))
        )
        await self.session.execute(
            delete(t.facts).where(
                or_(t.facts.c.member_id == member_id, t.facts.c.other_id == member_id)
            )
        )
        await self.session.execute(
            delete(t.member_sums).where(t.member_sums.c.member_id == member_id)
        )
        await self.session.execute(delete(t.weeks).where(t.weeks.c.member_id == member_id))
        await self.session.execute(
            delete(t.attendance).where(t.attendance.c.member_id == member_id)
        )
        await self.session.execute(
            delete(t.co_attended).where(
                or_(t.co_attended.c.a == member_id, t.co_attended.c.b == member_id)
            )
        )
        await self.session.execute(delete(t.rsvps).where(t.rsvps.c.member_id == member_id))

    async def team_members(self, team: str) -> list[str]:
        m = self.t.members
        rows = await self.session.execute(
            select(m.c.id).where(m.c.team == team, m.c.deleted.is_(False))
        )
        return [r.id for r in rows]

    async def active_members(self) -> list[str]:
        m = self.t.members
        return [
            r.id for r in await self.session.execute(select(m.c.id).where(m.c.deleted.is_(False)))
        ]

    # --- relation facts (trust, blocks) ----------------------------------------------

    async def apply_fact(
        self, member_id: str, other_id: str, aspect: str, active: bool, version: Version
    ) -> None:
        f = self.t.facts
        where = and_(f.c.member_id == member_id, f.c.other_id == other_id, f.c.aspect == aspect)
        row = (await self.session.execute(select(f.c.as_of, f.c.event_id).where(where))).first()
        if row is None:
            await self.session.execute(
                insert(f).values(
                    member_id=member_id,
                    other_id=other_id,
                    aspect=aspect,
                    active=active,
                    as_of=version.time,
                    event_id=version.event_id,
                )
            )
        elif version.newer_than(Version(row.as_of, row.event_id)):
            await self.session.execute(
                update(f)
                .where(where)
                .values(active=active, as_of=version.time, event_id=version.event_id)
            )

    async def active_facts_of(self, member_id: str) -> set[tuple[str, str, str]]:
        f = self.t.facts
        rows = await self.session.execute(
            select(f.c.member_id, f.c.other_id, f.c.aspect).where(
                f.c.active.is_(True), or_(f.c.member_id == member_id, f.c.other_id == member_id)
            )
        )
        return {(r.member_id, r.other_id, r.aspect) for r in rows}

    async def active_facts_between(self, a: str, b: str) -> set[tuple[str, str, str]]:
        f = self.t.facts
        rows = await self.session.execute(
            select(f.c.member_id, f.c.other_id, f.c.aspect).where(
                f.c.active.is_(True),
                or_(
                    and_(f.c.member_id == a, f.c.other_id == b),
                    and_(f.c.member_id == b, f.c.other_id == a),
                ),
            )
        )
        return {(r.member_id, r.other_id, r.aspect) for r in rows}

    async def all_active_facts(self) -> set[tuple[str, str, str]]:
        f = self.t.facts
        rows = await self.session.execute(
            select(f.c.member_id, f.c.other_id, f.c.aspect).where(f.c.active.is_(True))
        )
        return {(r.member_id, r.other_id, r.aspect) for r in rows}

    # --- interactions -----------------------------------------------------------------

    async def pair(self, a: str, b: str) -> PairSums | None:
        await self.flush()
        a, b = pair_key(a, b)
        p = self.t.pairs
        row = (await self.session.execute(select(p).where(p.c.a == a, p.c.b == b))).first()
        return _sums(row) if row else None

    async def pairs_of(self, member_id: str) -> list[PairSums]:
        await self.flush()
        p = self.t.pairs
        rows = await self.session.execute(
            select(p).where(or_(p.c.a == member_id, p.c.b == member_id))
        )
        return [_sums(r) for r in rows]

    async def all_pairs(self) -> list[PairSums]:
        await self.flush()
        return [_sums(r) for r in await self.session.execute(select(self.t.pairs))]

    # Interactions and activities are accumulated in memory and written in bulk by
    # `flush()` (once per batch); every other method flushes first, so reads and the
    # order-dependent paths (erasure, co-attendance) always see what was applied.

    async def prefetch(
        self, members: set[str], pairs: set[tuple[str, str]], weeks: set[tuple[str, str]]
    ) -> None:
        """Load the rows a batch will touch, a query per table."""
        await self._load_deleted(members)
        p, s, w = self.t.pairs, self.t.member_sums, self.t.weeks
        wanted_pairs = [k for k in pairs if k not in self._pairs]
        for chunk in _chunks(wanted_pairs):
            # a row-value IN: one cached statement whatever the batch (an OR would not be)
            condition = tuple_(p.c.a, p.c.b).in_(chunk)
            for row in await self.session.execute(select(p).where(condition)):
                self._pairs[(row.a, row.b)] = _CachedPair(_sums(row), exists=True)
        for key in wanted_pairs:
            self._pairs.setdefault(key, _CachedPair(PairSums(*key), exists=False))
        wanted = [m for m in members if m not in self._member_sums]
        for chunk in _chunks(wanted):
            for row in await self.session.execute(select(s).where(s.c.member_id.in_(chunk))):
                self._member_sums[row.member_id] = [row.online, row.offline, True, False]
        for member in wanted:
            self._member_sums.setdefault(member, [0.0, 0.0, False, False])
        wanted_weeks = [k for k in weeks if k not in self._weeks]
        for chunk in _chunks(wanted_weeks):
            condition = tuple_(w.c.member_id, w.c.week).in_(chunk)
            for row in await self.session.execute(select(w).where(condition)):
                self._weeks[(row.member_id, row.week)] = [row.online, row.offline, True, False]
        for key in wanted_weeks:
            self._weeks.setdefault(key, [0.0, 0.0, False, False])

    async def apply(self, interaction: Interaction) -> None:
        """Add one interaction to its pair, both members' balances and the watermark."""
        key = pair_key(interaction.actor, interaction.target)
        week = week_of(interaction.time)
        await self.prefetch(
            {interaction.actor, interaction.target},
            {key},
            {(interaction.actor, week), (interaction.target, week)},
        )
        cached = self._pairs[key]
        cached.sums.add(interaction, self.model)
        cached.dirty = True
        stored = interaction.weight * self.model.growth(interaction.time)
        on, off = (stored, 0.0) if interaction.channel == ONLINE else (0.0, stored)
        raw = (
            (interaction.weight, 0.0)
            if interaction.channel == ONLINE
            else (0.0, interaction.weight)
        )
        for member in (interaction.actor, interaction.target):
            _add(self._member_sums[member], on, off)
            _add(self._weeks[(member, week)], *raw)
        self._advance_watermark(interaction.time)

    async def apply_activity(self, activity: Activity) -> None:
        week = week_of(activity.time)
        await self.prefetch({activity.member}, set(), {(activity.member, week)})
        stored = activity.weight * self.model.growth(activity.time)
        on, off = (stored, 0.0) if activity.channel == ONLINE else (0.0, stored)
        raw = (activity.weight, 0.0) if activity.channel == ONLINE else (0.0, activity.weight)
        _add(self._member_sums[activity.member], on, off)
        _add(self._weeks[(activity.member, week)], *raw)
        self._advance_watermark(activity.time)

    def _advance_watermark(self, t: datetime) -> None:
        if self._new_watermark is None or t > self._new_watermark:
            self._new_watermark = t

    async def flush(self) -> None:
        """Write what `apply` accumulated: inserts and updates in bulk."""
        p, s, w = self.t.pairs, self.t.member_sums, self.t.weeks
        dirty_pairs = [c for c in self._pairs.values() if c.dirty]
        inserts = [c.row() | {"ever_connected": False} for c in dirty_pairs if not c.exists]
        updates = [c.row() | {"ka": c.sums.a, "kb": c.sums.b} for c in dirty_pairs if c.exists]
        if inserts:
            await self.session.execute(insert(p), inserts)
        if updates:
            await self.session.execute(
                update(p)
                .where(p.c.a == bindparam("ka"), p.c.b == bindparam("kb"))
                .values(
                    {
                        k: bindparam(k)
                        for k in (
                            "ab",
                            "ba",
                            "online",
                            "offline",
                            "count",
                            "first",
                            "last",
                            "by_kind",
                        )
                    }
                ),
                updates,
            )
        await self._flush_sums(s, self._member_sums, ("member_id",))
        await self._flush_sums(w, self._weeks, ("member_id", "week"))
        if self._new_watermark is not None:
            current = await self.session.scalar(
                select(self.t.watermark.c.at).where(self.t.watermark.c.id == 1)
            )
            if current is None:
                await self.session.execute(
                    insert(self.t.watermark).values(id=1, at=self._new_watermark)
                )
            elif self._new_watermark > current:
                await self.session.execute(
                    update(self.t.watermark)
                    .where(self.t.watermark.c.id == 1)
                    .values(at=self._new_watermark)
                )
        # the cached rows stay (now written) for the rest of the transaction
        for cached in dirty_pairs:
            cached.exists, cached.dirty = True, False
        for cache in (self._member_sums, self._weeks):
            for cell in cache.values():
                if cell[3]:
                    cell[2], cell[3] = True, False
        self._new_watermark = None

    def _forget_cached_rows(self) -> None:
        self._pairs.clear()
        self._member_sums.clear()
        self._weeks.clear()

    async def _flush_sums(self, table: Table, cache: dict, key_columns: tuple[str, ...]) -> None:
        inserts, updates = [], []
        for key, (online, offline, exists, dirty) in cache.items():
            if not dirty:
                continue
            keys = dict(zip(key_columns, key if isinstance(key, tuple) else (key,), strict=True))
            if exists:
                updates.append(
                    {f"k_{k}": v for k, v in keys.items()} | {"online": online, "offline": offline}
                )
            else:
                inserts.append(keys | {"online": online, "offline": offline})
        if inserts:
            await self.session.execute(insert(table), inserts)
        if updates:
            await self.session.execute(
                update(table)
                .where(*(table.c[k] == bindparam(f"k_{k}") for k in key_columns))
                .values(online=bindparam("online"), offline=bindparam("offline")),
                updates,
            )

    async def watermark(self) -> datetime | None:
        await self.flush()
        return await self.session.scalar(
            select(self.t.watermark.c.at).where(self.t.watermark.c.id == 1)
        )

    async def member_sums(self, member_id: str) -> tuple[float, float]:
        await self.flush()
        s = self.t.member_sums
        row = (
            await self.session.execute(
                select(s.c.online, s.c.offline).where(s.c.member_id == member_id)
            )
        ).first()
        return (row.online, row.offline) if row else (0.0, 0.0)

    async def all_member_sums(self) -> dict[str, tuple[float, float]]:
        await self.flush()
        s = self.t.member_sums
        return {r.member_id: (r.online, r.offline) for r in await self.session.execute(select(s))}

    async def weeks_of(self, member_ids: list[str] | None, since: str) -> dict[str, tuple]:
        """Raw online/offline weight per week since `since`, summed over the members."""
        await self.flush()
        w = self.t.weeks
        query = (
            select(w.c.week, func.sum(w.c.online), func.sum(w.c.offline))
            .where(w.c.week >= since)
            .group_by(w.c.week)
        )
        if member_ids is not None:
            query = query.where(w.c.member_id.in_(member_ids))
        return {r[0]: (r[1] or 0.0, r[2] or 0.0) for r in await self.session.execute(query)}

    # --- co-attendance -------------------------------------------------------------------

    async def mark_connected(self, a: str, b: str) -> bool:
        await self.flush()
        """Record that the pair has been connected; True the first time."""
        a, b = pair_key(a, b)
        p = self.t.pairs
        row = (
            await self.session.execute(select(p.c.ever_connected).where(p.c.a == a, p.c.b == b))
        ).first()
        if row is None:
            await self.session.execute(
                insert(p).values(
                    a=a,
                    b=b,
                    ab=0.0,
                    ba=0.0,
                    online=0.0,
                    offline=0.0,
                    count=0,
                    by_kind={},
                    ever_connected=True,
                )
            )
            return True
        if row.ever_connected:
            return False
        await self.session.execute(
            update(p).where(p.c.a == a, p.c.b == b).values(ever_connected=True)
        )
        return True

    async def record_attendance(self, event_id: str, member_id: str, at: datetime) -> bool:
        t = self.t.attendance
        row = (
            await self.session.execute(
                select(t.c.checked_in_at).where(
                    t.c.event_id == event_id, t.c.member_id == member_id
                )
            )
        ).first()
        if row is not None:
            return False
        await self.session.execute(
            insert(t).values(event_id=event_id, member_id=member_id, checked_in_at=at)
        )
        return True

    async def connected_co_attendees(
        self, event_id: str, member_id: str
    ) -> list[tuple[str, datetime]]:
        """In-person attendees of the event ever connected with the member, and when they
        checked in. Two indexed lookups: the event's attendees, then their pairs with the
        member (a join on either side of the pair would scan every pair). No flush needed:
        `ever_connected` is only ever written straight to the table (`mark_connected`)."""
        t, p = self.t.attendance, self.t.pairs
        attendees = {
            row.member_id: row.checked_in_at
            for row in await self.session.execute(
                select(t.c.member_id, t.c.checked_in_at).where(
                    t.c.event_id == event_id, t.c.member_id != member_id
                )
            )
        }
        connected: list[tuple[str, datetime]] = []
        keys = [pair_key(member_id, other) for other in attendees]
        for chunk in _chunks(keys):
            rows = await self.session.execute(
                select(p.c.a, p.c.b).where(
                    tuple_(p.c.a, p.c.b).in_(chunk), p.c.ever_connected.is_(True)
                )
            )
            for row in rows:
                other = row.b if row.a == member_id else row.a
                connected.append((other, attendees[other]))
        return sorted(connected)

    async def shared_attendance(self, a: str, b: str) -> list[tuple[str, datetime]]:
        """Events both attended in person, with the later of their two check-ins."""
        t = self.t.attendance
        other = t.alias("other")
        rows = await self.session.execute(
            select(t.c.event_id, t.c.checked_in_at, other.c.checked_in_at)
            .join(other, and_(other.c.event_id == t.c.event_id, other.c.member_id == b))
            .where(t.c.member_id == a)
        )
        return [(r[0], max(r[1], r[2])) for r in rows]

    async def claim_co_attendance(self, event_id: str, a: str, b: str) -> bool:
        a, b = pair_key(a, b)
        c = self.t.co_attended
        seen = (
            await self.session.execute(
                select(c.c.a).where(c.c.event_id == event_id, c.c.a == a, c.c.b == b)
            )
        ).first()
        if seen:
            return False
        await self.session.execute(insert(c).values(event_id=event_id, a=a, b=b))
        return True

    # --- upcoming events and RSVPs (for go-offline nudges) -------------------------------

    async def upsert_event(
        self,
        event_id: str,
        *,
        title: str,
        format: str,
        starts_at: datetime,
        ends_at: datetime,
        cancelled: bool,
        as_of: datetime,
    ) -> None:
        e = self.t.events
        row = (
            await self.session.execute(select(e.c.as_of, e.c.cancelled).where(e.c.id == event_id))
        ).first()
        values = dict(
            title=title,
            format=format,
            starts_at=starts_at,
            ends_at=ends_at,
            cancelled=cancelled,
            as_of=as_of,
        )
        if row is None:
            await self.session.execute(insert(e).values(id=event_id, **values))
        elif row.as_of <= as_of and not row.cancelled:
            await self.session.execute(update(e).where(e.c.id == event_id).values(**values))

    async def cancel_event(self, event_id: str, as_of: datetime) -> None:
        e = self.t.events
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
        r = self.t.rsvps
        row = (
            await self.session.execute(
                select(r.c.as_of, r.c.event_order).where(
                    r.c.event_id == event_id, r.c.member_id == member_id
                )
            )
        ).first()
        if row is None:
            await self.session.execute(
                insert(r).values(
                    event_id=event_id,
                    member_id=member_id,
                    status=status,
                    as_of=version.time,
                    event_order=version.event_id,
                )
            )
        elif version.newer_than(Version(row.as_of, row.event_order)):
            await self.session.execute(
                update(r)
                .where(r.c.event_id == event_id, r.c.member_id == member_id)
                .values(status=status, as_of=version.time, event_order=version.event_id)
            )

    async def upcoming_in_person(self, after: datetime) -> list:
        e = self.t.events
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
        r = self.t.rsvps
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


class _CachedPair:
    def __init__(self, sums: PairSums, *, exists: bool) -> None:
        self.sums = sums
        self.exists = exists
        self.dirty = False

    def row(self) -> dict:
        s = self.sums
        return dict(
            a=s.a,
            b=s.b,
            ab=s.ab,
            ba=s.ba,
            online=s.online,
            offline=s.offline,
            count=s.count,
            first=s.first,
            last=s.last,
            by_kind=dict(s.by_kind),
        )


def _add(cell: list, online: float, offline: float) -> None:
    cell[0] += online
    cell[1] += offline
    cell[3] = True


def _chunks(items: list, size: int = 400):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sums(row) -> PairSums:
    return PairSums(
        a=row.a,
        b=row.b,
        ab=row.ab,
        ba=row.ba,
        online=row.online,
        offline=row.offline,
        count=row.count,
        first=row.first,
        last=row.last,
        by_kind=dict(row.by_kind or {}),
    )
