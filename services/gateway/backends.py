"""The gateway's only way to the services: declared operations over NATS, with a timeout.

`Backends.call(operation, request)` returns the operation's typed reply; `responses(...)`
gives a route the error responses its operation declares, as application/problem+json.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Path, Request
from faststream.nats import NatsBroker
from pydantic import BaseModel, StringConstraints

from shared.contracts.operations import Operation
from shared.messaging.rpc import call

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)


class Backends:
    def __init__(self, broker: NatsBroker, timeout: float) -> None:
        self.broker = broker
        self.timeout = timeout

    async def call(
        self,
        operation: Operation[Req, Rep],
        request: Req,
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,
    ) -> Rep:
        return await call(
            self.broker,
            operation,
            request,
            timeout=timeout or self.timeout,
            idempotency_key=idempotency_key,
        )


async def _backends(request: Request) -> Backends:
    return request.app.state.backends


BackendsDep = Annotated[Backends, Depends(_backends)]
IdPath = Annotated[str, Path(min_length=1, max_length=64)]
IdempotencyKey = Annotated[
    Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]
    | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string (a UUID): a retry with the same key and body returns "
        "the first answer and writes nothing; kept 24 hours.",
    ),
]

# What each status means, wherever it is answered.
STATUS_TEXT = {
    400: "Malformed request: not JSON, a duplicate key, a malformed value, a foreign cursor or "
    "a value out of the accepted range",
    401: "No bearer token, or one that does not verify (see WWW-Authenticate)",
    403: "Not allowed for this caller: another member's, or a role the caller lacks",
    404: "No such resource",
    409: "Conflicts with the current state",
    413: "Request body too large",
    422: "Invalid request: the problem names each field",
    500: "Internal error (logged)",
    503: "A service did not answer in time; retry (see Retry-After)",
}

# Any route can answer these: malformed input, validation, an internal error, a service down.
ALWAYS = (400, 422, 500, 503)


def responses(operation: Operation | None = None, *statuses: int, body: bool = False) -> dict:
    """The error responses of a route: its operation's, the edge's and `statuses`."""
    codes = set(ALWAYS) | set(statuses) | (set(operation.errors) if operation else set())
    if body:
        codes.add(413)
    return {code: problem_response_doc(code) for code in sorted(codes)}


def problem_response_doc(code: int) -> dict[str, Any]:
    return {
        "description": STATUS_TEXT[code],
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
