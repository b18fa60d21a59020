"""The request/reply contract between the gateway and the services.

Every reply is a `Reply`: either `result` or a `problem` in RFC 9457 shape, which the gateway
passes through as application/problem+json.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from shared.errors import DomainError


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []

    @classmethod
    def from_domain(cls, error: DomainError) -> Problem:
        errors = [FieldProblem(field=error.field, message=error.detail)] if error.field else []
        return cls(
            type=f"/problems/{error.code}",
            title=error.title,
            status=error.status,
            detail=error.detail,
            errors=errors,
        )

    @classmethod
    def from_validation(cls, error: ValidationError) -> Problem:
        errors = [
            FieldProblem(field=".".join(str(p) for p in e["loc"]) or "body", message=e["msg"])
            for e in error.errors()
        ]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return cls(
            type="/problems/invalid",
            title="Invalid request",
            status=422,
            detail=detail,
            errors=errors,
        )


class Reply(BaseModel):
    ok: bool
    result: Any = None
    problem: Problem | None = None
