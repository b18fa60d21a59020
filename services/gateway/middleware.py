"""ASGI middleware of the gateway: a body size limit and request metrics by route."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS


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
        body = json.dumps(
            {
                "type": "/problems/too-large",
                "title": "Request body too large",
                "status": 413,
                "detail": f"the body is over {limit} bytes",
                "errors": [{"field": "body", "message": f"at most {limit} bytes"}],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


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
            method = scope["method"]
            HTTP_REQUESTS.labels(template, method, str(status)).inc()
            HTTP_LATENCY.labels(template, method).observe(time.perf_counter() - started)
