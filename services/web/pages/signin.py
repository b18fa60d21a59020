"""Sign in, first-time registration and sign out."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Annotated

from authlib.integrations.base_client import OAuthError
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.gateway.auth import NotAuthenticated

from ..api import Api, ApiError
from ..forms import CsrfForm
from ..session import (
    SIGNIN_COOKIE,
    SIGNIN_SECONDS,
    SignedInDep,
    SignInUnavailable,
    clear,
    cookie_options,
    current_session,
    new_session,
    registered,
    safe_next,
    store,
)
from ..templating import render

log = logging.getLogger(__name__)
router = APIRouter()

Next = Annotated[str | None, Query(alias="next", max_length=2000)]


@router.get("/signin", name="signin")
async def signin_page(
    request: Request, next_url: Next = None, expired: bool = False, signed_out: bool = False
) -> Response:
    if current_session(request) is not None:  # signed in already: on to the page
        return RedirectResponse(safe_next(next_url), status_code=303)
    return render(
        request,
        "signin/signin.html",
        None,
        next=safe_next(next_url),
        expired=expired,
        signed_out=signed_out,
    )


@router.get("/signin/start", name="signin_start")
async def start(request: Request, next_url: Next = None) -> Response:
    """Send the browser to the provider, remembering the state and the PKCE verifier."""
    web = request.app.state.web
    try:
        url, pending = await web.provider.authorization(_callback_url(request))
    except SignInUnavailable as error:
        return _failed(request, str(error), next_url)
    response = RedirectResponse(url, status_code=303)
    value = web.codec.seal(pending | {"next": safe_next(next_url), "at": time.time()})
    options = cookie_options(request)
    response.set_cookie(SIGNIN_COOKIE, value, max_age=SIGNIN_SECONDS, **options)
    return response


@router.get("/signin/callback", name="signin_callback")
async def callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """The provider's answer: exchange the code (with the PKCE verifier) for a token, check
    the token as the API does, find the subject's member, and start the session."""
    web = request.app.state.web
    pending = web.codec.open(request.cookies.get(SIGNIN_COOKIE), max_age=SIGNIN_SECONDS)
    next_url = pending.get("next") if pending else None
    if error:
        return _failed(request, f"the provider refused: {error_description or error}", next_url)
    if pending is None or not state or not secrets.compare_digest(state, pending["state"]):
        return _failed(request, "this sign-in expired or was not started here", next_url)
    if not code:
        return _failed(request, "the provider sent no authorization code", next_url)
    try:
        answer = await web.provider.exchange(_callback_url(request), code, pending["verifier"])
        token = answer["access_token"]
        caller = await request.app.state.verifier.verify(token)
    except (OAuthError, SignInUnavailable, NotAuthenticated, KeyError) as failure:
        log.info("sign-in failed: %s", failure)
        return _failed(request, f"the provider's answer was not accepted ({failure})", next_url)
    expires_at = float(answer.get("expires_at") or time.time() + 3600)
    session = new_session(
        token, caller.subject, caller.roles, expires_at, web.settings.web.session_hours
    )
    # the member of this subject, found as the API finds the acting member
    member_id = await request.app.state.members.member_of(request, caller.subject)
    target = safe_next(next_url)
    if member_id is not None:
        profile = await Api(web.client, token).get(f"/members/{member_id}")
        session = registered(session, member_id, profile["handle"])
    else:
        target = f"/welcome?next={target}"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SIGNIN_COOKIE, **cookie_options(request))
    store(response, request, session)
    return response


def _callback_url(request: Request) -> str:
    base = request.app.state.web.settings.web.public_url
    if base:
        return base.rstrip("/") + "/signin/callback"
    return str(request.url_for("signin_callback"))


def _failed(request: Request, reason: str, next_url: str | None) -> Response:
    response = render(
        request,
        "signin/signin.html",
        None,
        status_code=400,
        next=safe_next(next_url),
        failure=reason,
    )
    response.delete_cookie(SIGNIN_COOKIE, **cookie_options(request))
    return response


@router.get("/welcome", name="welcome")
async def welcome(request: Request, viewer: SignedInDep, next_url: Next = None) -> Response:
    if viewer.member_id:
        return RedirectResponse(safe_next(next_url), status_code=303)
    session = current_session(request)
    return render(
        request,
        "signin/welcome.html",
        viewer,
        next=safe_next(next_url),
        form={"handle": session.subject if session else "", "name": ""},
        error=None,
    )


@router.post("/welcome")
async def register(request: Request, viewer: SignedInDep, form: CsrfForm) -> Response:
    """First sign-in: register the subject as a member (POST /v1/members, as the API does)."""
    target = safe_next(form.get("next"))
    fields = {"handle": form.get("handle", "").strip(), "name": form.get("name", "").strip()}
    try:
        member = await viewer.api.post("/members", json=fields)
    except ApiError as error:
        return render(
            request,
            "signin/welcome.html",
            viewer,
            status_code=error.status if error.status < 500 else 502,
            next=target,
            form=fields,
            error=error,
        )
    session = current_session(request)
    assert session is not None  # SignedInDep found it
    response = RedirectResponse(target, status_code=303)
    store(response, request, registered(session, member["member_id"], member["handle"]))
    return response


@router.post("/signout", name="signout")
async def signout(request: Request, _: CsrfForm) -> Response:
    response = RedirectResponse("/signin?signed_out=1", status_code=303)
    clear(response, request)
    return response
