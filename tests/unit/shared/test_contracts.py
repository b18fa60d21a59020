"""The shared contracts: command validation, the envelope, event types and subjects."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from shared.contracts import events as events_module
from shared.contracts.api.profiles import MemberChanges, RegisterMember
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import (
    EVENT_TYPES,
    ConnectionRequestCancelled,
    MemberBlocked,
    MemberRegistered,
    MemberUpdated,
    UnknownEventType,
    parse_event,
)
from shared.contracts.rpc import Problem
from shared.contracts.subjects import event_subject
from shared.errors import Conflict

VALID = {"handle": "ada", "name": "Ada Lovelace", "email": "ada@example.com", "subject": "idp|ada"}


def invalid_fields(error: ValidationError) -> set[str]:
    return {e["loc"][0] for e in error.errors()}


# --- RegisterMember ------------------------------------------------------------------------


def test_a_valid_registration_passes():
    command = RegisterMember(**VALID, headshot_url="https://example.com/ada.png")
    assert command.handle == "ada"
    assert command.headshot_url is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("email", "not-an-email", id="invalid-email"),
        pytest.param("handle", "Ada", id="handle-with-uppercase"),
        pytest.param("handle", "ab", id="handle-too-short"),
        pytest.param("handle", "a" * 31, id="handle-too-long"),
        pytest.param("name", "x" * 101, id="name-over-100"),
        pytest.param("about", "x" * 2001, id="about-over-2000"),
        pytest.param("headshot_url", "ftp://example.com/ada.png", id="headshot-ftp"),
        pytest.param("headshot_url", "not a url", id="headshot-not-a-url"),
        pytest.param("nickname", "countess", id="unknown-field"),
    ],
)
def test_an_invalid_registration_names_the_offending_field(field, value):
    with pytest.raises(ValidationError) as error:
        RegisterMember(**{**VALID, field: value})
    assert invalid_fields(error.value) == {field}


def test_an_unknown_field_is_refused_as_extra():
    with pytest.raises(ValidationError) as error:
        RegisterMember(**VALID, nickname="countess")
    [problem] = error.value.errors()
    assert problem["loc"] == ("nickname",)
    assert problem["type"] == "extra_forbidden"


def test_the_limits_are_inclusive():
    RegisterMember(**{**VALID, "name": "x" * 100, "about": "x" * 2000, "handle": "a" * 30})
    RegisterMember(**{**VALID, "handle": "abc"})


@pytest.mark.parametrize("field", ["handle", "name", "email", "subject"])
def test_a_registration_without_a_required_field_names_it(field):
    data = {k: v for k, v in VALID.items() if k != field}
    with pytest.raises(ValidationError) as error:
        RegisterMember(**data)
    assert invalid_fields(error.value) == {field}


def test_member_changes_apply_the_same_limits():
    with pytest.raises(ValidationError) as error:
        MemberChanges(handle="Ada")
    assert invalid_fields(error.value) == {"handle"}


# --- Envelope ------------------------------------------------------------------------------


def registered() -> MemberRegistered:
    return MemberRegistered(member_id="m-ada", handle="ada", team="research")


def test_wrapping_an_event_sets_the_cloudevents_attributes():
    event = registered()

    envelope = Envelope.wrap(event, source="rapport/profiles")

    assert envelope.specversion == "1.0"
    assert envelope.type == "member.registered"
    assert envelope.source == "rapport/profiles"
    assert envelope.subject == "m-ada"
    assert envelope.schemaversion == MemberRegistered.schema_version
    assert envelope.datacontenttype == "application/json"
    assert envelope.id


def test_wrapping_sets_an_aware_time_close_to_now():
    before = datetime.now(UTC)
    envelope = Envelope.wrap(registered(), source="rapport/profiles")
    after = datetime.now(UTC)

    assert envelope.time.tzinfo is not None
    assert envelope.time.utcoffset() is not None
    assert before <= envelope.time <= after


def test_wrapping_keeps_a_given_time():
    time = datetime(2025, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert Envelope.wrap(registered(), source="s", time=time).time == time


def test_each_wrap_gets_a_new_id():
    event = registered()
    assert Envelope.wrap(event, source="s").id != Envelope.wrap(event, source="s").id


def test_the_subject_is_the_entity_the_event_is_about():
    requested = ConnectionRequestCancelled(
        request_id="r1", requester_id="m-a", addressee_id="m-b", reason="blocked"
    )
    blocked = MemberBlocked(member_id="m-a", other_id="m-b")

    assert Envelope.wrap(requested, source="s").subject == "r1"
    assert Envelope.wrap(blocked, source="s").subject == "m-a"


def test_the_data_round_trips_through_parse_event():
    event = MemberUpdated(**registered().model_dump(), changed=["skills"])

    parsed = parse_event(Envelope.wrap(event, source="rapport/profiles"))

    assert type(parsed) is MemberUpdated
    assert parsed == event


def test_the_data_round_trips_through_json_and_parse_event():
    event = registered()
    envelope = Envelope.wrap(event, source="rapport/profiles")

    received = Envelope.model_validate_json(envelope.model_dump_json())

    assert received == envelope
    assert parse_event(received) == event


def test_an_envelope_with_a_naive_time_is_refused():
    with pytest.raises(ValidationError) as error:
        Envelope(
            id="e1",
            source="s",
            type="member.blocked",
            time=datetime(2025, 1, 1),
            schemaversion=1,
            data={},
        )
    assert invalid_fields(error.value) == {"time"}


def test_parse_event_refuses_an_unknown_type():
    envelope = Envelope.wrap(registered(), source="s").model_copy(
        update={"type": "member.teleported"}
    )
    with pytest.raises(UnknownEventType):
        parse_event(envelope)


def test_parse_event_refuses_a_bad_payload():
    envelope = Envelope.wrap(MemberBlocked(member_id="m-a", other_id="m-b"), source="s")
    envelope.data = {"member_id": "m-a"}

    with pytest.raises(ValidationError) as error:
        parse_event(envelope)
    assert invalid_fields(error.value) == {"other_id"}


def test_parse_event_tolerates_a_field_added_by_a_newer_producer():
    envelope = Envelope.wrap(MemberBlocked(member_id="m-a", other_id="m-b"), source="s")
    envelope.data = {**envelope.data, "added_in_a_later_version": True}

    assert parse_event(envelope) == MemberBlocked(member_id="m-a", other_id="m-b")


# --- Problem -------------------------------------------------------------------------------


def test_a_problem_from_a_validation_error_names_the_fields():
    with pytest.raises(ValidationError) as error:
        RegisterMember(handle="Ada", name="Ada", email="nope", subject="idp|ada")

    problem = Problem.from_validation(error.value)

    assert problem.status == 422
    assert problem.type == "/problems/invalid"
    assert {e.field for e in problem.errors} == {"handle", "email"}
    assert "handle:" in problem.detail
    assert "email:" in problem.detail


def test_a_problem_from_a_nested_validation_error_joins_the_location_with_dots():
    with pytest.raises(ValidationError) as error:
        MemberChanges(skills=["maths", ""])

    problem = Problem.from_validation(error.value)

    assert [e.field for e in problem.errors] == ["skills.1"]


def test_a_problem_from_a_domain_error_keeps_its_status_and_field():
    problem = Problem.from_domain(Conflict("this handle is already taken", field="handle"))

    assert problem.status == 409
    assert problem.type == "/problems/conflict"
    assert [(e.field, e.message) for e in problem.errors] == [
        ("handle", "this handle is already taken")
    ]


# --- event types and subjects ----------------------------------------------------------------


def test_every_event_type_is_registered_under_its_own_type():
    for name, cls in EVENT_TYPES.items():
        assert cls.type == name


def test_every_event_class_has_a_unique_type():
    types = [cls.type for cls in EVENT_TYPES.values()]
    assert len(types) == len(set(types))


def test_every_concrete_event_class_of_the_module_is_registered():
    concrete = {
        cls
        for _, cls in inspect.getmembers(events_module, inspect.isclass)
        if issubclass(cls, Event) and "type" in vars(cls)
    }
    assert concrete == set(EVENT_TYPES.values())


@pytest.mark.parametrize("cls", EVENT_TYPES.values(), ids=list(EVENT_TYPES))
def test_every_event_class_belongs_to_a_domain_with_a_stream(cls):
    from shared.contracts.streams import STREAMS, stream_for_domain

    assert stream_for_domain(cls.domain) in {stream.name for stream in STREAMS}


@pytest.mark.parametrize("cls", EVENT_TYPES.values(), ids=list(EVENT_TYPES))
def test_the_event_subject_is_rapport_domain_type(cls):
    assert event_subject(cls) == f"rapport.{cls.domain}.{cls.type}"


def test_the_event_subject_of_an_instance_matches_its_class():
    event = MemberBlocked(member_id="m-a", other_id="m-b")
    assert event_subject(event) == "rapport.connections.member.blocked"
    assert event_subject(MemberRegistered) == "rapport.profiles.member.registered"
