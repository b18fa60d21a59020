"""Every route of the OpenAPI document, called as anonymous, as another member, as the
member, as a people-team analyst and as an operator: each answers as its declared rule says.

The routes and their rules come from the document the running gateway serves
(`x-rapport-access`), so a route added without a rule fails here (and the gateway refuses
to start with one). "Allowed" means not refused by the rule (a 401, or a 403 with a Bearer
challenge): the answer is then the domain's (2xx, 404 for the made-up ids, 422 for the
empty body, or a domain's own 403 such as a team too small to show).
"""

from __future__ import annotations

import pytest

from tests.e2e.system import System

UNKNOWN = "00000000-0000-4000-8000-000000000000"
CALLERS = ("anonymous", "other", "member", "analyst", "operator")
DENIED, ALLOWED = "denied", "allowed"


def expected(rule: dict, path: str) -> dict[str, int | str]:
    """What each caller gets under a rule: 401, 403, or allowed."""
    kind = rule["rule"]
    if kind in ("public", "signature"):
        return dict.fromkeys(CALLERS, ALLOWED)
    answers: dict[str, int | str] = {"anonymous": 401}
    if kind == "signed_in":
        return answers | dict.fromkeys(CALLERS[1:], ALLOWED)
    if kind in ("analyst", "operator"):
        return answers | {c: ALLOWED if c == kind else 403 for c in CALLERS[1:]}
    # self, pair, among: a member acting as themself; analyst and operator have no member
    in_path = any("{" + field + "}" in path for field in rule["fields"])
    other = 403 if kind == "pair" or (kind == "self" and in_path) else ALLOWED
    return answers | {"other": other, "member": ALLOWED, "analyst": 403, "operator": 403}


def routes(spec: dict) -> list[tuple[str, str, dict]]:
    found = [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]
    # erasing the member goes last: every other route still has them
    return sorted(found, key=lambda r: (r[0], r[1]) == ("DELETE", "/v1/members/{member_id}"))


@pytest.fixture(scope="module")
def cast(shared_system: System) -> dict:
    ana, ben = shared_system.registered("matrix-ana", "matrix-ben")
    return {
        "ids": {"member": ana, "other": ben},
        "clients": {
            "anonymous": shared_system.http,
            "other": shared_system.as_id(ben),
            "member": shared_system.as_id(ana),
            "analyst": shared_system.analyst(),
            "operator": shared_system.operator(),
        },
    }


def test_every_route_declares_a_rule_and_bearer_security_where_it_needs_a_token(shared_system):
    spec = shared_system.http.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for method, path, operation in routes(spec):
        rule = operation.get("x-rapport-access")
        assert rule is not None, f"{method} {path} has no access rule"
        needs_token = rule["rule"] not in ("public", "signature")
        assert (operation.get("security") == [{"bearer": []}]) == needs_token, (method, path)
        if needs_token:
            assert "401" in operation["responses"], (method, path)


def test_every_route_answers_each_caller_as_its_rule_says(shared_system, cast):
    spec = shared_system.http.get("/openapi.json").json()
    wrong = []
    for method, path, operation in routes(spec):
        rule = operation["x-rapport-access"]
        filled = path.replace("{member_id}", cast["ids"]["member"]).replace("{team}", "research")
        for name in ("other_id", "target_id", "request_id", "post_id", "comment_id", "group_id"):
            filled = filled.replace("{" + name + "}", UNKNOWN)
        for name in ("event_id", "meeting_id", "delivery_id", "source"):
            filled = filled.replace("{" + name + "}", UNKNOWN)
        body = {"json": {}} if "requestBody" in operation else {}
        # the member last: a route that erases them runs once everyone else was refused
        for caller in sorted(CALLERS, key=lambda c: c == "member"):
            want = expected(rule, path)[caller]
            response = cast["clients"][caller].request(method, filled, **body)
            got = response.status_code
            allowed = got != 401 and not (got == 403 and "WWW-Authenticate" in response.headers)
            if (want == ALLOWED and not allowed) or (want != ALLOWED and got != want):
                wrong.append(f"{method} {path} as {caller}: {got}, expected {want}")
    assert wrong == []
