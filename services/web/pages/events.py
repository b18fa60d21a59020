"""Events (upcoming and past, RSVP, check in) and in-person meetings logged with colleagues."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import ApiError
from ..forms import CsrfForm
from ..session import Viewer, ViewerDep
from ..templating import render
from .support import cards, error_status

router = APIRouter()

PAST_DAYS = 30  # how far back past events reach (the listing is in start order, 200 at most)
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
ATTENDEES_SHOWN = 50  # each needs a look-up of the member's name
ORGANISED = {
    "created": "Event created: members see it among the upcoming events.",
    "updated": "Changes saved.",
    "cancelled": "Event cancelled.",
}


@router.get("/events", name="events_page")
async def events(request: Request, viewer: ViewerDep) -> HTMLResponse:
    return await _events_page(request, viewer)


@router.get("/events/{event_id}", name="events_event")
async def event(request: Request, viewer: ViewerDep, event_id: str) -> HTMLResponse:
    return await _event_page(request, viewer, event_id)


@router.post("/events/{event_id}/rsvp", name="events_rsvp")
async def rsvp(request: Request, viewer: ViewerDep, event_id: str, form: CsrfForm) -> Response:
    answer = {"status": form.get("status", "")}
    return await _attend(request, viewer, event_id, f"/rsvps/{viewer.member_id}", answer)


@router.post("/events/{event_id}/check-in", name="events_check_in")
async def check_in(request: Request, viewer: ViewerDep, event_id: str, form: CsrfForm) -> Response:
    details = {"attendance": form["attendance"]} if form.get("attendance") else {}
    return await _attend(request, viewer, event_id, f"/check-ins/{viewer.member_id}", details)


@router.post("/events/meetings", name="events_log_meeting")
async def log_meeting(request: Request, viewer: ViewerDep, form: CsrfForm) -> Response:
    """Participants are checkboxes (a list); times are UTC minutes from the browser."""
    others = (await request.form()).getlist("participant_ids")
    try:
        if not others:
            raise _invalid("participant_ids", "choose at least one colleague who was there")
        started, ended = _meeting_times(form.get("started_at", ""), form.get("minutes", ""))
        meeting = {
            "participant_ids": [viewer.member_id, *others],
            "started_at": started.isoformat(),
            "ended_at": ended.isoformat(),
        }
        if form.get("event_id"):
            meeting["event_id"] = form["event_id"]
        await viewer.api.post("/meetings", meeting)
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _events_page(request, viewer, error=error, draft=form, chosen=set(others))
    return RedirectResponse(request.url_for("events_page").path + "?logged=1#meetings", 303)


def _meeting_times(started_at: str, minutes: str) -> tuple[datetime, datetime]:
    """The form's start (UTC) and length -> start and end, or a 422 naming the field."""
    try:
        started = datetime.strptime(started_at, LOCAL_MINUTE).replace(tzinfo=UTC)
    except ValueError:
        raise _invalid("started_at", "give the date and time the meeting started") from None
    try:
        length = float(minutes)
    except ValueError:
        raise _invalid("ended_at", "give the meeting's length in minutes") from None
    if not 1 <= length <= 24 * 60:
        raise _invalid("ended_at", "a meeting lasts between 1 minute and 24 hours")
    return started, started + timedelta(minutes=length)


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "Unprocessable Content", message, [{"field": field, "message": message}])


async def _attend(
    request: Request, viewer: Viewer, event_id: str, path: str, body: dict
) -> Response:
    try:
        await viewer.api.put(f"/events/{event_id}{path}", body)
    except ApiError as error:
        if error.status >= 500 or error.status == 404:
            raise
        return await _event_page(request, viewer, event_id, error=error)
    return RedirectResponse(request.url_for("events_event", event_id=event_id).path, 303)


async def _events_page(
    request: Request,
    viewer: Viewer,
    *,
    error: ApiError | None = None,
    draft: dict | None = None,
    chosen: set[str] | None = None,
) -> HTMLResponse:
    now = datetime.now(UTC)
    since = (now - timedelta(days=PAST_DAYS)).isoformat()
    upcoming, recent, meetings, connections = await asyncio.gather(
        viewer.api.get("/events", limit=20),
        viewer.api.get("/events", **{"from": since, "to": now.isoformat(), "limit": 200}),
        viewer.api.get(f"/members/{viewer.member_id}/meetings"),
        viewer.api.get(f"/members/{viewer.member_id}/connections"),
    )
    past = [e for e in recent["items"] if _instant(e["ends_at"]) <= now][::-1][:20]
    shown = meetings["items"][:10]
    # most participants are connections, whose names came with them: look up only the rest
    names = {c["member_id"]: c for c in connections["items"]}
    names[viewer.member_id] = {"member_id": viewer.member_id, "handle": viewer.handle}
    others = [p for m in shown for p in m["participant_ids"] if p not in names]
    names |= await cards(viewer.api, others)
    return render(
        request,
        "events/index.html",
        viewer,
        status_code=error_status(request, error),
        now=now,
        upcoming=[e | {"running": _instant(e["starts_at"]) <= now} for e in upcoming["items"]],
        past=past,
        meetings=shown,
        names=names,
        connections=connections["items"],
        meeting_events=[e for e in recent["items"] if _instant(e["starts_at"]) <= now],
        logged=request.query_params.get("logged") == "1",
        default_start=(now - timedelta(hours=1)).strftime(LOCAL_MINUTE),
        error=error,
        draft=draft or {},
        chosen=chosen or set(),
    )


async def _event_page(
    request: Request, viewer: Viewer, event_id: str, *, error: ApiError | None = None
) -> HTMLResponse:
    found, attendees = await asyncio.gather(
        viewer.api.get(f"/events/{event_id}"), viewer.api.get(f"/events/{event_id}/attendees")
    )
    mine = next((a for a in attendees["items"] if a["member_id"] == viewer.member_id), None)
    shown = attendees["items"][:ATTENDEES_SHOWN]
    names = await cards(viewer.api, [a["member_id"] for a in shown])
    now = datetime.now(UTC)
    return render(
        request,
        "events/event.html",
        viewer,
        status_code=error_status(request, error),
        event=found,
        attendees=shown,
        more_attendees=max(0, len(attendees["items"]) - len(shown)),
        pending=attendees["pending_attendees"],
        names=names,
        mine=mine or {},
        started=_instant(found["starts_at"]) <= now,
        over=_instant(found["ends_at"]) <= now,
        organised=ORGANISED.get(request.query_params.get("organised", "")),
        error=error,
    )


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
