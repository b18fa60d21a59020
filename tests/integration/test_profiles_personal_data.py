"""Profiles against real databases: its member facts carry no personal value, and it answers
`personal_data` with exactly the fields asked, or `erased`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.profiles.handlers import ProfileHandlers
from services.profiles.store import Base
from services.profiles.strength import StrengthRules
from shared.contracts.api.profiles import (
    MemberChanges,
    MemberRef,
    PersonalDataQuery,
    RegisterMember,
    UpdateMember,
)
from shared.db import UnitOfWork, messaging_tables
from shared.engines import create_schema, make_engine
from shared.settings import Settings

OUTBOX, INBOX, _ = messaging_tables(Base.metadata)
MARKER = "zq7marker"


@pytest.fixture
async def profiles(database_factory):
    engine = make_engine(await database_factory("profiles"))
    await create_schema(engine, Base.metadata)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    handlers = ProfileHandlers(StrengthRules.from_settings(Settings()))

    async def run(operation: str, command):
        async with UnitOfWork(sessions, outbox=OUTBOX, inbox=INBOX, source="/test") as uow:
            return await getattr(handlers, operation)(command, uow)

    async def member_facts() -> list[bytes]:
        """The member facts waiting in the outbox, as published (the envelopes' JSON)."""
        async with sessions() as session:
            rows = await session.execute(
                select(OUTBOX.c.payload)
                .where(OUTBOX.c.subject.like("rapport.profiles.member.%"))
                .order_by(OUTBOX.c.seq)
            )
            return [row.payload for row in rows]

    yield run, member_facts
    await engine.dispose()


def registration(handle: str) -> RegisterMember:
    return RegisterMember(
        handle=handle,
        name=f"Ada {MARKER}",
        email=f"{handle}.{MARKER}@example.com",
        subject=f"sub-{handle}",
        team="research",
        headline=f"Analyst {MARKER}",
        about=f"About {MARKER}",
        industry=f"Data {MARKER}",
        location=f"London {MARKER}",
        skills=[f"maths {MARKER}"],
        goals=[f"learn {MARKER}"],
        values=[f"care {MARKER}"],
    )


async def test_member_facts_carry_the_id_handle_and_team_and_nothing_personal(profiles):
    run, member_facts = profiles
    ada = (await run("register_member", registration("ada"))).member_id
    changes = MemberChanges(name=f"Ada L {MARKER}", headline=f"Lead {MARKER}")
    await run("update_member", UpdateMember(member_id=ada, changes=changes))

    registered, updated = [json.loads(payload) for payload in await member_facts()]
    assert registered["type"] == "member.registered"
    assert registered["data"] == {"member_id": ada, "handle": "ada", "team": "research"}
    assert updated["data"] == {
        "member_id": ada,
        "handle": "ada",
        "team": "research",
        "changed": ["name", "headline"],
    }
    assert MARKER.encode() not in b"".join(await member_facts())


async def test_personal_data_answers_the_fields_asked_and_erased_for_the_rest(profiles):
    run, _ = profiles
    ada = (await run("register_member", registration("ada"))).member_id
    ben = (await run("register_member", registration("ben"))).member_id
    await run("delete_member", MemberRef(member_id=ben))

    query = PersonalDataQuery(member_ids=[ada, ben, "never", ada], fields=["email", "skills"])
    found = await run("personal_data", query)

    (member,) = found.members
    assert member.model_dump(exclude_none=True) == {
        "member_id": ada,
        "email": f"ada.{MARKER}@example.com",
        "skills": [f"maths {MARKER}"],
    }
    assert member.name is None and member.about is None  # not asked, not given
    assert found.erased == [ben, "never"]
