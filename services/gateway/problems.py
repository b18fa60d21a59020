"""Every error leaves the gateway as application/problem+json (RFC 9457), naming the field."""

from __future__ import annotations

import json
from http import HTTPStatus

import h11
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match
from uvicorn.protocols.http.h11_impl import H11Protocol

from shared.contracts.rpc import FieldProblem, Problem, validation_problem
from shared.messaging.rpc import RemoteProblem, ServiceUnavailable

MEDIA_TYPE = "application/problem+json"
ROUTABLE_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(mode="json"),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def malformed_json(message: str = "not valid JSON") -> Problem:
    return Problem(
        type="/problems/malformed-json",
        title="Malformed JSON",
        status=400,
        detail=f"the request body is {message}",
        errors=[FieldProblem(field="body", message=message)],
    )


def _field(location: tuple) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
    errors = error.errors()
    if any(e["type"] == "json_invalid" for e in errors):
        return problem_response(malformed_json())
    fields = [FieldProblem(field=_field(e["loc"]), message=e["msg"]) for e in errors]
    return problem_response(validation_problem(fields, [e["type"] for e in errors]))


async def _remote_problem(_: Request, error: RemoteProblem) -> JSONResponse:
    return problem_response(error.problem)


async def _unavailable(_: Request, error: ServiceUnavailable) -> JSONResponse:
    return problem_response(
        Problem(
            type="/problems/service-unavailable",
            title="Service unavailable",
            status=503,
            detail=f"{error}; try again shortly",
        ),
        headers={"Retry-After": "5"},
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first
    route that matched the path, which is wrong when several routes share it). Routes are
    asked through their public `matches`, as the router itself asks them. A path that the
    API document names as it is (`/v1/webhooks/deliveries`) is that resource, not also a
    value of a parameter (`/v1/webhooks/{source}`): its documented methods are the answer."""
    documented = request.app.openapi().get("paths", {}).get(request.url.path)
    if documented:
        return [method for method in ROUTABLE_METHODS if method.lower() in documented]
    routes = request.app.router.routes
    return [
        method
        for method in ROUTABLE_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    status = error.status_code
    headers = dict(getattr(error, "headers", None) or {})
    if status == 404 and "route" not in request.scope:  # no route: the path names nothing
        problem = Problem(
            type="/problems/no-such-path",
            title="Not found",
            status=404,
            detail=f"no resource at {request.url.path}",
            errors=[FieldProblem(field="path", message="no such resource")],
        )
    elif status == 405:
        allowed = allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        problem = Problem(
            type="/problems/method-not-allowed",
            title="Method not allowed",
            status=405,
            detail=f"{request.method} is not allowed here; allowed: {headers['Allow']}",
            errors=[FieldProblem(field="method", message=f"one of {headers['Allow']}")],
        )
    else:
        problem = Problem(title=_phrase(status), status=status, detail=str(error.detail))
    return problem_response(problem, headers=headers or None)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    # Starlette logs the exception after this answer; the client learns nothing of it.
    return problem_response(
        Problem(
            type="/problems/internal",
            title="Internal error",
            status=500,
            detail="the gateway failed unexpectedly; the error is logged",
        )
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(RemoteProblem, _remote_problem)
    app.add_exception_handler(ServiceUnavailable, _unavailable)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)


class ProblemH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, answering a request it cannot parse (bytes that are not
    ASCII in the request line, a space in the path, a malformed header) as problem+json
    rather than plain text: such a request never reaches the application."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps(
            Problem(
                type="/problems/malformed-request",
                title="Malformed request",
                status=400,
                detail="the request line or headers are not valid HTTP/1.1 (RFC 9112)",
                errors=[FieldProblem(field="request", message="not valid HTTP/1.1")],
            ).model_dump(mode="json")
        ).encode()
        event = h11.Response(
            status_code=400,
            headers=[
                (b"content-type", MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
            reason=b"Bad Request",
        )
        for part in (event, h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(part))
        self.transport.close()
