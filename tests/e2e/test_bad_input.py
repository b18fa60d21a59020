"""Bad input through HTTP, with every service as its own process.

Every refusal is a 4xx `application/problem+json` naming the offending field, and stores
nothing: each test proves it by reading back what the refused request would have changed.
One system runs for the whole module (per backend), so every test registers its own members
under unique handles.
"""

from __future__ import annotations

import json
import re
import socket
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi.routing import APIRoute

from services.gateway.routes import (
    connections,
    content,
    events,
    meetings,
    members,
    relationships,
    webhooks,
)
from tests.e2e.system import System, wait_until

PROBLEM = "application/problem+json"
MAX_BODY = 64 * 1024
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# --- helpers ---------------------------------------------------------------------------


def unique(prefix: str) -> str:
    """A handle no other test of this module uses (3-30 chars, lowercase)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def registration(handle: str, **fields) -> dict:
    """A registration body: who registers (and their email) comes from their token."""
    return {"handle": handle, "name": handle.title()} | fields


def problem(response: httpx.Response, status: int, field: str) -> dict:
    """Assert `response` is an RFC 9457 problem with `status` naming `field`; return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert field in [error["field"] for error in body["errors"]], body
    return body


def all_members(system: System) -> list[dict]:
    """Every registered member, following the cursor through every page."""
    found: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        # as an operator, who sees every member's email
        response = system.operator().get("/v1/members", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def handles(system: System) -> set[str]:
    return {member["handle"] for member in all_members(system)}


def emails(system: System) -> set[str]:
    return {member["email"] for member in all_members(system)}


def pending(system: System, member_id: str) -> dict:
    response = system.as_id(member_id).get(f"/v1/members/{member_id}/connection-requests")
    assert response.status_code == 200, response.text
    body = response.json()
    return {
        "incoming": [r["id"] for r in body["incoming"]],
        "outgoing": [r["id"] for r in body["outgoing"]],
    }


def connected_to(system: System, member_id: str) -> list[str]:
    response = system.as_id(member_id).get(f"/v1/members/{member_id}/connections")
    assert response.status_code == 200, response.text
    return [item["member_id"] for item in response.json()["items"]]


def profile(system: System, member_id: str) -> dict:
    response = system.as_id(member_id).get(f"/v1/members/{member_id}")
    assert response.status_code == 200, response.text
    return response.json()


def state(system: System, *member_ids: str) -> dict:
    """What the profiles and connections services hold about these members."""
    return {
        member_id: {
            "profile": profile(system, member_id),
            "pending": pending(system, member_id),
            "connections": connected_to(system, member_id),
        }
        for member_id in member_ids
    }


def not_following(system: System, follower: str, other: str) -> bool:
    """Probe that changes nothing: unfollowing someone you do not follow is a 404."""
    response = system.as_id(follower).delete(f"/v1/members/{follower}/follows/{other}")
    assert response.status_code in (204, 404), response.text
    return response.status_code == 404


def send_request(system: System, requester: str, addressee: str) -> httpx.Response:
    return system.as_id(requester).post("/v1/connection-requests", json={"addressee_id": addressee})


def pair(system: System, *prefixes: str) -> list[str]:
    return system.registered(*(unique(p) for p in prefixes))


# --- registration and profiles ---------------------------------------------------------


def test_a_malformed_json_body_is_a_400_naming_the_body_and_registers_nobody(
    shared_system: System,
):
    handle = unique("malformed")
    before = all_members(shared_system)

    response = shared_system.outsider().post(
        "/v1/members",
        content=f'{{"handle": "{handle}", "name": "Mal", "email": '.encode(),
        headers={"content-type": "application/json"},
    )

    problem(response, 400, "body")
    assert all_members(shared_system) == before


def test_a_registration_naming_its_own_email_is_a_422_naming_the_email(shared_system: System):
    """The email is the token's verified one: a body cannot choose it."""
    handle = unique("noemail")
    before = all_members(shared_system)

    response = shared_system.as_member(handle).post(
        "/v1/members", json={"handle": handle, "name": "No Email", "email": "me@example.org"}
    )

    problem(response, 422, "email")
    assert all_members(shared_system) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("skills", "python"), ("name", 123), ("keywords", [1, 2]), ("headline", ["a", "b"])],
    ids=["skills-as-a-string", "name-as-a-number", "keywords-of-numbers", "headline-as-a-list"],
)
def test_a_wrongly_typed_field_is_a_422_naming_it_and_registers_nobody(
    shared_system: System, field: str, value
):
    handle = unique("typed")
    before = all_members(shared_system)

    response = shared_system.as_member(handle).post(
        "/v1/members", json=registration(handle) | {field: value}
    )

    body = problem(response, 422, field if field != "keywords" else "keywords.0")
    assert all(e["field"].split(".")[0] == field for e in body["errors"]), body
    assert all_members(shared_system) == before


@pytest.mark.parametrize(
    "email", ["not-an-email", "two@@example.org", "no-domain@", "@example.org", "a b@example.org"]
)
def test_an_invalid_email_is_a_422_naming_the_email_and_registers_nobody(
    shared_system: System, email: str
):
    handle = unique("bademail")
    before = all_members(shared_system)

    response = shared_system.as_member(handle).post(
        "/v1/members", json=registration(handle, email=email)
    )

    problem(response, 422, "email")
    assert all_members(shared_system) == before


def test_a_duplicate_handle_is_a_409_naming_the_handle_and_registers_nobody(
    shared_system: System,
):
    handle = unique("dup")
    first = shared_system.register(handle)
    before = all_members(shared_system)
    other_email = f"other-{handle}@example.org"

    response = shared_system.as_member(unique("other"), email=other_email).post(
        "/v1/members", json=registration(handle, name="Someone Else")
    )

    problem(response, 409, "handle")
    assert all_members(shared_system) == before
    assert other_email not in emails(shared_system)
    assert profile(shared_system, first["member_id"]) == first


@pytest.mark.parametrize(
    "variant", [str.lower, str.upper, str.title], ids=["same", "upper-case", "title-case"]
)
def test_a_duplicate_email_even_in_another_case_is_a_409_naming_the_email(
    shared_system: System, variant
):
    handle = unique("mail")
    first = shared_system.register(handle)
    before = all_members(shared_system)
    newcomer = unique("mail2")

    response = shared_system.as_member(newcomer, email=variant(first["email"])).post(
        "/v1/members", json=registration(newcomer)
    )

    problem(response, 409, "email")
    assert all_members(shared_system) == before
    assert newcomer not in handles(shared_system)


@pytest.mark.parametrize(("field", "status"), [("handle", 409), ("email", 422)])
def test_changing_a_profile_to_a_taken_handle_or_email_is_refused_and_changes_nothing(
    shared_system: System, field: str, status: int
):
    """A taken handle is a conflict; the email is not the member's to change (the token's)."""
    taken = shared_system.register(unique("taken"))
    member = shared_system.register(unique("changer"))
    value = taken[field].upper() if field == "email" else taken[field]

    response = shared_system.as_id(member["member_id"]).patch(
        f"/v1/members/{member['member_id']}", json={field: value}
    )

    problem(response, status, field)
    assert profile(shared_system, member["member_id"]) == member
    assert profile(shared_system, taken["member_id"]) == taken


@pytest.mark.parametrize(
    ("field", "length"),
    [("name", 101), ("about", 2001), ("handle", 31), ("headline", 201), ("team", 101)],
)
def test_a_field_over_its_documented_length_is_a_422_naming_it_and_registers_nobody(
    shared_system: System, field: str, length: int
):
    handle = unique("long")
    before = all_members(shared_system)

    response = shared_system.as_member(handle).post(
        "/v1/members", json=registration(handle) | {field: "a" * length}
    )

    problem(response, 422, field)
    assert all_members(shared_system) == before


@pytest.mark.parametrize(("field", "length"), [("name", 101), ("about", 2001), ("handle", 31)])
def test_a_change_over_a_documented_length_is_a_422_naming_it_and_changes_nothing(
    shared_system: System, field: str, length: int
):
    member = shared_system.register(unique("patch"))

    response = shared_system.as_id(member["member_id"]).patch(
        f"/v1/members/{member['member_id']}", json={field: "a" * length}
    )

    problem(response, 422, field)
    assert profile(shared_system, member["member_id"]) == member


def test_a_field_at_its_documented_length_is_accepted(shared_system: System):
    """The other side of the limits above: exactly at the limit is fine."""
    handle = unique("edge").ljust(30, "x")
    response = shared_system.as_member(handle).post(
        "/v1/members", json=registration(handle, name="n" * 100, about="a" * 2000)
    )
    assert response.status_code == 201, response.text
    assert handle in handles(shared_system)


def test_an_unknown_extra_field_is_a_422_naming_it_and_stores_nothing(shared_system: System):
    handle = unique("extra")
    before = all_members(shared_system)

    registering = shared_system.as_member(handle).post(
        "/v1/members", json=registration(handle, nickname="Nick")
    )
    problem(registering, 422, "nickname")
    assert all_members(shared_system) == before

    ana, ben = pair(shared_system, "extra-a", "extra-b")
    requested = shared_system.as_id(ana).post(
        "/v1/connection-requests",
        json={"addressee_id": ben, "message": "hi"},
    )
    problem(requested, 422, "message")
    assert pending(shared_system, ana) == {"incoming": [], "outgoing": []}
    assert pending(shared_system, ben) == {"incoming": [], "outgoing": []}


# --- unknown and deleted members -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body", "status"),
    [("GET", None, 404), ("PATCH", {"name": "Nobody"}, 403), ("DELETE", None, 403)],
    ids=["get", "patch", "delete"],
)
def test_an_unknown_member_id_is_a_404_to_read_and_a_403_to_change_and_stores_nothing(
    shared_system: System, method: str, body, status: int
):
    """Anyone signed in reads profiles (404: nobody); only a member changes their own."""
    before = all_members(shared_system)

    response = shared_system.outsider().request(method, f"/v1/members/{UNKNOWN_ID}", json=body)

    if status == 404:
        problem(response, 404, "member_id")
    assert response.status_code == status, response.text
    assert all_members(shared_system) == before
    assert shared_system.outsider().get(f"/v1/members/{UNKNOWN_ID}").status_code == 404


def test_a_connection_request_to_an_unknown_member_is_a_404_naming_the_addressee(
    shared_system: System,
):
    (ana,) = shared_system.registered(unique("lonely"))
    before = state(shared_system, ana)

    response = send_request(shared_system, ana, UNKNOWN_ID)

    problem(response, 404, "addressee_id")
    assert state(shared_system, ana) == before
    assert pending(shared_system, ana) == {"incoming": [], "outgoing": []}


def test_a_connection_request_to_or_from_a_deleted_member_is_a_404(shared_system: System):
    ana, gone = pair(shared_system, "stays", "leaves")
    assert shared_system.as_id(gone).delete(f"/v1/members/{gone}").status_code == 204
    # the connections service has processed member.deleted once it no longer knows them
    wait_until(lambda: send_request(shared_system, ana, gone).status_code == 404)
    before = state(shared_system, ana)

    problem(send_request(shared_system, ana, gone), 404, "addressee_id")
    # the erased member's token names no member any more: nothing is sent in their name
    assert send_request(shared_system, gone, ana).status_code == 403
    problem(shared_system.as_id(ana).put(f"/v1/members/{ana}/follows/{gone}"), 404, "other_id")

    assert state(shared_system, ana) == before
    assert (
        shared_system.as_id(gone).get(f"/v1/members/{gone}/connection-requests").status_code == 403
    )


def test_the_relationships_of_an_unknown_member_are_refused(shared_system: System):
    """Only the member reads their relationships: another id is a 403, known or not."""
    response = shared_system.outsider().get(f"/v1/members/{UNKNOWN_ID}/relationships")
    assert response.status_code == 403, response.text


# --- connection requests, follows and blocks -------------------------------------------


def test_a_connection_request_to_oneself_is_a_422_and_stores_nothing(shared_system: System):
    (ana,) = shared_system.registered(unique("narcissus"))
    before = state(shared_system, ana)

    response = send_request(shared_system, ana, ana)

    problem(response, 422, "addressee_id")
    assert state(shared_system, ana) == before


def test_following_oneself_is_a_422_and_stores_nothing(shared_system: System):
    ana, ben = pair(shared_system, "echo", "witness")
    before = state(shared_system, ana)

    response = shared_system.as_id(ana).put(f"/v1/members/{ana}/follows/{ana}")

    problem(response, 422, "other_id")
    assert state(shared_system, ana) == before
    # a later, valid follow reaches the aggregator: the refused one never did
    assert shared_system.as_id(ben).put(f"/v1/members/{ben}/follows/{ana}").status_code == 200
    wait_until(lambda: ben in shared_system.relationships(ana))
    assert set(shared_system.relationships(ana)) == {ben}


@pytest.mark.parametrize("direction", ["same", "reverse"])
def test_a_second_pending_request_for_the_same_pair_is_a_409_naming_the_addressee(
    shared_system: System, direction: str
):
    ana, ben = pair(shared_system, "eager", "busy")
    first = send_request(shared_system, ana, ben)
    assert first.status_code == 201, first.text
    before = state(shared_system, ana, ben)

    requester, addressee = (ana, ben) if direction == "same" else (ben, ana)
    response = send_request(shared_system, requester, addressee)

    problem(response, 409, "addressee_id")
    assert state(shared_system, ana, ben) == before
    assert pending(shared_system, ana) == {"incoming": [], "outgoing": [first.json()["id"]]}
    assert pending(shared_system, ben) == {"incoming": [first.json()["id"]], "outgoing": []}


@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_accepting_or_declining_by_the_requester_is_a_403_naming_the_member_and_changes_nothing(
    shared_system: System, decision: str
):
    ana, ben = pair(shared_system, "asker", "asked")
    request = send_request(shared_system, ana, ben).json()
    before = state(shared_system, ana, ben)

    response = shared_system.as_id(ana).post(f"/v1/connection-requests/{request['id']}/{decision}")

    problem(response, 403, "member_id")
    assert state(shared_system, ana, ben) == before
    assert pending(shared_system, ben)["incoming"] == [request["id"]]
    assert connected_to(shared_system, ana) == []


def test_withdrawing_by_the_addressee_is_a_403_naming_the_member_and_changes_nothing(
    shared_system: System,
):
    ana, ben = pair(shared_system, "sender", "receiver")
    request = send_request(shared_system, ana, ben).json()
    before = state(shared_system, ana, ben)

    response = shared_system.as_id(ben).post(f"/v1/connection-requests/{request['id']}/withdraw")

    problem(response, 403, "member_id")
    assert state(shared_system, ana, ben) == before
    assert pending(shared_system, ana)["outgoing"] == [request["id"]]


def test_deciding_an_unknown_request_is_a_404_naming_the_request(shared_system: System):
    (ana,) = shared_system.registered(unique("decider"))
    before = state(shared_system, ana)

    response = shared_system.as_id(ana).post(f"/v1/connection-requests/{UNKNOWN_ID}/accept")

    problem(response, 404, "request_id")
    assert state(shared_system, ana) == before


@pytest.fixture
def blocked_pair(shared_system: System) -> Iterator[tuple[str, str]]:
    """Two members, the first blocking the second."""
    blocker, blocked = pair(shared_system, "blocker", "blocked")
    response = shared_system.as_id(blocker).put(f"/v1/members/{blocker}/blocks/{blocked}")
    assert response.status_code == 200, response.text
    yield blocker, blocked


@pytest.mark.parametrize("direction", ["from-the-blocker", "from-the-blocked"])
def test_a_connection_request_between_blocked_members_is_a_403_naming_the_addressee(
    shared_system: System, blocked_pair: tuple[str, str], direction: str
):
    blocker, blocked = blocked_pair
    requester, addressee = (
        (blocker, blocked) if direction == "from-the-blocker" else (blocked, blocker)
    )
    before = state(shared_system, blocker, blocked)

    response = send_request(shared_system, requester, addressee)

    problem(response, 403, "addressee_id")
    assert state(shared_system, blocker, blocked) == before
    assert pending(shared_system, requester) == {"incoming": [], "outgoing": []}


@pytest.mark.parametrize("direction", ["from-the-blocker", "from-the-blocked"])
def test_following_between_blocked_members_is_a_403_naming_the_other(
    shared_system: System, blocked_pair: tuple[str, str], direction: str
):
    blocker, blocked = blocked_pair
    follower, followed = (
        (blocker, blocked) if direction == "from-the-blocker" else (blocked, blocker)
    )
    before = state(shared_system, blocker, blocked)

    response = shared_system.as_id(follower).put(f"/v1/members/{follower}/follows/{followed}")

    problem(response, 403, "other_id")
    assert state(shared_system, blocker, blocked) == before
    assert not_following(shared_system, follower, followed)


# --- the HTTP edge ---------------------------------------------------------------------


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_over_64_kib_is_a_413_naming_the_body_and_registers_nobody(
    shared_system: System, framing: str
):
    handle = unique("huge")
    payload = httpx.Request(
        "POST", "http://x", json=registration(handle, about="a" * (MAX_BODY + 1))
    ).content
    assert len(payload) > MAX_BODY
    before = all_members(shared_system)

    def chunks():
        for start in range(0, len(payload), 8192):
            yield payload[start : start + 8192]

    response = shared_system.outsider().post(
        "/v1/members",
        content=payload if framing == "content-length" else chunks(),
        headers={"content-type": "application/json"},
    )

    problem(response, 413, "body")
    assert all_members(shared_system) == before


def test_a_body_with_a_key_twice_is_a_400_naming_the_key_and_registers_nobody(
    shared_system: System,
):
    """Read with the last value wins, `{"handle": A, "handle": B}` would register B silently."""
    first, second = unique("twice-a"), unique("twice-b")
    before = all_members(shared_system)
    body = json.dumps(registration(first))[:-1] + f', "handle": "{second}"}}'

    response = shared_system.outsider().post(
        "/v1/members", content=body, headers={"content-type": "application/json"}
    )

    problem(response, 400, "handle")
    assert all_members(shared_system) == before
    assert not {first, second} & handles(shared_system)


def test_a_body_that_is_not_json_is_a_415_naming_the_content_type_and_registers_nobody(
    shared_system: System,
):
    before = all_members(shared_system)

    response = shared_system.outsider().post(
        "/v1/members", data={"handle": unique("form"), "name": "Form", "email": "f@example.org"}
    )

    problem(response, 415, "content-type")
    assert all_members(shared_system) == before


def test_a_wrong_method_is_a_405_problem_whose_allow_lists_every_method_of_the_path(
    shared_system: System,
):
    member = shared_system.register(unique("allow"))

    response = shared_system.as_id(member["member_id"]).put(
        f"/v1/members/{member['member_id']}", json={"name": "X"}
    )

    problem(response, 405, "method")
    assert response.headers["allow"] == "DELETE, GET, PATCH"
    assert profile(shared_system, member["member_id"]) == member


def test_an_unknown_path_is_a_404_problem(shared_system: System):
    problem(shared_system.outsider().get("/v1/no-such-thing"), 404, "path")


def raw_request(system: System, request_line: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send a request line no HTTP client would send; return status, headers and body."""
    with socket.create_connection(("127.0.0.1", system.ports["gateway"]), timeout=10) as sock:
        sock.sendall(request_line + b"\r\nHost: rapport\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    "request_line",
    [
        b"GET /v1/members/\xff\xfe HTTP/1.1",
        b"GET /v1/members/a b HTTP/1.1",
        b"GET /v1/\x00 HTTP/1.1",
    ],
    ids=["bytes-that-are-not-ascii", "a-space-in-the-path", "a-nul-in-the-path"],
)
def test_a_request_line_that_is_not_http_is_a_400_problem(shared_system: System, request_line):
    status, headers, body = raw_request(shared_system, request_line)

    assert status == 400
    assert headers["content-type"] == PROBLEM
    assert "request" in [error["field"] for error in json.loads(body)["errors"]]


@pytest.mark.parametrize("path", ["/v1/members/%ff", "/v1/members/%C3%28", "/v1/members/100%"])
def test_a_path_with_bad_percent_encoding_is_a_400_problem_naming_the_path(
    shared_system: System, path: str
):
    status, headers, body = raw_request(shared_system, f"GET {path} HTTP/1.1".encode())

    assert status == 400
    assert headers["content-type"] == PROBLEM
    assert "path" in [error["field"] for error in json.loads(body)["errors"]]


def test_invented_method_names_make_no_metric_series(shared_system: System):
    invented = [f"BREW{uuid.uuid4().hex[:8].upper()}" for _ in range(3)]
    for method in invented:
        response = shared_system.outsider().request(method, "/v1/members")
        problem(response, 405, "method")

    metrics = shared_system.http.get("/metrics").text
    assert not [method for method in invented if method in metrics]
    assert 'method="other"' in metrics


def test_the_openapi_document_lists_every_v1_route_of_the_gateway(shared_system: System):
    response = shared_system.http.get("/openapi.json")
    assert response.status_code == 200, response.text
    documented = {
        (method.upper(), path)
        for path, operations in response.json()["paths"].items()
        for method in operations
    }
    routed = {
        (method, route.path)
        for module in (members, connections, content, relationships, events, meetings, webhooks)
        for route in module.router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/v1")
        for method in route.methods
    }
    api = {
        ("POST", "/v1/members"),
        ("GET", "/v1/members"),
        ("GET", "/v1/members/{member_id}"),
        ("PATCH", "/v1/members/{member_id}"),
        ("DELETE", "/v1/members/{member_id}"),
        ("POST", "/v1/connection-requests"),
        ("POST", "/v1/connection-requests/{request_id}/accept"),
        ("POST", "/v1/connection-requests/{request_id}/decline"),
        ("POST", "/v1/connection-requests/{request_id}/withdraw"),
        ("GET", "/v1/members/{member_id}/connection-requests"),
        ("GET", "/v1/members/{member_id}/connections"),
        ("DELETE", "/v1/members/{member_id}/connections/{other_id}"),
        ("PUT", "/v1/members/{member_id}/follows/{other_id}"),
        ("DELETE", "/v1/members/{member_id}/follows/{other_id}"),
        ("PUT", "/v1/members/{member_id}/blocks/{other_id}"),
        ("DELETE", "/v1/members/{member_id}/blocks/{other_id}"),
        ("GET", "/v1/members/{member_id}/relationships"),
        ("GET", "/v1/relationships/{member_id}/{other_id}"),
        ("GET", "/v1/members/{member_id}/balance"),
        ("GET", "/v1/members/{member_id}/nudges"),
        ("GET", "/v1/insights/org"),
        ("GET", "/v1/insights/teams/{team}"),
        ("POST", "/v1/events"),
        ("GET", "/v1/events"),
        ("GET", "/v1/events/{event_id}"),
        ("PATCH", "/v1/events/{event_id}"),
        ("POST", "/v1/events/{event_id}/cancel"),
        ("GET", "/v1/events/{event_id}/attendees"),
        ("PUT", "/v1/events/{event_id}/rsvps/{member_id}"),
        ("PUT", "/v1/events/{event_id}/check-ins/{member_id}"),
        ("POST", "/v1/meetings"),
        ("GET", "/v1/meetings/{meeting_id}"),
        ("GET", "/v1/members/{member_id}/meetings"),
        ("POST", "/v1/webhooks/{source}"),
        ("GET", "/v1/webhooks/deliveries"),
        ("POST", "/v1/webhooks/deliveries/{delivery_id}/replay"),
        ("POST", "/v1/posts"),
        ("GET", "/v1/posts/{post_id}"),
        ("PATCH", "/v1/posts/{post_id}"),
        ("DELETE", "/v1/posts/{post_id}"),
        ("POST", "/v1/posts/{post_id}/comments"),
        ("GET", "/v1/posts/{post_id}/comments"),
        ("DELETE", "/v1/posts/{post_id}/comments/{comment_id}"),
        ("PUT", "/v1/posts/{post_id}/reactions/{member_id}"),
        ("DELETE", "/v1/posts/{post_id}/reactions/{member_id}"),
        ("PUT", "/v1/posts/{post_id}/comments/{comment_id}/reactions/{member_id}"),
        ("DELETE", "/v1/posts/{post_id}/comments/{comment_id}/reactions/{member_id}"),
        ("POST", "/v1/posts/{post_id}/shares"),
        ("POST", "/v1/groups"),
        ("GET", "/v1/groups/{group_id}"),
        ("PUT", "/v1/groups/{group_id}/members/{member_id}"),
        ("DELETE", "/v1/groups/{group_id}/members/{member_id}"),
        ("POST", "/v1/groups/{group_id}/messages"),
        ("GET", "/v1/groups/{group_id}/messages"),
        ("POST", "/v1/direct-messages"),
        ("GET", "/v1/members/{member_id}/conversations/{other_id}"),
        ("GET", "/v1/members/{member_id}/feed"),
        ("GET", "/v1/members/{member_id}/mutes"),
        ("PUT", "/v1/members/{member_id}/mutes/{target_id}"),
        ("DELETE", "/v1/members/{member_id}/mutes/{target_id}"),
        ("GET", "/v1/members/{member_id}/content-stats"),
        ("GET", "/v1/members/{member_id}/profile-strength"),
        ("GET", "/v1/members/{member_id}/suggestions"),
        ("POST", "/v1/members/{member_id}/suggestions/{other_id}/dismiss"),
    }
    assert api <= routed
    assert routed <= documented
    assert {(m, p) for m, p in documented if p.startswith("/v1")} == routed


def test_healthz_answers_and_metrics_label_requests_by_route_template(shared_system: System):
    health = shared_system.http.get("/healthz")
    assert health.status_code == 200, health.text
    assert health.json() == {"status": "ok"}

    member = shared_system.register(unique("metered"))
    assert (
        shared_system.as_id(member["member_id"])
        .get(f"/v1/members/{member['member_id']}")
        .status_code
        == 200
    )
    assert shared_system.outsider().get(f"/v1/members/{UNKNOWN_ID}").status_code == 404

    metrics = shared_system.http.get("/metrics")
    assert metrics.status_code == 200
    lines = [
        line
        for line in metrics.text.splitlines()
        if line.startswith("rapport_http_requests_total{")
    ]
    routes = {re.search(r'route="([^"]*)"', line).group(1) for line in lines}
    assert "/v1/members/{member_id}" in routes, routes
    assert any("{member_id}" in route for route in routes)
    assert not [route for route in routes if UUID.search(route)], routes
    assert member["member_id"] not in metrics.text
    assert UNKNOWN_ID not in metrics.text
