"""Keeps the in-memory suggestion index in step with the connections service's tables.

The index is a cache of the tables. It is built from them at startup; after that, every
transaction that changes what the index holds also writes a row to `index_changes` (kind and
key of what changed), and the index *catches up* by reading the rows it has not applied and
reloading those entities from the tables. It catches up every `suggestion.refresh_interval`
seconds in the background (and at once when a query names a member it does not know yet),
whichever replica wrote the change. What must be exact (exclusions, erasure) is read from the
tables by the query itself.

Change rows are numbered by the database, but a transaction may commit after a later-numbered
one; so rows younger than `suggestion.change_grace` seconds are read again at each catch-up
(reloading is idempotent, and rows already applied are skipped), and the floor below which
nothing is read again only passes rows older than that. Rows older than
`suggestion.change_retention` are deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.metrics import SUGGESTION_INDEX_CHANGES, SUGGESTION_INDEX_SIZE

from .store.gatherings import CheckInRow, GatheringRow, RsvpRow
from .store.groups import GroupMembershipRow, GroupRow
from .store.index_changes import (
    ATTENDANCE,
    GATHERING,
    GROUP,
    MEMBER,
    MEMBERSHIP,
    PAIR,
    IndexChangeRow,
)
from .store.members import KnownMember
from .store.pairs import PairRow
from .suggestions.index import SuggestionIndex
from .suggestions.model import ATTENDED, GOING, Gathering, Profile

log = logging.getLogger(__name__)

CHUNK = 500  # keys per IN (...) when reloading


def participation(rsvp: str | None, checked_in: bool) -> str | None:
    """How a member takes part in an event, as the index counts it."""
    if checked_in:
        return ATTENDED
    return GOING if rsvp == "going" else None


def _profile(row) -> Profile:
    return Profile(
        member_id=row.id,
        handle=row.handle or "",
        name=row.name or "",
        headline=row.headline or "",
        keywords=tuple(row.keywords or ()),
        skills=tuple(row.skills or ()),
        accomplishments=tuple(row.accomplishments or ()),
        goals=tuple(row.goals or ()),
    )


def _gathering(row) -> Gathering | None:
    if row.title is None or row.ends_at is None:
        return None  # known only from a cancellation so far
    return Gathering(row.id, row.title, row.ends_at, row.cancelled)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class IndexFeed:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        grace: float,
        retention: float,
        refresh_interval: float,
    ) -> None:
        self.sessions = sessions
        self.index = SuggestionIndex()
        self.grace = timedelta(seconds=grace)
        self.retention = timedelta(seconds=retention)
        self.refresh_interval = refresh_interval
        self.floor = 0  # every change row at or below it is applied (or older than the grace)
        self.applied: set[int] = set()  # change rows above the floor already applied
        self.lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._last_prune = datetime.min.replace(tzinfo=UTC)

    # --- building -------------------------------------------------------------------------

    async def build(self) -> None:
        """Build the index from the tables (at startup)."""
        async with self.lock, self.sessions() as session:
            started = datetime.now(UTC)
            index = SuggestionIndex()
            members = await session.execute(
                select(KnownMember).where(KnownMember.deleted.is_(False))
            )
            for row in members.scalars():
                index.put_profile(_profile(row))
            pairs = await session.execute(
                select(PairRow.a, PairRow.b).where(PairRow.connected_since.is_not(None))
            )
            for a, b in pairs:
                index.set_connected(a, b, True)
            for group_id, name in await session.execute(select(GroupRow.id, GroupRow.name)):
                index.name_group(group_id, name)
            memberships = await session.execute(
                select(GroupMembershipRow.group_id, GroupMembershipRow.member_id).where(
                    GroupMembershipRow.joined.is_(True)
                )
            )
            for group_id, member_id in memberships:
                index.set_group_member(group_id, member_id, True)
            for row in await session.scalars(select(GatheringRow)):
                index.describe_gathering(row.id, _gathering(row))
            for key, status in (await _participation(session)).items():
                if status:
                    index.set_participation(*key, status)
            # rows recorded before the build began, minus the grace, are in what was read
            self.floor = (
                await session.scalar(
                    select(func.max(IndexChangeRow.seq)).where(
                        IndexChangeRow.recorded_at < started - self.grace
                    )
                )
                or 0
            )
            self.applied = set()
            self.index = index
        # the index lives as long as the process: keep the garbage collector from walking
        # its millions of objects at every full collection
        gc.collect()
        gc.freeze()
        self._measure()
        log.info("suggestion index built: %s", index.sizes())

    def _measure(self) -> None:
        for kind, size in self.index.sizes().items():
            SUGGESTION_INDEX_SIZE.labels(kind).set(size)

    # --- catching up ----------------------------------------------------------------------

    async def catch_up(self) -> int:
        """Apply the changes not applied yet; returns how many were applied."""
        async with self.lock, self.sessions() as session:
            now = datetime.now(UTC)
            rows = (
                await session.execute(
                    select(
                        IndexChangeRow.seq,
                        IndexChangeRow.kind,
                        IndexChangeRow.key,
                        IndexChangeRow.recorded_at,
                    )
                    .where(IndexChangeRow.seq > self.floor)
                    .order_by(IndexChangeRow.seq)
                )
            ).all()
            fresh = [row for row in rows if row.seq not in self.applied]
            keys: dict[str, set[str]] = defaultdict(set)
            for row in fresh:
                keys[row.kind].add(row.key)
            for kind, changed in keys.items():
                await RELOADS[kind](session, self.index, sorted(changed))
            self.applied.update(row.seq for row in fresh)
            SUGGESTION_INDEX_CHANGES.inc(len(fresh))
            for row in rows:  # the floor passes a prefix of rows older than the grace
                if row.recorded_at >= now - self.grace:
                    break
                self.floor = row.seq
            self.applied = {seq for seq in self.applied if seq > self.floor}
            if now - self._last_prune > self.retention / 10:
                await session.execute(
                    delete(IndexChangeRow).where(IndexChangeRow.recorded_at < now - self.retention)
                )
                await session.commit()
                self._last_prune = now
            return len(fresh)

    async def start(self) -> None:
        await self.build()
        self._task = asyncio.create_task(self._refresh(), name="suggestion-index-refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_interval)
            try:
                if await self.catch_up():
                    self._measure()
            except Exception:  # the next pass retries; queries catch up themselves too
                log.exception("suggestion index catch-up failed")


# --- reloading one kind of entity from the tables ----------------------------------------------


async def _reload_members(session: AsyncSession, index: SuggestionIndex, ids: list[str]) -> None:
    for chunk in _chunks(ids):
        found = {
            row.id: row
            for row in await session.scalars(select(KnownMember).where(KnownMember.id.in_(chunk)))
        }
        for member_id in chunk:
            row = found.get(member_id)
            if row is None or row.deleted:
                index.remove_member(member_id)
            else:
                index.put_profile(_profile(row))


def _split(keys: list[str]) -> list[tuple[str, str]]:
    return [tuple(key.split("|", 1)) for key in keys]  # type: ignore[misc]


async def _reload_pairs(session: AsyncSession, index: SuggestionIndex, keys: list[str]) -> None:
    for chunk in _chunks(_split(keys)):
        connected = {
            (a, b)
            for a, b in await session.execute(
                select(PairRow.a, PairRow.b).where(
                    tuple_(PairRow.a, PairRow.b).in_(chunk), PairRow.connected_since.is_not(None)
                )
            )
        }
        for a, b in chunk:
            index.set_connected(a, b, (a, b) in connected)


async def _reload_groups(session: AsyncSession, index: SuggestionIndex, ids: list[str]) -> None:
    for chunk in _chunks(ids):
        names = dict(
            (
                await session.execute(
                    select(GroupRow.id, GroupRow.name).where(GroupRow.id.in_(chunk))
                )
            )
            .tuples()
            .all()
        )
        for group_id in chunk:
            index.name_group(group_id, names.get(group_id))


async def _reload_memberships(
    session: AsyncSession, index: SuggestionIndex, keys: list[str]
) -> None:
    for chunk in _chunks(_split(keys)):
        joined = {
            (g, m)
            for g, m in await session.execute(
                select(GroupMembershipRow.group_id, GroupMembershipRow.member_id).where(
                    tuple_(GroupMembershipRow.group_id, GroupMembershipRow.member_id).in_(chunk),
                    GroupMembershipRow.joined.is_(True),
                )
            )
        }
        for group_id, member_id in chunk:
            index.set_group_member(group_id, member_id, (group_id, member_id) in joined)


async def _reload_gatherings(session: AsyncSession, index: SuggestionIndex, ids: list[str]) -> None:
    for chunk in _chunks(ids):
        rows = {
            row.id: row
            for row in await session.scalars(select(GatheringRow).where(GatheringRow.id.in_(chunk)))
        }
        for event_id in chunk:
            row = rows.get(event_id)
            index.describe_gathering(event_id, _gathering(row) if row else None)


async def _participation(
    session: AsyncSession, keys: list[tuple[str, str]] | None = None
) -> dict[tuple[str, str], str | None]:
    """How each member takes part in each event (all of them, or those of `keys`)."""
    rsvps = select(RsvpRow.gathering_id, RsvpRow.member_id, RsvpRow.rsvp)
    check_ins = select(CheckInRow.gathering_id, CheckInRow.member_id)
    if keys is not None:
        rsvps = rsvps.where(tuple_(RsvpRow.gathering_id, RsvpRow.member_id).in_(keys))
        check_ins = check_ins.where(tuple_(CheckInRow.gathering_id, CheckInRow.member_id).in_(keys))
    answers = {(e, m): rsvp for e, m, rsvp in await session.execute(rsvps)}
    checked_in = {(e, m) for e, m in await session.execute(check_ins)}
    return {
        key: participation(answers.get(key), key in checked_in)
        for key in answers.keys() | checked_in
    }


async def _reload_attendance(
    session: AsyncSession, index: SuggestionIndex, keys: list[str]
) -> None:
    for chunk in _chunks(_split(keys)):
        found = await _participation(session, chunk)
        for event_id, member_id in chunk:
            index.set_participation(event_id, member_id, found.get((event_id, member_id)))


RELOADS = {
    MEMBER: _reload_members,
    PAIR: _reload_pairs,
    GROUP: _reload_groups,
    MEMBERSHIP: _reload_memberships,
    GATHERING: _reload_gatherings,
    ATTENDANCE: _reload_attendance,
}
