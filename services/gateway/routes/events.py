"""Events (conferences, meetups, workshops, socials), RSVPs and check-ins (owned by the
events service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.contracts.facts.events import EventFormat
from shared.contracts.gatherings import Attendance, CreateEvent, EventChanges, RsvpStatus

from ..backends import BackendsDep, IdPath

router = APIRouter(prefix="/v1/events", tags=["events"])


class RsvpAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: RsvpStatus


class CheckInDetails(BaseModel):
    """Both optional: attendance follows the event's format (in person for a hybrid event)
    and the check-in time is now."""

    model_config = ConfigDict(extra="forbid")
    attendance: Attendance | None = None
    checked_in_at: AwareDatetime | None = None


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an event")
async def create_event(
    body: CreateEvent, backends: BackendsDep, response: Response
) -> dict[str, Any]:
    event = await backends.ask("events", "create_event", body)
    response.headers["Location"] = f"/v1/events/{event['event_id']}"
    return event


@router.get("", summary="Upcoming and ongoing events, in start order")
async def list_events(
    backends: BackendsDep,
    starts_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    starts_before: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    format: EventFormat | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    return await backends.ask(
        "events",
        "list_events",
        {
            "starts_from": starts_from.isoformat() if starts_from else None,
            "starts_before": starts_before.isoformat() if starts_before else None,
            "format": format,
            "limit": limit,
            "cursor": cursor,
        },
    )


@router.get("/{event_id}", summary="An event")
async def get_event(event_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("events", "get_event", {"event_id": event_id})


@router.patch("/{event_id}", summary="Change some of an event's fields")
async def update_event(
    event_id: IdPath, body: EventChanges, backends: BackendsDep
) -> dict[str, Any]:
    return await backends.ask(
        "events",
        "update_event",
        {"event_id": event_id, "changes": body.model_dump(mode="json", exclude_unset=True)},
    )


@router.post("/{event_id}/cancel", summary="Cancel an event")
async def cancel_event(event_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("events", "cancel_event", {"event_id": event_id})


@router.get(
    "/{event_id}/attendees",
    summary="An event's attendees who are members, with their RSVP and check-in",
)
async def list_attendees(event_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("events", "list_attendees", {"event_id": event_id})


@router.put("/{event_id}/rsvps/{member_id}", summary="A member answers going, maybe or declined")
async def answer_rsvp(
    event_id: IdPath, member_id: IdPath, body: RsvpAnswer, backends: BackendsDep
) -> dict[str, Any]:
    return await backends.ask(
        "events",
        "answer_rsvp",
        {"event_id": event_id, "member_id": member_id, "status": body.status},
    )


@router.put("/{event_id}/check-ins/{member_id}", summary="A member checks in to an event")
async def check_in(
    event_id: IdPath, member_id: IdPath, backends: BackendsDep, body: CheckInDetails | None = None
) -> dict[str, Any]:
    details = (body or CheckInDetails()).model_dump(mode="json")
    return await backends.ask(
        "events", "check_in", {"event_id": event_id, "member_id": member_id, **details}
    )
