"""The request/reply contract between the gateway and the services.

Every reply is a `Reply`: either `result` or a `problem` in RFC 9457 shape, which the gateway
passes through as application/problem+json.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from shared.errors import DomainError

# A value that is not a URL at all, or a URL of a scheme we do not accept (a headshot must be
# http(s)), cannot be used whatever else is right: 400, like malformed JSON. Every other
# validation problem (missing, wrongly typed, too long, unknown field) is 422.
MALFORMED_VALUE_ERRORS = frozenset({"url_parsing", "url_scheme", "url_syntax_violation"})


def validation_status(error_types: list[str]) -> int:
    """400 when every problem is a malformed value, else 422."""
    return 400 if error_types and set(error_types) <= MALFORMED_VALUE_ERRORS else 422


def validation_problem(errors: list[FieldProblem], error_types: list[str]) -> Problem:
    status = validation_status(error_types)
    return Problem(
        type="/problems/malformed-value" if status == 400 else "/problems/invalid",
        title="Malformed value" if status == 400 else "Invalid request",
        status=status,
        detail="; ".join(f"{e.field}: {e.message}" for e in errors),
        errors=errors,
    )


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
    def internal(cls, service: str, operation: str) -> Problem:
        return cls(
            type="/problems/internal",
            title="Internal error",
            status=500,
            detail=f"the {service} service failed to handle {operation}; it was logged",
        )

    @classmethod
    def from_validation(cls, error: ValidationError) -> Problem:
        errors = [
            FieldProblem(field=".".join(str(p) for p in e["loc"]) or "body", message=e["msg"])
            for e in error.errors()
        ]
        return validation_problem(errors, [e["type"] for e in error.errors()])


class Reply(BaseModel):
    ok: bool
    result: Any = None
    problem: Problem | None = None

    @staticmethod
    @cache
    def of(result: type[BaseModel]) -> type[Reply]:
        """The reply with `result` typed, so a caller parses and validates it in one pass."""
        return create_model(f"{result.__name__}Reply", __base__=Reply, result=(result | None, None))
