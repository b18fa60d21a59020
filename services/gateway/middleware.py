"""ASGI middleware of the gateway: a body size limit, input hygiene (paths, media types,
duplicate JSON keys) and request metrics by route."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.contracts.rpc import FieldProblem, Problem
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

from .problems import malformed_json

PROBLEM = b"application/problem+json"
# Methods of RFC 9110 (and PATCH): any other name is counted as "other", so that a client
# inventing methods cannot create metric series without bound.
KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


async def send_problem(send: Send, problem: Problem) -> None:
    """Answer with `problem` as application/problem+json, from ASGI middleware."""
    body = json.dumps(problem.model_dump(mode="json")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [
                (b"content-type", PROBLEM),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Refuses bodies over the limit with 413, by Content-Length or while streaming.

    `limit` holds for every path but those starting with a prefix of `path_limits`, which
    have their own (webhooks take larger bodies). `on_refused(scope)` is told of each 413.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        path_limits: dict[str, int] | None = None,
        on_refused: Callable[[Scope], None] | None = None,
    ) -> None:
        self.app, self.default = app, limit
        self.path_limits = path_limits or {}
        self.on_refused = on_refused

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.path_limits.items():
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > limit:
                await self._refuse(scope, send, limit)
                return
            await self.app(scope, receive, send)  # the server enforces Content-Length
            return
        # A streamed (chunked) body: buffer it up to the limit, then hand it on.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await self._refuse(scope, send, limit)
                return
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        if self.on_refused is not None:
            self.on_refused(scope)
        await send_problem(
            send,
            Problem(
                type="/problems/too-large",
                title="Request body too large",
                status=413,
                detail=f"the body is over {limit} bytes",
                errors=[FieldProblem(field="body", message=f"at most {limit} bytes")],
            ),
        )


class _Refused(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _Refused(
                Problem(
                    type="/problems/duplicate-key",
                    title="Duplicate key",
                    status=400,
                    detail=f"the key {key!r} appears twice in one object of the body",
                    errors=[FieldProblem(field=key, message="appears twice in one object")],
                )
            )
        seen[key] = value
    return seen


def _refuse_constant(name: str) -> None:
    raise _Refused(malformed_json(f"not valid JSON ({name} is not a JSON number)"))


def body_problem(body: bytes) -> Problem | None:
    """Why this JSON body cannot be read unambiguously, if it cannot: not UTF-8 (RFC 8259),
    not JSON, NaN or Infinity (Python reads them, JSON has none), a key twice in one object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return malformed_json("not UTF-8")
    try:
        json.loads(
            text.removeprefix("\ufeff"),
            object_pairs_hook=_refuse_duplicates,
            parse_constant=_refuse_constant,
        )
    except _Refused as refused:
        return refused.problem
    except ValueError:
        return malformed_json()
    return None


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def path_problem(raw_path: bytes) -> Problem | None:
    """A path with a stray `%` or percent-encoding that is not UTF-8 names nothing."""
    if _BAD_PERCENT.search(raw_path):
        message = "a '%' not followed by two hexadecimal digits"
    else:
        try:
            unquote_to_bytes(raw_path).decode("utf-8")
            return None
        except UnicodeDecodeError:
            message = "percent-encoded bytes that are not UTF-8"
    return Problem(
        type="/problems/malformed-path",
        title="Malformed path",
        status=400,
        detail=f"the path has {message}",
        errors=[FieldProblem(field="path", message=message)],
    )


class InputHygiene:
    """Refuses, before any route runs, what no route could read unambiguously.

    - a path with bad percent-encoding or encoded bytes that are not UTF-8: 400 naming `path`;
    - a body of another media type than JSON: 415 naming `content-type` (no Content-Type at
      all reads as JSON);
    - a JSON body with a key twice in one object: 400 naming the key. Python's parser keeps
      the last value silently, another reader might keep the first;
    - a body that is not JSON, not UTF-8, or holds NaN or Infinity: 400 naming `body`.

    Paths under `exempt` (webhooks: their body is checked against its signature first, and
    their route records what it refuses) keep only the path check.
    """

    def __init__(self, app: ASGIApp, exempt: tuple[str, ...] = ()) -> None:
        self.app, self.exempt = app, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = path_problem(scope.get("raw_path") or scope["path"].encode())
        if problem is not None:
            await send_problem(send, problem)
            return
        headers = dict(scope["headers"])
        has_body = headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers
        if not has_body or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        content_type = headers.get(b"content-type")
        if content_type is not None and not _is_json(content_type):
            await send_problem(send, unsupported_media_type(content_type))
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        problem = body_problem(body)
        if problem is not None:
            await send_problem(send, problem)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def unsupported_media_type(content_type: bytes) -> Problem:
    media = content_type.decode("latin-1").split(";", 1)[0].strip()
    return Problem(
        type="/problems/unsupported-media-type",
        title="Unsupported media type",
        status=415,
        detail=f"the body must be application/json, not {media!r}",
        errors=[FieldProblem(field="content-type", message="must be application/json")],
    )


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body (BodySizeLimit, outside, has bounded it); None if the client left."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class RequestMetrics:
    """Counts requests and measures latency, labelled by route template (never by ids)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
            HTTP_REQUESTS.labels(template, method, str(status)).inc()
            HTTP_LATENCY.labels(template, method).observe(time.perf_counter() - started)
