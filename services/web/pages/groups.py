"""Groups: the member's groups and the directory of open ones to join, start one, join or
leave, invite connections, post in it, and its chat."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import ApiError
from ..forms import CsrfForm
from ..session import Viewer, ViewerDep
from ..templating import render
from .support import error_status

router = APIRouter()
CHAT = "groups/_chat.html"
DIRECTORY_PAGE = 20
Cursor = Annotated[str | None, Query(max_length=4096)]


@router.get("/groups", name="groups_page")
async def groups(request: Request, viewer: ViewerDep, cursor: Cursor = None) -> HTMLResponse:
    return await _groups_page(request, viewer, cursor=cursor)


@router.post("/groups/{group_id}/join", name="groups_join")
async def join(request: Request, viewer: ViewerDep, group_id: str, _: CsrfForm) -> Response:
    """Join from the directory; an error is shown there, next to the group."""
    try:
        await viewer.api.put(f"/groups/{group_id}/members/{viewer.member_id}")
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _groups_page(request, viewer, error=error, failed=group_id)
    return RedirectResponse(_group_path(request, group_id), 303)


@router.post("/groups", name="groups_create")
async def create_group(request: Request, viewer: ViewerDep, form: CsrfForm) -> Response:
    group = {k: form[k] for k in ("name", "topic", "privacy") if form.get(k)}
    try:
        created = await viewer.api.post("/groups", group)
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _groups_page(request, viewer, error=error, draft=form)
    return RedirectResponse(request.url_for("groups_group", group_id=created["id"]).path, 303)


@router.get("/groups/{group_id}", name="groups_group")
async def group(
    request: Request, viewer: ViewerDep, group_id: str, cursor: str | None = None
) -> HTMLResponse:
    return await _group_page(request, viewer, group_id, cursor=cursor)


@router.post("/groups/{group_id}/membership", name="groups_membership")
async def membership(
    request: Request, viewer: ViewerDep, group_id: str, form: CsrfForm
) -> Response:
    """`join` (or accept an invitation), `leave` (or decline one)."""
    path = f"/groups/{group_id}/members/{viewer.member_id}"
    leaving = form.get("action") == "leave"
    try:
        await (viewer.api.delete(path) if leaving else viewer.api.put(path))
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _group_page(request, viewer, group_id, error=error, failed="membership")
    # the last member out deletes the group: back to the list then
    if leaving:
        return RedirectResponse(request.url_for("groups_page").path, 303)
    return RedirectResponse(_group_path(request, group_id), 303)


@router.post("/groups/{group_id}/invitations", name="groups_invite")
async def invite(request: Request, viewer: ViewerDep, group_id: str, form: CsrfForm) -> Response:
    try:
        await viewer.api.put(f"/groups/{group_id}/members/{form.get('member_id', '')}")
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _group_page(request, viewer, group_id, error=error, failed="invite")
    return RedirectResponse(_group_path(request, group_id), 303)


@router.post("/groups/{group_id}/messages", name="groups_message")
async def chat(request: Request, viewer: ViewerDep, group_id: str, form: CsrfForm) -> Response:
    body = form.get("body", "")
    try:
        await viewer.api.post(f"/groups/{group_id}/messages", {"body": body})
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _group_page(request, viewer, group_id, error=error, failed="chat",
                                 draft={"body": body}, partial=CHAT)  # fmt: skip
    if request.headers.get("HX-Request"):
        return await _group_page(request, viewer, group_id, partial=CHAT)
    return RedirectResponse(_group_path(request, group_id) + "#chat", 303)


@router.post("/groups/{group_id}/posts", name="groups_post")
async def group_post(
    request: Request, viewer: ViewerDep, group_id: str, form: CsrfForm
) -> Response:
    try:
        await viewer.api.post("/posts", {"body": form.get("body", ""), "group_id": group_id})
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _group_page(request, viewer, group_id, error=error, failed="post",
                                 draft={"post": form.get("body", "")})  # fmt: skip
    return RedirectResponse(_group_path(request, group_id) + "?posted=1", 303)


def _group_path(request: Request, group_id: str) -> str:
    return request.url_for("groups_group", group_id=group_id).path


async def _groups_page(
    request: Request,
    viewer: Viewer,
    *,
    cursor: str | None = None,
    error: ApiError | None = None,
    failed: str = "create",
    draft: dict | None = None,
) -> HTMLResponse:
    """`failed`: what the error is about, the form to start a group or a group to join."""
    mine, directory = await asyncio.gather(
        viewer.api.get(f"/members/{viewer.member_id}/groups"),
        viewer.api.get("/groups", cursor=cursor, limit=DIRECTORY_PAGE),
    )
    return render(
        request,
        "groups/index.html",
        viewer,
        status_code=error_status(request, error),
        groups=mine["items"],
        directory=directory["items"],
        next_cursor=directory["next_cursor"],
        error=error,
        failed=failed,
        draft=draft or {},
    )


async def _group_page(
    request: Request,
    viewer: Viewer,
    group_id: str,
    *,
    cursor: str | None = None,
    error: ApiError | None = None,
    failed: str | None = None,
    draft: dict | None = None,
    partial: str | None = None,
) -> HTMLResponse:
    group = await viewer.api.get(f"/groups/{group_id}")
    messages, connections = {"items": [], "next_cursor": None}, {"items": []}
    if group["status"] == "member":  # only members read the chat
        messages, connections = await asyncio.gather(
            viewer.api.get(f"/groups/{group_id}/messages", cursor=cursor, limit=30),
            viewer.api.get(f"/members/{viewer.member_id}/connections"),
        )
    in_group = {m["member_id"] for m in group["members"]}
    return render(
        request,
        "groups/group.html",
        viewer,
        partial=partial,
        status_code=error_status(request, error),
        group=group,
        owner=group["owner_id"] == viewer.member_id,
        messages=list(reversed(messages["items"])),  # newest first from the API; read down
        next_cursor=messages["next_cursor"],
        invitable=[c for c in connections["items"] if c["member_id"] not in in_group],
        posted=request.query_params.get("posted") == "1",
        error=error,
        failed=failed,
        draft=draft or {},
    )
