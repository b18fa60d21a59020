"""The gateway's HTTP edge, in process: what it refuses before any route runs, how the HTTP
stack's own errors look (always problem+json), what the OpenAPI document says of them, and
that metrics never grow a series per invented method name.

The backends are a recording stand-in: these tests are about the edge, and a refused request
must never reach a service at all.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from services.gateway.app import create_app
from services.gateway.auth import Caller
from services.gateway.middleware import body_problem, path_problem
from shared.contracts.api import profiles as api
from tests.support import test_settings

PROBLEM = "application/problem+json"
MEMBER = "00000000-0000-4000-8000-000000000000"


class RecordingBackends:
    """Answers every call with a fixed profile and remembers what reached it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    async def call(self, operation, request, **_):
        self.calls.append((operation.name, request))
        return api.Profile(
            member_id=MEMBER,
            handle="ada",
            name="Ada",
            email="ada@example.org",
            headline="",
            about="",
            headshot_url=None,
            industry="",
            location="",
            team="",
            keywords=[],
            skills=[],
            accomplishments=[],
            goals=[],
            values=[],
        )


class SignedIn:
    """Stands in for the token verifier: every token is Ada's (tokens: tests/integration)."""

    async def verify(self, token: str) -> Caller:
        return Caller("idp|ada", "ada@example.org", None, frozenset({"member"}))


@pytest.fixture(scope="module")
def app():
    app = create_app(test_settings("nats://127.0.0.1:1"))
    app.state.verifier = SignedIn()
    return app


@pytest.fixture
def backends(app) -> RecordingBackends:
    app.state.backends = RecordingBackends()
    return app.state.backends


@pytest.fixture
def http(app, backends) -> TestClient:
    # No lifespan: nothing connects to NATS; the recording backends stand in.
    return TestClient(app, raise_server_exceptions=False, headers={"Authorization": "Bearer ada"})


def problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


REGISTRATION = '{"handle": "ada", "name": "Ada", "headline": "Analyst"'


# --- duplicate keys --------------------------------------------------------------------


def test_a_body_with_a_key_twice_is_a_400_naming_the_key_and_reaches_no_service(http, backends):
    body = REGISTRATION + ', "name": "Eve"}'

    response = http.post("/v1/members", content=body, headers={"content-type": "application/json"})

    problem(response, 400, "name")
    assert response.json()["type"] == "/problems/duplicate-key"
    assert backends.calls == []


def refused_key(body: bytes) -> str | None:
    problem = body_problem(body)
    return problem.errors[0].field if problem else None


def test_a_key_twice_in_a_nested_object_is_refused_too():
    assert refused_key(b'{"a": {"b": 1, "b": 2}}') == "b"
    assert refused_key(b'[{"x": 1}, {"x": 2}]') is None  # one key per object: fine
    assert refused_key(b'{"a": 1, "A": 2}') is None  # keys are case-sensitive
    assert refused_key(b'\xef\xbb\xbf{"a": 1}') is None  # a byte order mark is tolerated


@pytest.mark.parametrize(
    "body",
    [b'{"name": "\xff\xfe"}', b'{"score": NaN}', b'{"score": -Infinity}', b'{"a": ', b"  "],
    ids=["not-utf8", "nan", "infinity", "truncated", "blank"],
)
def test_a_body_that_is_not_json_is_a_400_naming_the_body_and_reaches_no_service(
    http, backends, body
):
    response = http.post("/v1/members", content=body, headers={"content-type": "application/json"})

    assert problem(response, 400, "body")["type"] == "/problems/malformed-json"
    assert backends.calls == []


def test_a_body_with_distinct_keys_goes_through(http, backends):
    response = http.post(
        "/v1/members", content=REGISTRATION + "}", headers={"content-type": "application/json"}
    )

    assert response.status_code == 201, response.text
    assert [name for name, _ in backends.calls] == ["register_member"]


def test_a_chunked_body_with_a_key_twice_is_refused(http, backends):
    def chunks():
        yield REGISTRATION.encode()
        yield b', "headline": "Impostor"}'

    response = http.post(
        "/v1/members", content=chunks(), headers={"content-type": "application/json"}
    )

    problem(response, 400, "headline")
    assert backends.calls == []


# --- media type and malformed JSON -----------------------------------------------------


def test_a_body_of_another_media_type_is_a_415_naming_the_content_type(http, backends):
    response = http.post(
        "/v1/members", content=REGISTRATION + "}", headers={"content-type": "text/plain"}
    )

    problem(response, 415, "content-type")
    assert backends.calls == []


@pytest.mark.parametrize("media", ["application/json; charset=utf-8", "application/merge+json"])
def test_json_media_types_with_parameters_or_a_json_suffix_are_accepted(http, media):
    response = http.post("/v1/members", content=REGISTRATION + "}", headers={"content-type": media})
    assert response.status_code == 201, response.text


def test_malformed_json_is_a_400_problem_naming_the_body(http, backends):
    response = http.post(
        "/v1/members", content=REGISTRATION, headers={"content-type": "application/json"}
    )

    problem(response, 400, "body")
    assert backends.calls == []


# --- paths and methods -----------------------------------------------------------------


def test_an_unknown_path_is_a_404_problem(http):
    problem(http.get("/v1/nothing-here"), 404, "path")


@pytest.mark.parametrize("path", ["/v1/members/%ff", "/v1/members/%C3%28", "/v1/members/%zz"])
def test_a_path_with_bad_percent_encoding_or_bytes_that_are_not_utf8_is_a_400_naming_the_path(
    http, backends, path
):
    problem(http.get(path), 400, "path")
    assert backends.calls == []


def test_percent_encoded_utf8_in_a_path_is_fine():
    assert path_problem(b"/v1/members/%C3%A9t%C3%A9") is None
    assert path_problem(b"/v1/members/plain") is None


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/members", "GET, POST"),
        ("OPTIONS", "/v1/members", "GET, POST"),
        ("POST", f"/v1/members/{MEMBER}", "DELETE, GET, PATCH"),
        ("PUT", "/healthz", "GET"),
    ],
)
def test_a_wrong_method_is_a_405_problem_whose_allow_lists_every_method_of_the_path(
    http, backends, method, path, allowed
):
    response = http.request(method, path)

    problem(response, 405, "method")
    assert response.headers["allow"] == allowed
    assert backends.calls == []


def test_an_unexpected_failure_is_a_500_problem_that_tells_nothing_of_it(app):
    del app.state.backends  # a route reaching for its backends now fails
    http = TestClient(app, raise_server_exceptions=False)

    response = http.get(f"/v1/members/{MEMBER}")

    body = problem(response, 500)
    assert "backends" not in json.dumps(body)


# --- metrics ---------------------------------------------------------------------------


def methods_counted() -> set[str]:
    return {
        sample.labels["method"]
        for metric in REGISTRY.collect()
        if metric.name == "rapport_http_requests"
        for sample in metric.samples
        if sample.name == "rapport_http_requests_total"
    }


def test_invented_method_names_are_counted_as_other_and_make_no_series(http):
    for method in ("FOO", "BREW", "X-" + "A" * 30):
        problem(http.request(method, "/v1/members"), 405)

    counted = methods_counted()
    assert "other" in counted
    assert not {"FOO", "BREW"} & counted
    assert not [m for m in counted if m.startswith("X-")]


# --- the OpenAPI document --------------------------------------------------------------


def test_every_error_response_of_the_openapi_document_is_problem_json(app):
    spec = app.openapi()
    errors = [
        (path, method, status, response)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        for status, response in operation["responses"].items()
        if status[0] in "45" and path != "/readyz"
    ]
    assert errors
    assert [
        (path, method, status)
        for path, method, status, response in errors
        if list(response["content"]) != [PROBLEM]
    ] == []
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_the_openapi_document_states_the_edge_refusals_of_a_route_with_a_body(app):
    register = app.openapi()["paths"]["/v1/members"]["post"]["responses"]
    assert {"400", "413", "415", "422", "500"} <= set(register)
    get_member = app.openapi()["paths"]["/v1/members/{member_id}"]["get"]["responses"]
    assert {"400", "404", "422", "500"} <= set(get_member)
    assert "415" not in get_member
