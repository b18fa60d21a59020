"""The gateway's content routes are typed by their operations: each answers the reply model
of the operation it calls (no bare dict) and documents every problem that operation may
answer, as application/problem+json."""

from __future__ import annotations

from fastapi.routing import APIRoute

from services.gateway.routes import content
from shared.contracts.api import content as api
from shared.contracts.operations import Answer, operations_of

ROUTES = [r for r in content.router.routes if isinstance(r, APIRoute)]
OPERATIONS = {op.name: op for op in operations_of("content")}
# routes named otherwise than the operation they call
CALLS = {
    "set_post_reaction": api.set_reaction,
    "set_comment_reaction": api.set_reaction,
    "remove_post_reaction": api.remove_reaction,
    "remove_comment_reaction": api.remove_reaction,
}


def operation_of(route: APIRoute):
    return CALLS.get(route.name) or OPERATIONS[route.name]


def test_every_content_route_answers_its_operations_reply_model_or_no_content():
    for route in ROUTES:
        if route.status_code == 204:
            assert route.response_model is None, route.path
        else:
            assert route.response_model is operation_of(route).reply, route.path
            assert issubclass(route.response_model, Answer)


def test_every_problem_an_operation_may_answer_is_documented_as_problem_json():
    for route in ROUTES:
        documented = {code for code in route.responses if code >= 400}
        assert {400, 422, 500, 503, *operation_of(route).errors} <= documented, route.path
        for code in documented:
            assert "application/problem+json" in route.responses[code]["content"]


def test_every_content_operation_has_a_route():
    called = {operation_of(route).name for route in ROUTES}
    assert called == set(OPERATIONS) - {"ping"}
