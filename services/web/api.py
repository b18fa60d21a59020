"""The web's client of the public API: the gateway's own /v1 routes, called in process as
the signed-in member, so that every access rule, validation and problem is the API's."""

from __future__ import annotations

from typing import Any

import httpx


class ApiError(Exception):
    """A problem+json answer of the API: `errors` name the fields at fault, if any."""

    def __init__(
        self, status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors or []

    def field(self, name: str) -> str | None:
        """What the API said about the field `name` (a list item `skills.2` counts too)."""
        messages = [
            e["message"]
            for e in self.errors
            if e.get("field") == name or str(e.get("field", "")).startswith(f"{name}.")
        ]
        return "; ".join(messages) or None

    @property
    def unnamed(self) -> bool:
        """True when no field is named: the error is shown on its own."""
        return not self.errors


class SessionExpired(Exception):
    """The API no longer accepts the session's token (401): sign in again."""


class Api:
    """`await api.get("/members/abc/relationships", status="fading")` -> the JSON answer."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, path: str, **params: Any) -> dict:
        return await self.send("GET", path, params=params)

    async def post(self, path: str, json: Any = None) -> dict:
        return await self.send("POST", path, json=json)

    async def put(self, path: str, json: Any = None) -> dict:
        return await self.send("PUT", path, json=json)

    async def patch(self, path: str, json: Any = None) -> dict:
        return await self.send("PATCH", path, json=json)

    async def delete(self, path: str) -> dict:
        return await self.send("DELETE", path)

    async def send(
        self, method: str, path: str, *, json: Any = None, params: dict | None = None
    ) -> dict:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = await self.client.request(
            method, f"/v1{path}", json=json, params=query, headers=self.headers
        )
        if response.status_code == 401:
            raise SessionExpired(response.text)
        if response.status_code >= 400:
            raise _error(response)
        if response.status_code == 204 or not response.content:
            return {}
        return response.json()


def _error(response: httpx.Response) -> ApiError:
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    return ApiError(
        response.status_code,
        str(problem.get("title") or response.reason_phrase),
        str(problem.get("detail") or response.text[:200]),
        [e for e in problem.get("errors") or [] if isinstance(e, dict)],
    )


def in_process_client(app: Any) -> httpx.AsyncClient:
    """An HTTP client on `app` itself (no socket): the API's whole middleware stack runs."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=30
    )
