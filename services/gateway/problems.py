"""Every error leaves the gateway as application/problem+json (RFC 9457), naming the field."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shared.contracts.rpc import FieldProblem, Problem, validation_problem
from shared.messaging.rpc import RemoteProblem, ServiceUnavailable

MEDIA_TYPE = "application/problem+json"


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(mode="json"),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _field(location: tuple) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
    errors = error.errors()
    if any(e["type"] == "json_invalid" for e in errors):
        return problem_response(
            Problem(
                type="/problems/malformed-json",
                title="Malformed JSON",
                status=400,
                detail="the request body is not valid JSON",
                errors=[FieldProblem(field="body", message="not valid JSON")],
            )
        )
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


async def _http_error(_: Request, error: HTTPException) -> JSONResponse:
    return problem_response(
        Problem(title=str(error.detail), status=error.status_code, detail=str(error.detail)),
        headers=getattr(error, "headers", None),
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(RemoteProblem, _remote_problem)
    app.add_exception_handler(ServiceUnavailable, _unavailable)
    app.add_exception_handler(HTTPException, _http_error)
