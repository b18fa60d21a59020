"""Jinja2 templates: `render(request, template, viewer, **context)`, and the helpers every
template has (`csrf_field()`, `url(name, **params)`, `static(path)`, filters `when`,
`percent`, `number`).

One environment per process: each template is compiled once and kept (its file is not
looked at again unless `web.reload_templates` is on, while editing templates)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup, escape

from .session import Viewer

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
    cache_size=-1,  # every template stays compiled (they are few)
)


def render(
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    partial: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page `template`; for an htmx request, the template `partial` if one is given."""
    # htmx restoring a page from history asks for the whole page, not the partial
    swapping = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    chosen = partial if partial and swapping else template
    html = environment.get_template(chosen).render(request=request, viewer=viewer, **context)
    return HTMLResponse(html, status_code=status_code)


@pass_context
def csrf_field(context: Any) -> Markup:
    viewer: Viewer | None = context.get("viewer")
    token = viewer.csrf if viewer is not None else ""
    return Markup('<input type="hidden" name="csrf" value="{}">').format(escape(token))


@pass_context
def url(context: Any, name: str, **params: Any) -> str:
    """The path of the web's route `name` (never an API route of the same name)."""
    request: Request = context["request"]
    route = request.app.state.web.routes[name]
    return str(route.url_path_for(name, **{k: str(v) for k, v in params.items()}))


@cache
def static(path: str) -> str:
    """/static/<path>?v=<its content's digest>: a changed file has a new URL, so browsers
    may keep each version for good (see StaticAssets)."""
    digest = hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


def _instant(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


DAY = 86400
# (unit, its length, shown from this many seconds on): days up to two months, then months
UNITS = (("year", 365 * DAY, 730 * DAY), ("month", 30 * DAY, 60 * DAY), ("day", DAY, DAY),
         ("hour", 3600, 3600), ("minute", 60, 60))  # fmt: skip


def when(value: Any, now: datetime | None = None) -> str:
    """'in 10 days', '3 hours ago', 'in 3 months', 'just now' (and '' for nothing)."""
    moment = _instant(value)
    if moment is None:
        return ""
    seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    for unit, length, shown_from in UNITS:
        if abs(seconds) >= shown_from:
            count = int(abs(seconds) // length)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if seconds > 0 else f"{text} ago"
    return "just now"


def percent(value: Any, digits: int = 0) -> str:
    """0.42 -> '42%'; nothing -> '-'."""
    if value is None:
        return "-"
    return f"{float(value) * 100:.{digits}f}%"


def number(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{float(value):,.{digits}f}"


def date(value: Any) -> str:
    moment = _instant(value)
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else ""


def iso(value: Any) -> str:
    moment = _instant(value)
    return moment.isoformat() if moment else ""


environment.globals |= {"csrf_field": csrf_field, "url": url, "static": static}
environment.filters |= {"when": when, "percent": percent, "number": number, "date": date,
                        "iso": iso}  # fmt: skip
