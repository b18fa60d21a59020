"""Direct messages: the member's conversations (the latest message of each), connections to
start one with, and one conversation at a time."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import ApiError
from ..forms import CsrfForm
from ..session import Viewer, ViewerDep
from ..templating import render
from .support import GONE, cards, error_status

router = APIRouter()
PARTIAL = "messages/_conversation.html"
CONVERSATIONS_PAGE = 20
Cursor = Annotated[str | None, Query(max_length=4096)]


@router.get("/messages", name="messages_page")
async def conversations(request: Request, viewer: ViewerDep, cursor: Cursor = None) -> HTMLResponse:
    me = f"/members/{viewer.member_id}"
    talks, connections = await asyncio.gather(
        viewer.api.get(f"{me}/conversations", cursor=cursor, limit=CONVERSATIONS_PAGE),
        viewer.api.get(f"{me}/connections"),
    )
    talking_with = {c["other"]["member_id"] for c in talks["items"]}
    return render(
        request,
        "messages/index.html",
        viewer,
        conversations=[c | {"other": _named(c["other"])} for c in talks["items"]],
        next_cursor=talks["next_cursor"],
        # connections without a conversation on this page: someone to start one with
        connections=[c for c in connections["items"] if c["member_id"] not in talking_with],
    )


def _named(card: dict) -> dict:
    return card if card.get("handle") else card | GONE


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
