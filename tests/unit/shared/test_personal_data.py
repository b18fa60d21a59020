"""Member facts carry nothing personal; the services keeping personal fields ask profiles for
them, one request per batch of facts (shared/messaging/personal_data.py)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from services.gateway.access import allowed
from shared.contracts.api.profiles import (
    PERSONAL_DATA_MAX_MEMBERS,
    PersonalDataQuery,
    PersonalFields,
    personal_data,
)
from shared.contracts.envelope import Envelope
from shared.contracts.events import MemberDeleted, MemberRegistered, MemberUpdated
from shared.contracts.rpc import Reply
from shared.messaging.personal_data import ProfilesOverBus, member_facts
from shared.messaging.rpc import ServiceUnavailable

PERSONAL = {
    "name",
    "email",
    "headline",
    "about",
    "headshot_url",
    "industry",
    "location",
    "keywords",
    "skills",
    "accomplishments",
    "goals",
    "values",
}


# --- the facts ------------------------------------------------------------------------------


def test_member_facts_carry_ids_handle_and_team_and_no_personal_field():
    assert set(MemberRegistered.model_fields) == {"member_id", "handle", "team"}
    assert set(MemberUpdated.model_fields) == {"member_id", "handle", "team", "changed"}
    assert MemberRegistered.schema_version == MemberUpdated.schema_version == 2


def test_a_published_member_fact_holds_no_personal_value_even_if_handed_one():
    # a producer passing a whole profile by mistake: the extra fields do not travel
    event = MemberRegistered(
        member_id="m-ada",
        handle="ada",
        team="research",
        name="Ada Lovelace",
        email="ada@example.com",
        headline="Analyst",
    )
    envelope = json.loads(Envelope.wrap(event, source="/rapport/profiles").model_dump_json())
    assert envelope["data"] == {"member_id": "m-ada", "handle": "ada", "team": "research"}
    assert envelope["schemaversion"] == 2
    text = json.dumps(envelope)
    assert "Ada Lovelace" not in text and "ada@example.com" not in text


def test_a_version_1_fact_still_reads_and_its_personal_fields_are_dropped():
    v1 = {"member_id": "m", "handle": "h", "name": "N", "email": "n@x.org", "skills": ["s"]}
    event = MemberRegistered.model_validate(v1)
    assert event.model_dump() == {"member_id": "m", "handle": "h", "team": ""}


# --- the operation ----------------------------------------------------------------------------


def test_the_operation_is_for_three_services_and_never_a_route():
    assert personal_data.access.kind == "services"
    assert set(personal_data.access.fields) == {"connections", "content", "events"}
    with pytest.raises(ValueError, match="services only"):
        allowed(personal_data)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"member_ids": [], "fields": ["name"]}, "member_ids"),
        ({"member_ids": ["m"] * (PERSONAL_DATA_MAX_MEMBERS + 1), "fields": ["name"]}, "member_ids"),
        ({"member_ids": ["m"], "fields": []}, "fields"),
        ({"member_ids": ["m"], "fields": ["subject"]}, "fields"),
        ({"member_ids": ["m"], "fields": ["name"], "extra": 1}, "extra"),
    ],
)
def test_a_request_is_bounded_and_names_personal_fields_only(payload: dict, field: str):
    with pytest.raises(ValidationError) as refused:
        PersonalDataQuery.model_validate(payload)
    assert refused.value.errors()[0]["loc"][0] == field


# --- the consumers' batch handler -------------------------------------------------------------


class Source:
    """profiles as a dict: id -> fields (absent: erased)."""

    def __init__(self, held: dict[str, dict], *, down: bool = False) -> None:
        self.held = held
        self.down = down
        self.requests: list[tuple[list[str], tuple[str, ...]]] = []

    async def fetch(self, member_ids, fields):
        self.requests.append((list(member_ids), tuple(fields)))
        if self.down:
            raise ServiceUnavailable("profiles", "no instance is running")
        return {
            i: PersonalFields(member_id=i, **{f: self.held[i][f] for f in fields})
            if i in self.held
            else None
            for i in member_ids
        }


def fact(event):
    return event, Envelope.wrap(event, source="/rapport/profiles")


class Applied:
    def __init__(self) -> None:
        self.profiles: list[tuple[str, str, PersonalFields]] = []
        self.deleted: list[str] = []

    async def on_profile(self, event, envelope, personal, uow) -> None:
        self.profiles.append((event.type, event.member_id, personal))

    async def on_deleted(self, event, envelope, uow) -> None:
        self.deleted.append(event.member_id)


def handler(source: Source, applied: Applied):
    return member_facts(
        source, ("name",), on_profile=applied.on_profile, on_deleted=applied.on_deleted
    )


async def test_a_batch_of_member_facts_makes_one_request_for_all_its_members():
    source = Source({"ana": {"name": "Ana"}, "ben": {"name": "Ben"}})
    applied = Applied()
    batch = [
        fact(MemberRegistered(member_id="ana", handle="ana")),
        fact(MemberRegistered(member_id="ben", handle="ben")),
        fact(MemberUpdated(member_id="ana", handle="ana2", changed=["handle"])),
        fact(MemberDeleted(member_id="chen")),
    ]
    await handler(source, applied)(batch, uow=None)

    assert source.requests == [(["ana", "ben"], ("name",))]
    assert [(t, m, p.name) for t, m, p in applied.profiles] == [
        ("member.registered", "ana", "Ana"),
        ("member.registered", "ben", "Ben"),
        ("member.updated", "ana", "Ana"),
    ]
    assert applied.deleted == ["chen"]


async def test_a_batch_of_erasures_only_asks_nothing():
    source, applied = Source({}), Applied()
    await handler(source, applied)([fact(MemberDeleted(member_id="ana"))], uow=None)
    assert source.requests == [] and applied.deleted == ["ana"]


async def test_a_member_profiles_erased_is_not_kept_but_their_erasure_is_applied():
    source, applied = Source({"ben": {"name": "Ben"}}), Applied()
    batch = [
        fact(MemberRegistered(member_id="gone", handle="gone")),
        fact(MemberRegistered(member_id="ben", handle="ben")),
        fact(MemberDeleted(member_id="gone")),
    ]
    await handler(source, applied)(batch, uow=None)
    assert [m for _, m, _ in applied.profiles] == ["ben"]
    assert applied.deleted == ["gone"]


async def test_without_profiles_the_batch_fails_and_nothing_is_applied():
    source, applied = Source({"ana": {"name": "Ana"}}, down=True), Applied()
    batch = [
        fact(MemberDeleted(member_id="x")),
        fact(MemberRegistered(member_id="ana", handle="a")),
    ]
    with pytest.raises(ServiceUnavailable):
        await handler(source, applied)(batch, uow=None)
    assert applied.profiles == [] and applied.deleted == []


# --- asking profiles over the bus ---------------------------------------------------------------


class Broker:
    """Answers requests as profiles would: every id known but those in `erased`."""

    def __init__(self, erased: set[str] = frozenset(), *, leave_out: str | None = None) -> None:
        self.erased = erased
        self.leave_out = leave_out
        self.subjects: list[str] = []
        self.sizes: list[int] = []

    async def request(self, data: bytes, subject: str, **_) -> SimpleNamespace:
        self.subjects.append(subject)
        query = PersonalDataQuery.model_validate_json(data)
        self.sizes.append(len(query.member_ids))
        ids = [i for i in query.member_ids if i != self.leave_out]
        result = {
            "members": [{"member_id": i, "name": i.upper()} for i in ids if i not in self.erased],
            "erased": [i for i in ids if i in self.erased],
        }
        return SimpleNamespace(body=Reply(ok=True, result=result).model_dump_json().encode())


async def test_profiles_over_the_bus_answers_found_and_erased_members():
    broker = Broker(erased={"gone"})
    found = await ProfilesOverBus(broker, timeout=1).fetch(["ana", "gone"], ("name",))
    assert found["ana"].name == "ANA" and found["gone"] is None
    assert broker.subjects == ["rapport.rpc.profiles.personal_data"]


async def test_more_members_than_a_request_holds_are_asked_in_as_few_requests_as_fit():
    broker = Broker()
    ids = [f"m{n}" for n in range(PERSONAL_DATA_MAX_MEMBERS + 1)]
    found = await ProfilesOverBus(broker, timeout=1).fetch(ids, ("name",))
    assert broker.sizes == [PERSONAL_DATA_MAX_MEMBERS, 1] and len(found) == len(ids)


async def test_an_answer_leaving_a_member_out_fails_the_batch():
    with pytest.raises(Exception, match="did not answer for"):
        await ProfilesOverBus(Broker(leave_out="ben"), timeout=1).fetch(["ana", "ben"], ("name",))
