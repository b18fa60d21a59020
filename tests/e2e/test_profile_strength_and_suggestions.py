"""Profile strength and connection suggestions through HTTP, every service its own process.

One system runs for the module (per backend), so each test registers its own members with
unique handles, and gives them a skill nobody else has, so that other tests' members do not
enter its suggestions.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.system import System, wait_until

PROBLEM = "application/problem+json"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def rare_skill() -> str:
    """One word no other member has."""
    return f"zq{uuid.uuid4().hex[:10]}"


def problem(response: httpx.Response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert field in [error["field"] for error in body["errors"]], body
    return body


def register(system: System, prefix: str, **fields) -> str:
    member_id = system.register(unique(prefix), **fields)["member_id"]
    system.known_to(("connections", "list_connections"), member_id)
    return member_id


def suggestions(system: System, member_id: str, **params) -> dict[str, dict]:
    response = system.as_id(member_id).get(f"/v1/members/{member_id}/suggestions", params=params)
    assert response.status_code == 200, response.text
    return {item["member_id"]: item for item in response.json()["items"]}


def strength(system: System, member_id: str) -> dict:
    response = system.as_id(member_id).get(f"/v1/members/{member_id}/profile-strength")
    assert response.status_code == 200, response.text
    return response.json()


# --- profile strength -------------------------------------------------------------------------


def test_a_member_sees_their_profile_strength_and_what_each_missing_item_would_add(
    shared_system: System,
):
    member_id = register(shared_system, "strength", headline="Analyst", skills=["sql"])

    before = strength(shared_system, member_id)

    assert before["score"] == 10
    assert before["level"] == "starter"
    assert before["completed"] == ["headline"]
    missing = {m["item"]: m for m in before["missing"]}
    assert missing["headshot"]["points"] == 15
    assert missing["skills"]["suggestion"].startswith("Add 4 more skills")
    assert before["missing"][0]["item"] == "headshot"  # most points first

    changed = shared_system.as_id(member_id).patch(
        f"/v1/members/{member_id}", json={"headshot_url": "https://example.com/me.png"}
    )
    assert changed.status_code == 200, changed.text
    after = strength(shared_system, member_id)
    assert after["score"] == before["score"] + missing["headshot"]["points"]
    assert "headshot" in after["completed"]


def test_the_profile_strength_of_another_or_unknown_member_is_refused(shared_system: System):
    """A member's profile strength is their own: any other id is a 403, known or not."""
    response = shared_system.signed_in().get(f"/v1/members/{uuid.uuid4()}/profile-strength")
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("url", ["ftp://example.com/me.png", "javascript:alert(1)", "not a url"])
def test_a_headshot_url_that_is_not_http_is_a_400_naming_it_and_stores_nothing(
    shared_system: System, url: str
):
    handle = unique("shot")
    registering = shared_system.as_member(handle).post(
        "/v1/members", json={"handle": handle, "name": "Shot"} | {"headshot_url": url}
    )
    problem(registering, 400, "headshot_url")
    member = shared_system.register(unique("shot"))

    changing = shared_system.as_id(member["member_id"]).patch(
        f"/v1/members/{member['member_id']}", json={"headshot_url": url}
    )

    problem(changing, 400, "headshot_url")
    assert (
        shared_system.as_id(member["member_id"]).get(f"/v1/members/{member['member_id']}").json()
        == member
    )
    listed = shared_system.signed_in().get("/v1/members", params={"limit": 200}).json()["items"]
    assert handle not in {m["handle"] for m in listed}


# --- suggestions ------------------------------------------------------------------------------


def test_a_member_is_suggested_whom_to_connect_with_and_why_and_can_dismiss_for_good(
    shared_system: System,
):
    rare = rare_skill()
    ana = register(shared_system, "ana", goals=[f"move into {rare}"])
    ben = register(shared_system, "ben", skills=[rare, "python"], headline="Data engineer")
    chen = register(shared_system, "chen", skills=[rare])
    dan = register(shared_system, "dan", skills=[rare])

    found = wait_until(
        lambda: (s := suggestions(shared_system, ana)).keys() >= {ben, chen, dan} and s
    )

    fit = found[ben]["reasons"][0]
    assert fit["signal"] == "fit"
    assert fit["text"] == f"their skills match your goal 'move into {rare}': {rare}"
    assert found[ben]["score"] > 0
    assert found[ben]["handle"].startswith("ben-")

    # a pending request removes dan; a dismissal removes chen, for good
    sent = shared_system.as_id(ana).post("/v1/connection-requests", json={"addressee_id": dan})
    assert sent.status_code == 201, sent.text
    dismissed = shared_system.as_id(ana).post(f"/v1/members/{ana}/suggestions/{chen}/dismiss")
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["other_id"] == chen

    assert set(suggestions(shared_system, ana, limit=50)) & {ben, chen, dan} == {ben}
    shared_system.as_id(chen).patch(
        f"/v1/members/{chen}", json={"skills": [rare, rare + " expert"]}
    )
    assert chen not in suggestions(shared_system, ana, limit=50)


def test_suggestion_requests_with_bad_input_are_refused_and_store_nothing(shared_system: System):
    rare = rare_skill()
    ana = register(shared_system, "ana", goals=[rare])
    ben = register(shared_system, "ben", skills=[rare])
    wait_until(lambda: ben in suggestions(shared_system, ana))
    sent = shared_system.as_id(ana).post("/v1/connection-requests", json={"addressee_id": ben})
    accepted = shared_system.as_id(ben).post(f"/v1/connection-requests/{sent.json()['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    unknown = str(uuid.uuid4())

    # another member's suggestions (known or not) are not ana's to read
    assert shared_system.as_id(ana).get(f"/v1/members/{unknown}/suggestions").status_code == 403
    for limit in (0, 51, -3):
        response = shared_system.as_id(ana).get(f"/v1/members/{ana}/suggestions?limit={limit}")
        body = problem(response, 400, "limit")
        assert "between 1 and 50" in body["detail"]
    problem(shared_system.as_id(ana).get(f"/v1/members/{ana}/suggestions?limit=ten"), 422, "limit")
    dismiss = f"/v1/members/{ana}/suggestions/{{}}/dismiss"
    as_ana = shared_system.as_id(ana)
    problem(as_ana.post(dismiss.format(ana)), 409, "other_id")
    problem(as_ana.post(dismiss.format(ben)), 409, "other_id")
    problem(as_ana.post(dismiss.format(unknown)), 404, "other_id")
    refused = as_ana.post(f"/v1/members/{unknown}/suggestions/{ana}/dismiss")
    assert refused.status_code == 403, refused.text

    # nothing was dismissed: once the connection ends, ben is suggested again
    removed = shared_system.as_id(ana).delete(f"/v1/members/{ana}/connections/{ben}")
    assert removed.status_code == 204, removed.text
    assert ben in suggestions(shared_system, ana)


def test_an_erased_member_is_no_longer_suggested_and_has_no_suggestions(shared_system: System):
    rare = rare_skill()
    ana = register(shared_system, "ana", goals=[rare])
    ben = register(shared_system, "ben", skills=[rare])
    wait_until(lambda: ben in suggestions(shared_system, ana))

    assert shared_system.as_id(ben).delete(f"/v1/members/{ben}").status_code == 204

    # ben's token names no member any more; connections forgets him for everyone else
    assert shared_system.as_id(ben).get(f"/v1/members/{ben}/suggestions").status_code == 403
    wait_until(lambda: ben not in suggestions(shared_system, ana))
