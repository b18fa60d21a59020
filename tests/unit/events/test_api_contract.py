"""The events API's requests validate time and text at the edge: every timestamp a request can
carry is refused outside 1970..2100 (naming the field), whatever its offset, so that nothing
past the edge can overflow; one-line labels refuse control and deceptive characters."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from shared.contracts.api import events as api
from shared.contracts.operations import Request
from shared.webhooks.adapters import ADAPTERS, PayloadInvalid, normalise

AT = "2026-05-04T18:00:00+02:00"
LATER = "2026-05-04T20:00:00+02:00"

# A valid body of every request with a timestamp; each timestamp field is then spoiled in turn.
VALID: dict[type[BaseModel], dict] = {
    api.CreateEvent: {
        "title": "PyCon",
        "kind": "conference",
        "format": "in_person",
        "starts_at": AT,
        "ends_at": LATER,
    },
    api.NewEvent: {
        "title": "PyCon",
        "kind": "conference",
        "format": "in_person",
        "starts_at": AT,
        "ends_at": LATER,
    },
    api.EventChanges: {"starts_at": AT, "ends_at": LATER},
    api.EventQuery: {"starts_from": AT, "starts_before": LATER},
    api.CheckInDetails: {"checked_in_at": AT},
    api.CheckIn: {"event_id": "e1", "member_id": "m1", "checked_in_at": AT},
    api.LogMeeting: {"participant_ids": ["a", "b"], "started_at": AT, "ended_at": LATER},
}

EDGES = [
    "0001-01-01T00:00+14:00",  # before year 1 once in UTC: overflows a naive conversion
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",  # after year 9999 once in UTC
    "1969-12-31T23:59:59+00:00",
    "2100-01-01T00:00:00Z",
    "2099-12-31T23:00:00-02:00",  # 2100-01-01T01:00Z
    "not a time",
]


def _is_time(schema: dict) -> bool:
    return schema.get("format") == "date-time" or any(map(_is_time, schema.get("anyOf", [])))


def timestamp_fields() -> set[tuple[type[BaseModel], str]]:
    requests = [
        value
        for value in vars(api).values()
        if isinstance(value, type) and issubclass(value, Request) and value is not Request
    ]
    return {
        (model, name)
        for model in requests
        for name, schema in model.model_json_schema()["properties"].items()
        if _is_time(schema)
    }


CASES = [
    (api.CreateEvent, "starts_at"),
    (api.CreateEvent, "ends_at"),
    (api.NewEvent, "starts_at"),
    (api.NewEvent, "ends_at"),
    (api.EventChanges, "starts_at"),
    (api.EventChanges, "ends_at"),
    (api.EventQuery, "starts_from"),
    (api.EventQuery, "starts_before"),
    (api.CheckInDetails, "checked_in_at"),
    (api.CheckIn, "checked_in_at"),
    (api.LogMeeting, "started_at"),
    (api.LogMeeting, "ended_at"),
]
IDS = [f"{model.__name__}.{name}" for model, name in CASES]


def test_every_timestamp_of_every_request_is_covered_below():
    assert timestamp_fields() == set(CASES)


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize(("model", "name"), CASES, ids=IDS)
def test_a_timestamp_out_of_range_is_refused_naming_the_field(model, name: str, edge: str):
    with pytest.raises(ValidationError) as refused:
        model.model_validate(VALID[model] | {name: edge})
    assert [name] == [error["loc"][0] for error in refused.value.errors()]


@pytest.mark.parametrize(("model", "name"), CASES, ids=IDS)
def test_the_edges_of_the_range_are_accepted(model, name: str):
    for inside in ("1970-01-01T00:00:00Z", "2099-12-31T23:59:59.999999Z"):
        value = getattr(model.model_validate(VALID[model] | {name: inside}), name)
        assert value == datetime.fromisoformat(inside)


def test_a_body_time_needs_its_offset_but_a_query_time_reads_as_utc():
    with pytest.raises(ValidationError) as refused:
        api.CreateEvent.model_validate(VALID[api.CreateEvent] | {"starts_at": "2026-06-01T10:00"})
    assert refused.value.errors()[0]["loc"] == ("starts_at",)
    query = api.EventQuery.model_validate({"starts_from": "2026-06-01T10:00"})
    assert query.starts_from == datetime(2026, 6, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "moc.elgoog\u202e"),
        ("title", "Py\u200bCon"),
        ("title", "Py\x00Con"),
        ("venue", "Hall\nB"),
        ("timezone", "Europe/Paris\x1b"),
    ],
    ids=["bidi-override", "zero-width", "nul", "newline", "escape"],
)
def test_an_event_label_with_a_control_or_deceptive_character_is_refused(field: str, value):
    with pytest.raises(ValidationError) as refused:
        api.CreateEvent.model_validate(VALID[api.CreateEvent] | {field: value})
    assert refused.value.errors()[0]["loc"] == (field,)


def test_an_external_reference_is_a_plain_label():
    ref = {"source": "luma", "external_id": "evt\u202e1"}
    with pytest.raises(ValidationError) as refused:
        api.CreateEvent.model_validate(VALID[api.CreateEvent] | {"external_refs": [ref]})
    assert refused.value.errors()[0]["loc"] == ("external_refs", 0, "external_id")


@pytest.mark.parametrize("edge", EDGES[:3])
def test_a_webhook_time_out_of_range_breaks_the_schema_naming_the_field(edge: str):
    body = {
        "type": "event.upserted",
        "data": {
            "external_id": "x",
            "title": "PyCon",
            "kind": "conference",
            "format": "in_person",
            "starts_at": edge,
            "ends_at": LATER,
        },
    }
    with pytest.raises(PayloadInvalid) as refused:
        normalise(ADAPTERS["rapport"], json.dumps(body).encode())
    assert "data.starts_at" in [field for field, _ in refused.value.errors]
