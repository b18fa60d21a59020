"""Direct messages: the member's connections to write to, and one conversation at a time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import ApiError
from ..forms import CsrfForm
from ..session import Viewer, ViewerDep
from ..templating import render
from .support import cards, error_status

router = APIRouter()
PARTIAL = "messages/_conversation.html"


@router.get("/messages", name="messages_page")
async def people_to_write_to(request: Request, viewer: ViewerDep) -> HTMLResponse:
    connections = await viewer.api.get(f"/members/{viewer.member_id}/connections")
    return render(request, "messages/index.html", viewer, connections=connections["items"])


@router.get("/messages/{other_id}", name="messages_conversation")
async def conversation(
    request: Request, viewer: ViewerDep, other_id: str, cursor: str | None = None
) -> HTMLResponse:
    return await _page(request, viewer, other_id, cursor=cursor)


@router.post("/messages/{other_id}", name="messages_send")
async def send(request: Request, viewer: ViewerDep, other_id: str, form: CsrfForm) -> Response:
    body = form.get("body", "")
    try:
        await viewer.api.post("/direct-messages", {"recipient_id": other_id, "body": body})
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _page(request, viewer, other_id, error=error, draft=body, partial=PARTIAL)
    if request.headers.get("HX-Request"):  # htmx: the conversation again, and an empty form
        return await _page(request, viewer, other_id, partial=PARTIAL)
    return RedirectResponse(request.url_for("messages_conversation", other_id=other_id).path, 303)


async def _page(
    request: Request,
    viewer: Viewer,
    other_id: str,
    *,
    cursor: str | None = None,
    error: ApiError | None = None,
    draft: str = "",
    partial: str | None = None,
) -> HTMLResponse:
    other = (await cards(viewer.api, [other_id]))[other_id]
    page = await viewer.api.get(
        f"/members/{viewer.member_id}/conversations/{other_id}", cursor=cursor
    )
    return render(
        request,
        "messages/conversation.html",
        viewer,
        partial=partial,
        status_code=error_status(request, error),
        other=other,
        messages=list(reversed(page["items"])),  # the API gives newest first; read down
        next_cursor=page["next_cursor"],
        error=error,
        draft=draft,
    )
