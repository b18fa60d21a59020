"""Domain errors. Raised by domain code, mapped once to problem+json at the edge."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. `status` is the HTTP status it maps to."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(DomainError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Forbidden"


class Invalid(DomainError):
    status, code, title = 422, "invalid", "Invalid request"


class OutOfRange(DomainError):
    """A well-formed value outside the range the API accepts (e.g. a page size)."""

    status, code, title = 400, "out-of-range", "Out of range"
