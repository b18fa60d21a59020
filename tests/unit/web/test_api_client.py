"""The web's API client: problem+json answers become ApiError naming the fields, a 401 ends
the session, and calls go through the app in process."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from services.web.api import Api, ApiError, SessionExpired, in_process_client


def app() -> FastAPI:
    api = FastAPI()

    @api.get("/v1/ok")
    async def ok() -> dict:
        return {"fine": True}

    @api.patch("/v1/members/m")
    async def invalid() -> JSONResponse:
        problem = {
            "title": "Invalid request",
            "status": 422,
            "detail": "2 fields are invalid",
            "errors": [
                {"field": "headshot_url", "message": "must be an http(s) URL"},
                {"field": "skills.3", "message": "at most 100 characters"},
            ],
        }
        return JSONResponse(problem, status_code=422, media_type="application/problem+json")

    @api.get("/v1/expired")
    async def expired() -> Response:
        return JSONResponse({"title": "Not authenticated"}, status_code=401)

    @api.post("/v1/echo/{name}")
    async def echo(name: str, request: Request) -> dict:
        return {
            "name": name,
            "query": dict(request.query_params),
            "body": await request.json(),
            "token": request.headers["authorization"],
        }

    @api.delete("/v1/gone")
    async def gone() -> Response:
        return Response(status_code=204)

    return api


@pytest.fixture
def client() -> Api:
    return Api(in_process_client(app()), "the-token")


async def test_an_answer_is_its_json(client):
    assert await client.get("/ok") == {"fine": True}
    assert await client.delete("/gone") == {}


async def test_a_problem_names_its_fields_for_the_form(client):
    with pytest.raises(ApiError) as raised:
        await client.patch("/members/m", {"headshot_url": "x"})
    error = raised.value
    assert (error.status, error.title) == (422, "Invalid request")
    assert error.field("headshot_url") == "must be an http(s) URL"
    assert error.field("skills") == "at most 100 characters"  # an item of the list
    assert error.field("name") is None


async def test_a_401_ends_the_session(client):
    with pytest.raises(SessionExpired):
        await client.get("/expired")


async def test_the_call_carries_the_token_the_query_and_the_body_to_the_api(client):
    answer = await client.send("POST", "/echo/a b", json={"x": 1}, params={"limit": 5, "c": None})
    assert answer == {
        "name": "a b",
        "query": {"limit": "5"},
        "body": {"x": 1},
        "token": "Bearer the-token",
    }
