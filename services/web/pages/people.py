"""People: suggestions with their reasons (connect, dismiss), incoming and outgoing
connection requests, connections with follow and block, and the members one blocks
(unblock)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..api import ApiError
from ..forms import CsrfForm
from ..session import Viewer, ViewerDep
from ..templating import render
from .support import GONE, cards, error_status

router = APIRouter()

SUGGESTIONS = 10
DONE = {
    "requested": "Request sent.",
    "dismissed": "Suggestion dismissed: it will not come back.",
    "accepted": "Connected.",
    "declined": "Request declined.",
    "withdrawn": "Request withdrawn.",
    "followed": "You follow them now: their posts reach your feed.",
    "unfollowed": "You no longer follow them.",
    "blocked": "Blocked: neither of you sees the other any more.",
    "unblocked": "Unblocked.",
}


@router.get("/people", name="people")
async def people(request: Request, viewer: ViewerDep, done: str | None = None) -> Response:
    return await _page(request, viewer, done=DONE.get(done or ""))


async def _page(
    request: Request,
    viewer: Viewer,
    *,
    done: str | None = None,
    failure: tuple[str, ApiError] | None = None,
) -> Response:
    me = f"/members/{viewer.member_id}"
    suggestions, requests, connections, relationships, blocks = await asyncio.gather(
        viewer.api.get(f"{me}/suggestions", limit=SUGGESTIONS),
        viewer.api.get(f"{me}/connection-requests"),
        viewer.api.get(f"{me}/connections"),
        viewer.api.get(f"{me}/relationships", limit=200),
        viewer.api.get(f"{me}/blocks"),
    )
    # who follows whom, as the relationships know it (the API lists no follows)
    follows = {r["member_id"]: r for r in relationships["items"]}
    others = [r["requester_id"] for r in requests["incoming"]]
    others += [r["addressee_id"] for r in requests["outgoing"]]
    return render(
        request,
        "people/page.html",
        viewer,
        status_code=error_status(request, failure[1] if failure else None),
        suggestions=suggestions["items"],
        incoming=requests["incoming"],
        outgoing=requests["outgoing"],
        connections=connections["items"],
        follows=follows,
        blocks=[b if b["handle"] else b | GONE for b in blocks["items"]],
        people=await cards(viewer.api, others),
        done=done,
        failure=failure,
    )


async def _act(
    request: Request, viewer: Viewer, target: str, done: str, call: Awaitable[dict]
) -> Response:
    """Do it through the API; its error is shown in words next to the person it was about."""
    try:
        await call
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _page(request, viewer, failure=(target, error))
    return RedirectResponse(f"/people?done={done}", status_code=303)


@router.post("/people/{other_id}/connect", name="connect")
async def connect(request: Request, viewer: ViewerDep, other_id: str, _: CsrfForm) -> Response:
    call = viewer.api.post("/connection-requests", {"addressee_id": other_id})
    return await _act(request, viewer, other_id, "requested", call)


@router.post("/people/{other_id}/dismiss", name="dismiss")
async def dismiss(request: Request, viewer: ViewerDep, other_id: str, _: CsrfForm) -> Response:
    call = viewer.api.post(f"/members/{viewer.member_id}/suggestions/{other_id}/dismiss")
    return await _act(request, viewer, other_id, "dismissed", call)


@router.post("/people/requests/{request_id}/{decision}", name="decide_request")
async def decide(
    request: Request, viewer: ViewerDep, request_id: str, decision: str, _: CsrfForm
) -> Response:
    done = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}.get(decision)
    if done is None:
        return await _page(request, viewer)
    call = viewer.api.post(f"/connection-requests/{request_id}/{decision}")
    return await _act(request, viewer, request_id, done, call)


@router.post("/people/{other_id}/{relation}/{change}", name="relate")
async def relate(
    request: Request, viewer: ViewerDep, other_id: str, relation: str, change: str, _: CsrfForm
) -> Response:
    """Follow, unfollow, block, unblock (relation: follows or blocks; change: add or remove)."""
    done = {
        ("follows", "add"): "followed",
        ("follows", "remove"): "unfollowed",
        ("blocks", "add"): "blocked",
        ("blocks", "remove"): "unblocked",
    }.get((relation, change))
    if done is None:
        return await _page(request, viewer)
    path = f"/members/{viewer.member_id}/{relation}/{other_id}"
    call = viewer.api.put(path) if change == "add" else viewer.api.delete(path)
    return await _act(request, viewer, other_id, done, call)
