"""The web's client of the public API: the gateway's own /v1 routes, called in process as
the signed-in member, so that every access rule, validation and problem is the API's."""

from __future__ import annotations

import asyncio
import json as jsonlib
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlencode


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

    def __init__(self, client: InProcessClient, token: str) -> None:
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


def _error(response: Answer) -> ApiError:
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


@dataclass(frozen=True)
class Answer:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    @property
    def reason_phrase(self) -> str:
        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return ""

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class InProcessClient:
    """Requests straight into the app's ASGI entry: no socket and no HTTP client, but the
    API's whole middleware stack runs. (httpx's ASGI transport did the same at about a
    seventh of the gateway's event loop time: building URLs and streams, per call.)"""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        body = b"" if json is None else jsonlib.dumps(json).encode()
        raw_headers = [(b"host", b"gateway")]
        raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        if json is not None:
            raw_headers += [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]  # fmt: skip
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": quote(path).encode(),
            "query_string": urlencode(params or {}, doseq=True).encode(),
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 0),
            "server": ("gateway", 80),
        }
        return await _call(self.app, scope, body)

    async def aclose(self) -> None:
        return None


async def _call(app: Any, scope: dict, body: bytes) -> Answer:
    """One request through `app`: its body at once, the answer's body gathered."""
    sent = False
    done = asyncio.Event()
    status = 500
    parts: list[bytes] = []

    async def receive() -> dict:
        nonlocal sent
        if sent:
            await done.wait()
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    await app(scope, receive, send)
    return Answer(status, b"".join(parts))


def in_process_client(app: Any) -> InProcessClient:
    """A client on `app` itself (no socket): the API's whole middleware stack runs."""
    return InProcessClient(app)
