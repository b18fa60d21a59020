"""Profile strength in the profiles service against real databases: the score's events are
written in the same transaction as the profile change, for the member and for the members of
their industry whose score the change moves."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.profiles.handlers import ProfileHandlers
from services.profiles.store import Base
from services.profiles.strength import StrengthRules
from shared.contracts.api.profiles import MemberChanges, MemberRef, RegisterMember, UpdateMember
from shared.db import UnitOfWork, messaging_tables
from shared.engines import create_schema, make_engine
from shared.errors import NotFound
from shared.settings import Settings

OUTBOX, INBOX, _ = messaging_tables(Base.metadata)
COMPLETE = {
    "headline": "Data engineer",
    "about": "I build pipelines.",
    "headshot_url": "https://example.com/a.png",
    "location": "Lisbon",
    "skills": ["python", "sql", "spark", "kafka", "airflow"],
    "accomplishments": ["Cut report latency from 2 h to 5 min"],
    "goals": ["lead a data platform team"],
    "values": ["mentoring"],
}


@pytest.fixture
async def profiles(database_factory):
    engine = make_engine(await database_factory("profiles"))
    await create_schema(engine, Base.metadata)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    handlers = ProfileHandlers(StrengthRules.from_settings(Settings()))

    async def run(operation: str, command):
        async with UnitOfWork(sessions, outbox=OUTBOX, inbox=INBOX, source="/test") as uow:
            return await getattr(handlers, operation)(command, uow)

    async def strength_events() -> list[dict]:
        async with sessions() as session:
            rows = await session.execute(
                select(OUTBOX.c.payload)
                .where(OUTBOX.c.subject == "rapport.profiles.profile_strength.changed")
                .order_by(OUTBOX.c.seq)
            )
            return [json.loads(row.payload)["data"] for row in rows]

    yield run, strength_events
    await engine.dispose()


async def register(run, handle: str, **fields) -> str:
    command = RegisterMember(
        handle=handle, name=handle.title(), email=f"{handle}@x.org", subject=handle, **fields
    )
    return (await run("register_member", command)).member_id


async def test_registration_publishes_the_first_score_and_a_change_publishes_the_next(profiles):
    run, strength_events = profiles
    ada = await register(run, "ada", headline="Analyst")

    await run("update_member", UpdateMember(member_id=ada, changes=MemberChanges(about="Hi")))
    await run("update_member", UpdateMember(member_id=ada, changes=MemberChanges(name="Ada L.")))

    assert await strength_events() == [
        {"member_id": ada, "score": 10, "level": "starter", "previous_score": None},
        {"member_id": ada, "score": 20, "level": "starter", "previous_score": 10},
    ]  # the name is not a strength item: no event


async def test_a_newcomer_can_change_the_common_keywords_and_so_the_scores_of_the_industry(
    profiles,
):
    run, strength_events = profiles
    keywords = ["spark", "airflow", "dbt"]
    peers = [
        await register(run, f"peer{i}", industry="Data", keywords=keywords, **COMPLETE)
        for i in range(3)
    ]
    # three members: each has only two peers, too few to measure the industry's keywords
    assert [e["score"] for e in await strength_events()] == [100, 100, 100]

    odd = await register(run, "odd", industry="data", keywords=["chess", "go", "bridge"])

    events = (await strength_events())[3:]
    # now each has three peers: the peers' keywords are common, the newcomer's are not
    assert {e["member_id"]: (e["score"], e["previous_score"]) for e in events} == {odd: (15, None)}
    strength = await run("profile_strength", MemberRef(member_id=odd))
    assert strength.industry_keywords.common == ["airflow", "dbt", "spark"]
    assert "industry_keywords" in {m.item for m in strength.missing}

    # the peers stop sharing keywords: the industry item can no longer be measured for anyone
    for peer, own in zip(peers, ["kafka", "flink", "beam"], strict=True):
        change = MemberChanges(keywords=[own, f"{own}-streams", f"{own}-jobs"])
        await run("update_member", UpdateMember(member_id=peer, changes=change))
    scores = {e["member_id"]: e["score"] for e in (await strength_events())[4:]}
    assert scores[odd] == round(100 * 15 / 90)


async def test_erasing_a_member_rescores_the_industry_they_leave(profiles):
    run, strength_events = profiles
    ids = [
        await register(
            run, f"mem{i}", industry="Data", keywords=["spark", "dbt", "sql"], **COMPLETE
        )
        for i in range(4)
    ]
    before = len(await strength_events())

    await run("delete_member", MemberRef(member_id=ids[0]))

    # three left, each with two peers: the industry item is no longer measured; they still
    # have everything else, so the score stays 100 and nothing is published
    assert len(await strength_events()) == before
    with pytest.raises(NotFound):
        await run("profile_strength", MemberRef(member_id=ids[0]))


async def test_the_profile_strength_of_an_unknown_member_is_not_found(profiles):
    run, _ = profiles
    with pytest.raises(NotFound) as error:
        await run("profile_strength", MemberRef(member_id="nobody"))
    assert error.value.field == "member_id"
