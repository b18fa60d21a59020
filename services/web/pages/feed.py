"""The feed: newest or most valuable first; posting, commenting, reacting, sharing, muting."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import ApiError
from ..forms import CsrfForm
from ..session import Viewer, ViewerDep, safe_next
from ..templating import render
from .support import cards, error_status

router = APIRouter()

ORDERS = ("recent", "value")
REACTIONS = ("like", "celebrate", "insightful", "support")
NOT_MINE = "none"  # the value of the button of one's current reaction: pressing it removes it


@router.get("/feed", name="feed_page")
async def feed(
    request: Request,
    viewer: ViewerDep,
    order: str = "recent",
    cursor: str | None = None,
) -> HTMLResponse:
    chosen = order if order in ORDERS else "recent"  # a made-up order: the default
    return await _feed_page(request, viewer, order=chosen, cursor=cursor)


@router.post("/feed/posts", name="feed_create_post")
async def create_post(request: Request, viewer: ViewerDep, form: CsrfForm) -> Response:
    post = {"body": form.get("body", ""), "visibility": form.get("visibility") or None}
    if form.get("link"):
        post["link"] = form["link"]
    try:
        await viewer.api.post("/posts", post)
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _feed_page(request, viewer, error=error, draft=form)
    return RedirectResponse(request.url_for("feed_page").path, 303)


@router.get("/feed/posts/{post_id}", name="feed_post")
async def post_page(
    request: Request, viewer: ViewerDep, post_id: str, cursor: str | None = None
) -> HTMLResponse:
    return await _post_page(request, viewer, post_id, cursor=cursor)


@router.post("/feed/posts/{post_id}/comments", name="feed_comment")
async def comment(request: Request, viewer: ViewerDep, post_id: str, form: CsrfForm) -> Response:
    try:
        await viewer.api.post(f"/posts/{post_id}/comments", {"body": form.get("body", "")})
    except ApiError as error:
        if error.status >= 500 or error.status == 404:
            raise
        return await _post_page(request, viewer, post_id, error=error, draft=form, form="comment")
    return RedirectResponse(request.url_for("feed_post", post_id=post_id).path + "#comments", 303)


@router.post("/feed/posts/{post_id}/reactions", name="feed_react")
async def react(request: Request, viewer: ViewerDep, post_id: str, form: CsrfForm) -> Response:
    """Press a reaction to set it (replacing another), press one's own to take it back."""
    kind = form.get("kind", "")
    path = f"/posts/{post_id}/reactions/{viewer.member_id}"
    if kind == NOT_MINE:
        try:
            await viewer.api.delete(path)
        except ApiError as error:
            if error.status != 404:  # already gone: what was wanted
                raise
    else:
        await viewer.api.put(path, {"kind": kind})
    if request.headers.get("HX-Request"):
        post = await viewer.api.get(f"/posts/{post_id}")
        return render(request, "feed/_reactions.html", viewer, post=post, reactions=REACTIONS,
                      not_mine=NOT_MINE, back=safe_next(form.get("next")))  # fmt: skip
    return RedirectResponse(safe_next(form.get("next")), 303)


@router.post("/feed/posts/{post_id}/shares", name="feed_share")
async def share(request: Request, viewer: ViewerDep, post_id: str, form: CsrfForm) -> Response:
    body = {"comment": form["comment"]} if form.get("comment", "").strip() else {}
    try:
        await viewer.api.post(f"/posts/{post_id}/shares", body)
    except ApiError as error:
        if error.status >= 500 or error.status == 404:
            raise
        return await _post_page(request, viewer, post_id, error=error, draft=form, form="share")
    return RedirectResponse(request.url_for("feed_post", post_id=post_id).path + "?shared=1", 303)


@router.post("/feed/mutes/{target_id}", name="feed_mute")
async def mute(request: Request, viewer: ViewerDep, target_id: str, form: CsrfForm) -> Response:
    """Mute a member or a group (`mute=1`), or lift the mute (`mute=0`)."""
    path = f"/members/{viewer.member_id}/mutes/{target_id}"
    if form.get("mute") == "0":
        try:
            await viewer.api.delete(path)
        except ApiError as error:
            if error.status != 404:
                raise
    else:
        await viewer.api.put(path)
    return RedirectResponse(safe_next(form.get("next") or "/feed"), 303)


async def _feed_page(
    request: Request,
    viewer: Viewer,
    *,
    order: str = "recent",
    cursor: str | None = None,
    error: ApiError | None = None,
    draft: dict | None = None,
) -> HTMLResponse:
    me = f"/members/{viewer.member_id}"
    page, mutes = await asyncio.gather(
        viewer.api.get(f"{me}/feed", order=order, cursor=cursor, limit=20),
        viewer.api.get(f"{me}/mutes"),
    )
    return render(
        request,
        "feed/index.html",
        viewer,
        status_code=error_status(request, error),
        order=order,
        items=page["items"],
        next_cursor=page["next_cursor"],
        mutes=await _muted(viewer, mutes["items"]),
        reactions=REACTIONS,
        not_mine=NOT_MINE,
        error=error,
        draft=draft or {},
    )


async def _muted(viewer: Viewer, mutes: list[dict]) -> list[dict]:
    """Each mute with a name to show: a member's, or a group's (if it is still visible)."""
    people = await cards(viewer.api, [m["target_id"] for m in mutes if m["kind"] == "member"])
    named = []
    for mute in mutes:
        if mute["kind"] == "member":
            card = people[mute["target_id"]]
            name = card["name"] or card["handle"]
        else:
            try:
                name = (await viewer.api.get(f"/groups/{mute['target_id']}"))["name"]
            except ApiError:
                name = "a group you no longer see"
        named.append(mute | {"name": name})
    return named


async def _post_page(
    request: Request,
    viewer: Viewer,
    post_id: str,
    *,
    cursor: str | None = None,
    error: ApiError | None = None,
    draft: dict | None = None,
    form: str | None = None,
) -> HTMLResponse:
    post, comments = await asyncio.gather(
        viewer.api.get(f"/posts/{post_id}"),
        viewer.api.get(f"/posts/{post_id}/comments", cursor=cursor, limit=50),
    )
    return render(
        request,
        "feed/post.html",
        viewer,
        status_code=error_status(request, error),
        post=post,
        comments=comments["items"],
        next_cursor=comments["next_cursor"],
        reactions=REACTIONS,
        not_mine=NOT_MINE,
        shared=request.query_params.get("shared") == "1",
        error=error,
        failed_form=form,
        draft=draft or {},
    )
