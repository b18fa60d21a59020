"""Time is validated at the edge: every timestamp a request can carry (found in the OpenAPI
document: body properties and query parameters of format date-time) is sent the edge values
of the calendar. Out of the documented range (1970-01-01 to 2100-01-01, UTC) the answer is
422 naming the field; in it, a correct answer. Never a 5xx: nothing past the edge overflows.

Each request is otherwise valid (real members, a real event), so that a refusal can only be
about time.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.gateway.app import create_app
from tests.e2e.system import System, wait_until
from tests.support import test_settings

PROBLEM = "application/problem+json"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
OUT_OF_RANGE = [
    "0001-01-01T00:00:00",
    "0001-01-01T00:00+14:00",
    "1000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "3000-01-01T00:00:00Z",
]
IN_RANGE = ["1970-01-01T00:00:00Z", "2099-12-31T00:00:00Z"]

SPEC = create_app(test_settings("nats://127.0.0.1:1")).openapi()
SCHEMAS = SPEC["components"]["schemas"]


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def is_time(schema: dict) -> bool:
    schema = resolve(schema)
    return schema.get("format") == "date-time" or any(map(is_time, schema.get("anyOf", [])))


def body_schema(operation: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return resolve(content["schema"]) if content else None


def time_fields() -> list[tuple[str, str, str, str]]:
    """(method, path, where, name) of every timestamp a request can carry."""
    found = []
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and is_time(parameter.get("schema", {})):
                    found.append((method.upper(), path, "query", parameter["name"]))
            body = body_schema(operation)
            for name, schema in (body or {}).get("properties", {}).items():
                if is_time(schema):
                    found.append((method.upper(), path, "body", name))
    return found


FIELDS = time_fields()


def test_the_document_declares_the_timestamps_this_test_covers():
    """A guard: if the document stopped saying date-time, the test below would test nothing."""
    names = {(method, path, name) for method, path, _, name in FIELDS}
    assert ("POST", "/v1/events", "starts_at") in names
    assert ("POST", "/v1/meetings", "started_at") in names
    assert ("GET", "/v1/members/{member_id}/relationships", "at") in names


# --- an otherwise valid request --------------------------------------------------------


def neutral_time(name: str) -> str:
    """A time every rule accepts: events ahead, facts (meetings) a little in the past."""
    now = datetime.now(UTC).replace(microsecond=0)
    offsets = {
        "starts_at": timedelta(days=30),
        "ends_at": timedelta(days=30, hours=2),
        "started_at": -timedelta(hours=2),
        "ended_at": -timedelta(hours=1),
        "from": -timedelta(days=1),
        "to": timedelta(days=60),
    }
    return (now + offsets.get(name, timedelta(0))).isoformat().replace("+00:00", "Z")


def sample(name: str, schema: dict, members: list[str]):
    """A valid value for a required field of a body."""
    schema = resolve(schema)
    options = [resolve(s) for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if options:
        return sample(name, options[0], members)
    if is_time(schema):
        return neutral_time(name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return members[:2] if name.endswith("_ids") else []
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "object":
        return {}
    if name.endswith("_id"):
        return members[0]
    return f"edge {name}"


def base_body(schema: dict, members: list[str]) -> dict:
    return {
        name: sample(name, prop, members)
        for name, prop in schema.get("properties", {}).items()
        if name in schema.get("required", []) or is_time(prop)
    }


@pytest.fixture(scope="module")
def world(shared_system: System) -> dict[str, str]:
    """Path values that name real things: two members and an event."""
    ana, ben = shared_system.registered(*(f"time-{uuid.uuid4().hex[:8]}" for _ in "ab"))
    # the events service knows them too (meetings name their participants)
    wait_until(
        lambda: shared_system.as_id(ana).get(f"/v1/members/{ana}/meetings").status_code == 200
    )
    wait_until(
        lambda: shared_system.as_id(ben).get(f"/v1/members/{ben}/meetings").status_code == 200
    )
    event = body_schema(SPEC["paths"]["/v1/events"]["post"])
    created = shared_system.signed_in().post("/v1/events", json=base_body(event, [ana, ben]))
    assert created.status_code == 201, created.text
    return {
        "member_id": ana,
        "other_id": ben,
        "event_id": created.json()["event_id"],
        "team": "edge",
        "members": [ana, ben],
    }


def send(system: System, method: str, path: str, where: str, name: str, value: str, world):
    operation = SPEC["paths"][path][method.lower()]
    url = path.format(**{k: v for k, v in world.items() if isinstance(v, str)})
    # who calls: the member the path names, an analyst for insights, a participant for meetings
    http = system.as_id(world["members"][0]) if url == "/v1/meetings" else system.client_for(url)
    if where == "query":
        return http.request(method, url, params={name: value})
    body = base_body(body_schema(operation), world["members"])
    if method == "PATCH":  # a change: only the field under test
        body = {}
    return http.request(method, url, json=body | {name: value})


def named(response: httpx.Response) -> set[str]:
    return {error["field"] for error in response.json().get("errors", [])}


# --- the edge values -------------------------------------------------------------------

CASES = [
    pytest.param(*field, value, id=f"{field[0]} {field[1]} {field[3]}={value}")
    for field in FIELDS
    for value in OUT_OF_RANGE + IN_RANGE
]


@pytest.mark.parametrize(("method", "path", "where", "name", "value"), CASES)
def test_a_timestamp_at_the_edge_of_time_is_a_422_naming_it_or_a_correct_answer(
    shared_system: System, world, method, path, where, name, value
):
    response = send(shared_system, method, path, where, name, value, world)

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM, response.text
    if value in OUT_OF_RANGE:
        assert response.status_code == 422, response.text
        assert name in named(response), response.text
    elif response.status_code == 422:
        # in range, a rule may still refuse it (a fact in the future): about time only
        times = {n for m, p, _, n in FIELDS if (m, p) == (method, path)}
        assert named(response) <= times, response.text
