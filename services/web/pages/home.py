"""Home: today's nudges with their reasons and one click to act, the relationships at risk,
and this week's online/offline balance."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..api import ApiError
from ..forms import CsrfForm
from ..session import Viewer, ViewerDep
from ..templating import render
from .names import named
from .support import error_status

router = APIRouter()

MEETING_PROPOSAL = (
    "It has been a while: shall we meet in person this week? A coffee, or a walk: "
    "tell me what suits you."
)
RISK_SHOWN = 5


@router.get("/", name="home")
async def home(request: Request, viewer: ViewerDep, done: str | None = None) -> Response:
    return await _page(request, viewer, done=done)


async def _page(
    request: Request,
    viewer: Viewer,
    *,
    done: str | None = None,
    failure: tuple[str, ApiError] | None = None,
) -> Response:
    me = f"/members/{viewer.member_id}"
    nudges, relationships, balance, connections = await asyncio.gather(
        viewer.api.get(f"{me}/nudges"),
        viewer.api.get(f"{me}/relationships", limit=200),
        viewer.api.get(f"{me}/balance"),
        viewer.api.get(f"{me}/connections"),
    )
    at_risk = [r for r in relationships["items"] if r["at_risk"]][:RISK_SHOWN]
    people, events = await asyncio.gather(
        named(
            viewer,
            [n["member_id"] for n in nudges["items"] if "member_id" in n]
            + [r["member_id"] for r in at_risk],
            connections,
        ),
        _events(viewer, [n["event_id"] for n in nudges["items"] if "event_id" in n]),
    )
    weeks = balance.get("weeks") or []
    return render(
        request,
        "home/page.html",
        viewer,
        status_code=error_status(request, failure[1] if failure else None),
        nudges=nudges["items"],
        at_risk=at_risk,
        people=people,
        events=events,
        balance=balance,
        this_week=weeks[-1] if weeks else None,
        done=done,
        failure=failure,
    )


async def _events(viewer: Viewer, event_ids: list[str]) -> dict[str, dict]:
    async def one(event_id: str) -> dict:
        try:
            return await viewer.api.get(f"/events/{event_id}")
        except ApiError as error:
            if error.status != 404:
                raise
            return {"id": event_id, "title": "an event"}

    found = await asyncio.gather(*(one(e) for e in dict.fromkeys(event_ids)))
    return {event["id"]: event for event in found}


@router.post("/nudges/meet/{other_id}", name="propose_meeting")
async def propose_meeting(
    request: Request, viewer: ViewerDep, other_id: str, form: CsrfForm
) -> Response:
    """One click on a reconnect nudge: a direct message proposing to meet."""
    body = {"recipient_id": other_id, "body": form.get("body") or MEETING_PROPOSAL}
    return await _act(
        request, viewer, other_id, "proposed", viewer.api.post("/direct-messages", body)
    )


@router.post("/nudges/rsvp/{event_id}", name="rsvp_from_nudge")
async def rsvp(request: Request, viewer: ViewerDep, event_id: str, form: CsrfForm) -> Response:
    """One click on a go-offline nudge: going to the event."""
    path = f"/events/{event_id}/rsvps/{viewer.member_id}"
    return await _act(request, viewer, event_id, "going", viewer.api.put(path, {"status": "going"}))


async def _act(request: Request, viewer: Viewer, target: str, done: str, call) -> Response:
    try:
        await call
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _page(request, viewer, failure=(target, error))
    return RedirectResponse(f"/?done={done}", status_code=303)
