"""The connections service's pairs on a real database: a pair is saved only if nobody changed
it since it was read, so of two concurrent changes of one pair exactly one is saved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.connections.domain import ACCEPTED, Pair
from services.connections.store import Base, Pairs
from shared.engines import create_schema, make_engine
from shared.errors import Conflict

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(database_factory) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(await database_factory("connections"))
    await create_schema(engine, Base.metadata)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def requested(sessions) -> None:
    async with sessions() as session:
        pair = await Pairs(session).get("ana", "ben")
        pair.request("ana", "r1", NOW)
        await Pairs(session).save(pair)
        await session.commit()


async def test_of_two_decisions_read_at_once_the_second_saved_is_a_conflict(sessions):
    await requested(sessions)
    first, second = sessions(), sessions()
    accepting = await Pairs(first).get("ana", "ben")
    withdrawing = await Pairs(second).get("ana", "ben")
    accepting.accept("r1", "ben", NOW)
    withdrawing.withdraw("r1", "ana", NOW)

    await Pairs(first).save(accepting, field="request_id")
    await first.commit()
    with pytest.raises(Conflict) as lost:
        await Pairs(second).save(withdrawing, field="request_id")
    await second.rollback()
    await first.close()
    await second.close()

    assert lost.value.field == "request_id"
    async with sessions() as session:
        pair = await Pairs(session).get("ana", "ben")
        assert pair.connected and pair.pending is None
        assert (await Pairs(session).request("r1")).status == ACCEPTED


async def test_of_two_first_changes_of_a_new_pair_the_second_fails(sessions):
    first, second = sessions(), sessions()
    following = await Pairs(first).get("ana", "ben")
    requesting = await Pairs(second).get("ana", "ben")
    following.follow("ana", NOW)
    requesting.request("ben", "r1", NOW)

    await Pairs(first).save(following)
    await first.commit()
    with pytest.raises(IntegrityError):  # the primary key: answered 409 at the edge
        await Pairs(second).save(requesting)
    await second.rollback()
    await first.close()
    await second.close()

    async with sessions() as session:
        pair = await Pairs(session).get("ana", "ben")
        assert pair.follows("ana") and pair.pending is None


async def test_changes_read_one_after_the_other_are_both_saved(sessions):
    await requested(sessions)
    async with sessions() as session:
        pair = await Pairs(session).get("ana", "ben")
        pair.follow("ben", NOW)
        await Pairs(session).save(pair)
        await session.commit()
    async with sessions() as session:
        pair = await Pairs(session).get("ana", "ben")
        pair.accept("r1", "ben", NOW)
        await Pairs(session).save(pair)
        await session.commit()

    async with sessions() as session:
        pair: Pair = await Pairs(session).get("ana", "ben")
        assert pair.connected and pair.follows("ben")
        assert pair.version == 3
        assert await Pairs(session).pending_requests_of("ana") == []
        assert (await Pairs(session).request("r1")).status == ACCEPTED
