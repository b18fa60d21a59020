"""Profile: edit it, and the strength meter with each missing item and the points it adds."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..api import ApiError
from ..forms import CsrfForm, items, lines
from ..session import Viewer, ViewerDep, current_session, registered, store
from ..templating import render
from .support import error_status

router = APIRouter()

TEXT = ("name", "headline", "about", "industry", "location")
TAGS = ("keywords", "skills")  # comma separated
STATEMENTS = ("accomplishments", "goals", "values")  # one per line


@router.get("/profile", name="profile")
async def profile(request: Request, viewer: ViewerDep, saved: bool = False) -> Response:
    member, strength = await asyncio.gather(
        viewer.api.get(f"/members/{viewer.member_id}"),
        viewer.api.get(f"/members/{viewer.member_id}/profile-strength"),
    )
    return await _page(request, viewer, _form_of(member), saved=saved, strength=strength)


async def _page(
    request: Request,
    viewer: Viewer,
    form: dict[str, str],
    *,
    saved: bool = False,
    error: ApiError | None = None,
    strength: dict | None = None,
) -> Response:
    if strength is None:
        strength = await viewer.api.get(f"/members/{viewer.member_id}/profile-strength")
    return render(
        request,
        "profile/page.html",
        viewer,
        status_code=error_status(request, error),
        form=form,
        strength=strength,
        saved=saved,
        error=error,
    )


def _form_of(member: dict) -> dict[str, str]:
    form = {name: member.get(name) or "" for name in TEXT}
    form["headshot_url"] = member.get("headshot_url") or ""
    form |= {name: ", ".join(member.get(name) or []) for name in TAGS}
    form |= {name: "\n".join(member.get(name) or []) for name in STATEMENTS}
    return form


def changes(form: dict[str, str]) -> dict:
    """The form as the API's partial update (every field of the form is sent)."""
    body: dict = {name: form.get(name, "").strip() for name in TEXT}
    body["headshot_url"] = form.get("headshot_url", "").strip() or None
    body |= {name: items(form.get(name)) for name in TAGS}
    body |= {name: lines(form.get(name)) for name in STATEMENTS}
    return body


@router.post("/profile")
async def save(request: Request, viewer: ViewerDep, form: CsrfForm) -> Response:
    try:
        member = await viewer.api.patch(f"/members/{viewer.member_id}", changes(form))
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _page(request, viewer, form, error=error)
    response = RedirectResponse("/profile?saved=1", status_code=303)
    session = current_session(request)
    if session is not None and member.get("handle") != session.handle:
        store(response, request, registered(session, viewer.member_id, member["handle"]))
    return response
