"""Organising events: create one, and for its organiser edit and cancel it. Times are typed
in the event's own time zone (an IANA name, UTC by default)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import ApiError
from ..forms import CsrfForm
from ..session import PageForbidden, Viewer, ViewerDep
from ..templating import render
from .support import error_status

router = APIRouter()

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
TEXT = ("title", "kind", "format", "timezone", "venue")
TIMES = ("starts_at", "ends_at")
KINDS = ("meetup", "conference", "workshop", "social")
FORMATS = (("in_person", "In person"), ("online", "Online"), ("hybrid", "Hybrid"))


@router.get("/events/new", name="events_new")
async def new_event(request: Request, viewer: ViewerDep) -> HTMLResponse:
    starts = (datetime.now(UTC) + timedelta(days=1)).replace(hour=17, minute=0)
    draft = {"kind": "meetup", "format": "in_person", "timezone": "UTC", "venue": "",
             "starts_at": starts.strftime(LOCAL_MINUTE),
             "ends_at": (starts + timedelta(minutes=90)).strftime(LOCAL_MINUTE)}  # fmt: skip
    return _form_page(request, viewer, draft)


@router.post("/events/new", name="events_create")
async def create_event(request: Request, viewer: ViewerDep, form: CsrfForm) -> Response:
    try:
        created = await viewer.api.post("/events", event_fields(form))
    except ApiError as error:
        if error.status >= 500:
            raise
        return _form_page(request, viewer, form, error=error)
    return RedirectResponse(_event_path(request, created["event_id"]) + "?organised=created", 303)


@router.get("/events/{event_id}/edit", name="events_edit")
async def edit_event(request: Request, viewer: ViewerDep, event_id: str) -> HTMLResponse:
    event = await _organised(viewer, event_id)
    return _form_page(request, viewer, form_of(event), event=event)


@router.post("/events/{event_id}/edit", name="events_update")
async def update_event(
    request: Request, viewer: ViewerDep, event_id: str, form: CsrfForm
) -> Response:
    event = await _organised(viewer, event_id)
    try:
        changes = changed(event_fields(form), event)
        if changes:
            await viewer.api.patch(f"/events/{event_id}", changes)
    except ApiError as error:
        if error.status >= 500:
            raise
        return _form_page(request, viewer, form, event=event, error=error)
    return RedirectResponse(_event_path(request, event_id) + "?organised=updated", 303)


@router.post("/events/{event_id}/cancel", name="events_cancel")
async def cancel_event(request: Request, viewer: ViewerDep, event_id: str, _: CsrfForm) -> Response:
    event = await _organised(viewer, event_id)
    try:
        await viewer.api.post(f"/events/{event_id}/cancel")
    except ApiError as error:
        if error.status >= 500:
            raise
        return _form_page(
            request, viewer, form_of(event), event=event, error=error, failed="cancel"
        )
    return RedirectResponse(_event_path(request, event_id) + "?organised=cancelled", 303)


async def _organised(viewer: Viewer, event_id: str) -> dict:
    """The event, if the viewer organises it; otherwise the 403 page (the API would refuse
    the change too, but the form should not be offered)."""
    event = await viewer.api.get(f"/events/{event_id}")
    if event["organiser_id"] != viewer.member_id:
        raise PageForbidden("Only the event's organiser may edit or cancel it.")
    return event


def _form_page(
    request: Request,
    viewer: Viewer,
    form: dict,
    *,
    event: dict | None = None,
    error: ApiError | None = None,
    failed: str = "form",
) -> HTMLResponse:
    return render(
        request,
        "events/form.html",
        viewer,
        status_code=error_status(request, error),
        event=event,
        form=form,
        kinds=KINDS,
        formats=FORMATS,
        error=_unprefixed(error),
        failed=failed,
    )


def _event_path(request: Request, event_id: str) -> str:
    return request.url_for("events_event", event_id=event_id).path


def event_fields(form: dict[str, str]) -> dict:
    """The form as the API's event: the local times, in the form's time zone, as instants.
    A time or zone that cannot be read is a 422 naming its field, as the API's would be."""
    fields = {name: form.get(name, "").strip() for name in TEXT}
    fields["timezone"] = fields["timezone"] or "UTC"
    try:
        zone = ZoneInfo(fields["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid("timezone", "give a time zone such as UTC or Europe/Paris") from None
    for name in TIMES:
        try:
            local = datetime.strptime(form.get(name, ""), LOCAL_MINUTE)
        except ValueError:
            raise _invalid(name, "give a date and a time") from None
        fields[name] = local.replace(tzinfo=zone).isoformat()
    return fields


def form_of(event: dict) -> dict[str, str]:
    """An event as its form shows it: times in the event's time zone."""
    form = {name: event.get(name) or "" for name in TEXT}
    zone = ZoneInfo(event["timezone"])
    for name in TIMES:
        moment = datetime.fromisoformat(event[name].replace("Z", "+00:00"))
        form[name] = moment.astimezone(zone).strftime(LOCAL_MINUTE)
    return form


def changed(fields: dict, event: dict) -> dict:
    """Only what differs from the event (a partial update)."""
    current = {name: event.get(name) or "" for name in TEXT}
    for name in TIMES:
        current[name] = datetime.fromisoformat(event[name].replace("Z", "+00:00"))
    return {
        name: value
        for name, value in fields.items()
        if (datetime.fromisoformat(value) if name in TIMES else value) != current[name]
    }


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "Unprocessable Content", message, [{"field": field, "message": message}])


def _unprefixed(error: ApiError | None) -> ApiError | None:
    """A change the service refuses names its field under `changes.`: the form's name."""
    if error is None:
        return None
    for problem in error.errors:
        if str(problem.get("field", "")).startswith("changes."):
            problem["field"] = problem["field"].removeprefix("changes.")
    return error
