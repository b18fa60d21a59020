"""The web app's composition: `install(app, settings)` gives the gateway its pages, static
files and the web's error pages. Pages call the gateway's own API in process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.gateway.access import access_of, api_routes
from shared.contracts.operations import Access
from shared.settings import Settings

from .api import ApiError, InProcessClient, SessionExpired, in_process_client
from .pages import ROUTERS
from .session import (
    PageForbidden,
    Provider,
    RegistrationRequired,
    SessionCodec,
    SignInRequired,
    clear,
    current_session,
    session_secret,
    signin_url,
    viewer_of,
)
from .templating import environment, render

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
STATIC_MAX_AGE = 365 * 24 * 3600  # pages link static files by their content's digest
API_PATHS = ("/v1/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc")

PAGE = Access("web-page")
"""The gateway's rule for web routes: no bearer token at the HTTP level; each page checks
the session cookie itself and calls the API with the session's token, where the API's own
rules apply."""


async def _page() -> None:
    return None


_page.access = PAGE  # type: ignore[attr-defined]


@dataclass
class WebState:
    settings: Settings
    client: InProcessClient
    codec: SessionCodec
    provider: Provider
    routes: dict[str, Any] = field(default_factory=dict)  # the web's routes by name


class StaticAssets(StaticFiles):
    """The web's static files, kept by browsers for a year: pages name them with their
    content's digest (templating.static), so a changed file is a new URL."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"
        return response


def install(app: FastAPI, settings: Settings) -> None:
    environment.auto_reload = settings.web.reload_templates
    app.state.web = WebState(
        settings=settings,
        client=in_process_client(app),
        codec=SessionCodec(session_secret(settings)),
        provider=Provider(settings),
    )
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False, dependencies=[Depends(_page)])
    # by name, for templates' url(): the API's route functions have names too (log_meeting)
    app.state.web.routes = {
        route.name: route for route in api_routes(app) if access_of(route) is PAGE
    }
    app.mount("/static", StaticAssets(directory=STATIC), name="static")
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(SessionExpired, _session_expired)
    app.add_exception_handler(PageForbidden, _forbidden)
    app.add_exception_handler(ApiError, _api_error)
    api_http_error = app.exception_handlers[StarletteHTTPException]

    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if is_api_path(request.url.path) or error.status_code not in (404, 405):
            return await api_http_error(request, error)
        return _error_page(request, error.status_code, "", "")

    app.add_exception_handler(StarletteHTTPException, http_error)


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATHS) or path in {p.rstrip("/") for p in API_PATHS}


def form_paths(app: FastAPI) -> tuple[str, ...]:
    """Path prefixes of the web's forms (urlencoded bodies, not the API's JSON): the
    gateway's input hygiene leaves their bodies to the forms."""
    prefixes = set()
    for route in api_routes(app):
        if access_of(route) is PAGE and "POST" in route.methods:
            prefixes.add(route.path_format.split("{")[0])
    return tuple(sorted(prefixes))


def _redirect(request: Request, location: str) -> Response:
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


async def _sign_in(request: Request, error: SignInRequired) -> Response:
    target = "/welcome" if isinstance(error, RegistrationRequired) else "/signin"
    return _redirect(request, signin_url(error.next).replace("/signin", target, 1))


async def _session_expired(request: Request, _: SessionExpired) -> Response:
    response = _redirect(request, signin_url(request.url.path) + "&expired=1")
    clear(response, request)
    return response


async def _forbidden(request: Request, error: PageForbidden) -> Response:
    return _error_page(request, 403, "", error.reason)


async def _api_error(request: Request, error: ApiError) -> Response:
    return _error_page(request, error.status, error.title, error.detail)


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    session = current_session(request)
    viewer = viewer_of(request, session) if session is not None else None
    template = {403: "403.html", 404: "404.html"}.get(status, "error.html")
    if status >= 500:
        log.warning("page %s: the API answered %s %s: %s", request.url.path, status, title, detail)
    return render(
        request, template, viewer, status_code=status, status=status, title=title, detail=detail
    )
