"""shared/copies.py, the one last-writer-wins rule every service's copy of another service's
entity follows, on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set):
the same facts in any order and with duplicates give the same copy, and an erasure leaves a
tombstone that no older fact revives."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.copies import CopiedRow, Copies, Version
from shared.engines import create_schema, make_engine

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData()


class CopiedMember(CopiedRow, Base):
    """A copy of another service's member, as a service would keep it."""

    __tablename__ = "copied_members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    team: Mapped[str | None] = mapped_column(String(100))


class CopiedMembership(CopiedRow, Base):
    """A copy keyed by two columns (group, member)."""

    __tablename__ = "copied_memberships"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))


@dataclass(frozen=True)
class Fact:
    key: str | tuple[str, str]
    fields: dict | None  # None: the source erased it
    version: Version


def at(minutes: int, event_id: str) -> Version:
    return Version(T0 + timedelta(minutes=minutes), event_id)


@pytest.fixture
async def sessions(database_factory) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(await database_factory("copies"))
    await create_schema(engine, Base.metadata)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def apply_all(sessions, row: type, facts: list[Fact]) -> None:
    """Each fact in its own transaction, as a consumer applies them."""
    for fact in facts:
        async with sessions() as session:
            copies = Copies(session, row, personal=("name", "team"))
            if fact.fields is None:
                await copies.erase(fact.key, fact.version)
            else:
                await copies.apply(fact.key, fact.fields, fact.version)
            await session.commit()


async def snapshot(sessions, row: type) -> list[tuple]:
    async with sessions() as session:
        columns = [c.key for c in row.__table__.columns]
        rows = (await session.execute(row.__table__.select())).all()
        return sorted(tuple(getattr(r, c) for c in columns) for r in rows)


async def clear(sessions, *rows: type) -> None:
    async with sessions() as session:
        for row in rows:
            await session.execute(row.__table__.delete())
        await session.commit()


def member_history() -> list[Fact]:
    """Ana renamed twice and moved team; Ben registered then updated; two facts at the same
    time for Ana, told apart by their ids."""
    return [
        Fact("ana", {"name": "Ana", "team": "design"}, at(0, "e1")),
        Fact("ana", {"name": "Ana B", "team": "design"}, at(5, "e2")),
        Fact("ana", {"name": "Ana C", "team": "research"}, at(9, "e3")),
        Fact("ana", {"name": "Ana D", "team": "research"}, at(9, "e4")),
        Fact("ben", {"name": "Ben", "team": "sales"}, at(1, "e5")),
        Fact("ben", {"name": "Ben K", "team": "sales"}, at(2, "e6")),
    ]


async def test_the_same_facts_in_any_order_with_duplicates_give_the_same_copy(sessions):
    history = member_history()
    await apply_all(sessions, CopiedMember, history)
    expected = await snapshot(sessions, CopiedMember)
    # the newest fact won, the event id breaking the tie at minute 9
    assert [(r[0], r[1], r[2]) for r in expected] == [
        ("ana", "Ana D", "research"),
        ("ben", "Ben K", "sales"),
    ]

    shuffler = random.Random(9)
    for _ in range(5):
        facts = history + shuffler.sample(history, 3)  # redelivered duplicates
        shuffler.shuffle(facts)
        await clear(sessions, CopiedMember)
        await apply_all(sessions, CopiedMember, facts)
        assert await snapshot(sessions, CopiedMember) == expected, facts


async def test_a_copy_keyed_by_two_columns_follows_the_same_rule(sessions):
    history = [
        Fact(("g1", "ana"), {"role": "member"}, at(0, "m1")),
        Fact(("g1", "ana"), {"role": "left"}, at(3, "m2")),
        Fact(("g1", "ana"), {"role": "member"}, at(7, "m3")),
        Fact(("g2", "ana"), {"role": "member"}, at(1, "m4")),
    ]
    await apply_all(sessions, CopiedMembership, history)
    expected = await snapshot(sessions, CopiedMembership)

    await clear(sessions, CopiedMembership)
    await apply_all(sessions, CopiedMembership, [*reversed(history), history[1]])

    assert await snapshot(sessions, CopiedMembership) == expected
    async with sessions() as session:
        copies = Copies(session, CopiedMembership)
        assert (await copies.get(("g1", "ana"))).role == "member"


async def test_an_erasure_leaves_a_tombstone_that_no_older_fact_revives(sessions):
    history = member_history()
    erasure = Fact("ana", None, at(7, "gone"))
    # every order: the erasure first, last, or among the facts, which may be older or newer
    shuffler = random.Random(4)
    outcomes = []
    for _ in range(5):
        facts = [*history, erasure, erasure]
        shuffler.shuffle(facts)
        await clear(sessions, CopiedMember)
        await apply_all(sessions, CopiedMember, facts)
        outcomes.append(await snapshot(sessions, CopiedMember))

        async with sessions() as session:
            copies = Copies(session, CopiedMember)
            assert await copies.get("ana") is None
            assert set(await copies.live(["ana", "ben"])) == {"ben"}
            tombstone = await session.get(CopiedMember, "ana")
            assert tombstone.deleted
            assert (tombstone.name, tombstone.team) == (None, None)  # nothing personal kept

    assert all(outcome == outcomes[0] for outcome in outcomes)


async def test_a_fact_about_an_erased_entity_is_refused_and_says_so(sessions):
    await apply_all(sessions, CopiedMember, [Fact("ana", None, at(5, "gone"))])

    async with sessions() as session:
        copies = Copies(session, CopiedMember)
        written = await copies.apply("ana", {"name": "Ana", "team": "x"}, at(1, "late"))
        newer = await copies.apply("ana", {"name": "Ana", "team": "x"}, at(60, "later"))
        await session.commit()

    assert (written, newer) == (False, False)
    async with sessions() as session:
        assert await Copies(session, CopiedMember).get("ana") is None


def test_a_later_fact_is_newer_and_the_event_id_breaks_a_tie_in_time():
    assert at(1, "a").newer_than(at(0, "z"))
    assert at(0, "b").newer_than(at(0, "a"))
    assert not at(0, "a").newer_than(at(0, "a"))
    assert at(0, "a").newer_than(None)
