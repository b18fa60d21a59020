"""Events (conferences, meetups, workshops, socials), RSVPs and check-ins (owned by the
events service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from shared.contracts.api import events as api
from shared.contracts.facts.events import EventFormat
from shared.contracts.fields import QueryInstant

from ..access import Acting, allowed
from ..backends import BackendsDep, IdempotencyKey, IdPath, responses

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary=api.create_event.summary,
    responses=responses(api.create_event, body=True),
)
async def create_event(
    body: api.NewEvent,
    backends: BackendsDep,
    response: Response,
    acting: Annotated[Acting, Depends(allowed(api.create_event))],
    idempotency_key: IdempotencyKey = None,
) -> api.EventView:
    command = api.CreateEvent(
        organiser_id=acting.member_id,
        **{name: getattr(body, name) for name in body.model_fields_set},
    )
    event = await backends.call(api.create_event, command, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/v1/events/{event.event_id}"
    return event


@router.get("", summary=api.list_events.summary, responses=responses(api.list_events))
async def list_events(
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_events))],
    starts_from: Annotated[QueryInstant | None, Query(alias="from")] = None,
    starts_before: Annotated[QueryInstant | None, Query(alias="to")] = None,
    format: EventFormat | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> api.Events:
    return await backends.call(
        api.list_events,
        api.EventQuery(
            starts_from=starts_from,
            starts_before=starts_before,
            format=format,
            limit=limit,
            cursor=cursor,
        ),
    )


@router.get("/{event_id}", summary=api.get_event.summary, responses=responses(api.get_event))
async def get_event(
    event_id: IdPath, backends: BackendsDep, _: Annotated[Acting, Depends(allowed(api.get_event))]
) -> api.EventView:
    return await backends.call(api.get_event, api.EventRef(event_id=event_id))


@router.patch(
    "/{event_id}",
    summary=api.update_event.summary,
    responses=responses(api.update_event, body=True),
)
async def update_event(
    event_id: IdPath,
    body: api.EventChanges,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.update_event))],
) -> api.EventView:
    command = api.UpdateEvent(event_id=event_id, actor_id=acting.member_id, changes=body)
    return await backends.call(api.update_event, command)


@router.post(
    "/{event_id}/cancel",
    summary=api.cancel_event.summary,
    responses=responses(api.cancel_event),
)
async def cancel_event(
    event_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.cancel_event))],
) -> api.EventView:
    command = api.CancelEvent(event_id=event_id, actor_id=acting.member_id)
    return await backends.call(api.cancel_event, command)


@router.get(
    "/{event_id}/attendees",
    summary=api.list_attendees.summary,
    responses=responses(api.list_attendees),
)
async def list_attendees(
    event_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_attendees))],
) -> api.Attendees:
    return await backends.call(api.list_attendees, api.EventRef(event_id=event_id))


@router.put(
    "/{event_id}/rsvps/{member_id}",
    summary=api.answer_rsvp.summary,
    responses=responses(api.answer_rsvp, body=True),
)
async def answer_rsvp(
    event_id: IdPath,
    member_id: IdPath,
    body: api.RsvpAnswer,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.answer_rsvp))],
) -> api.AttendanceView:
    return await backends.call(
        api.answer_rsvp,
        api.AnswerRsvp(event_id=event_id, member_id=member_id, status=body.status),
    )


@router.put(
    "/{event_id}/check-ins/{member_id}",
    summary=api.check_in.summary,
    responses=responses(api.check_in, body=True),
)
async def check_in(
    event_id: IdPath,
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.check_in))],
    body: api.CheckInDetails | None = None,
) -> api.AttendanceView:
    details = body or api.CheckInDetails()
    return await backends.call(
        api.check_in,
        api.CheckIn(
            event_id=event_id,
            member_id=member_id,
            attendance=details.attendance,
            checked_in_at=details.checked_in_at,
        ),
    )
