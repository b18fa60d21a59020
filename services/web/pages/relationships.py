"""Relationships: each with its health bar, status, components, the explanation in words and
when its status drops if nothing happens; filtered by status. Another member's list is the
API's 403, shown as the 403 page."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from .. import charts
from ..session import Viewer, ViewerDep
from ..templating import render
from .names import named

router = APIRouter()

STATUSES = ("thriving", "steady", "fading", "dormant")
Status = Annotated[Literal["thriving", "steady", "fading", "dormant"] | None, Query()]
Cursor = Annotated[str | None, Query(max_length=200)]

KINDS = {
    "reaction": "reactions",
    "comment": "comments on their posts",
    "reply": "replies",
    "share": "shares of their posts",
    "mention": "mentions",
    "direct_message": "direct messages",
    "connection_request": "a connection request",
    "connection_acceptance": "accepting the connection",
    "meeting": "meetings in person",
    "co_attendance": "events attended together",
}


@router.get("/relationships", name="relationships_page")
async def mine(
    request: Request, viewer: ViewerDep, status: Status = None, cursor: Cursor = None
) -> Response:
    return await _page(request, viewer, viewer.member_id, status, cursor)


@router.get("/members/{member_id}/relationships", name="member_relationships")
async def of_member(
    request: Request,
    viewer: ViewerDep,
    member_id: str,
    status: Status = None,
    cursor: Cursor = None,
) -> Response:
    """Anyone's list by its id: the API answers 403 for another member's (the 403 page)."""
    return await _page(request, viewer, member_id, status, cursor)


async def _page(
    request: Request, viewer: Viewer, member_id: str, status: str | None, cursor: str | None
) -> Response:
    found, connections = await asyncio.gather(
        viewer.api.get(
            f"/members/{member_id}/relationships", status=status, cursor=cursor, limit=50
        ),
        viewer.api.get(f"/members/{viewer.member_id}/connections"),
    )
    people = await named(viewer, [r["member_id"] for r in found["items"]], connections)
    items = [
        r | {"bar": charts.health_bar(r["health"], r["status"]), "words": explain(r)}
        for r in found["items"]
    ]
    return render(
        request,
        "relationships/page.html",
        viewer,
        partial="relationships/_list.html",
        items=items,
        total=found["total"],
        next_cursor=found.get("next_cursor"),
        people=people,
        status=status,
        statuses=STATUSES,
        at=found["at"],
    )


def explain(relationship: dict) -> str:
    """The explanation in words: what makes up the pair's interactions, largest first."""
    parts = sorted(relationship["explanation"], key=lambda c: -c["share"])
    if not parts:
        return "No interactions yet: trust alone (connected or following) gives its health."
    phrases = [
        f"{KINDS.get(c['kind'], c['kind'].replace('_', ' '))} ({c['channel']}, "
        f"{round(c['share'] * 100)}%)"
        for c in parts[:4]
    ]
    sums = relationship["sums"]
    balance = (
        "they reach out more than you"
        if sums["to_member"] > 2 * sums["from_member"]
        else "you reach out more than they do"
        if sums["from_member"] > 2 * sums["to_member"]
        else "both of you reach out"
    )
    return f"Mostly {', '.join(phrases)}; {balance}."
