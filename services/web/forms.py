"""Forms: every POST carries the session's CSRF token (field `csrf`, or header
`X-CSRF-Token` from htmx), checked before the form is read further."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request

from .session import PageForbidden, current_session

CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


async def csrf_form(request: Request) -> dict[str, str]:
    """The posted form as a dict (a field sent twice keeps its last value), once its CSRF
    token matches the session's; otherwise the 403 page."""
    form = await request.form()
    session = current_session(request)
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    if session is None or not sent or not secrets.compare_digest(sent, session.csrf):
        raise PageForbidden(
            "This form has expired or did not come from this site. Go back, reload the page "
            "and try again."
        )
    return {key: str(value) for key, value in form.items() if key != CSRF_FIELD}


CsrfForm = Annotated[dict[str, str], Depends(csrf_form)]


def lines(text: str | None) -> list[str]:
    """A textarea of one item per line -> the items (blank lines dropped)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def items(text: str | None) -> list[str]:
    """'python, sql' -> ['python', 'sql'] (commas or new lines separate)."""
    return [part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()]
