"""In-person meetings (owned by the events service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from shared.contracts.api import events as api

from ..access import Acting, allowed
from ..backends import BackendsDep, IdempotencyKey, IdPath, responses

router = APIRouter(tags=["meetings"])


@router.post(
    "/v1/meetings",
    status_code=status.HTTP_201_CREATED,
    summary=api.log_meeting.summary,
    responses=responses(api.log_meeting, body=True),
)
async def log_meeting(
    body: api.LogMeeting,
    backends: BackendsDep,
    response: Response,
    acting: Annotated[Acting, Depends(allowed(api.log_meeting))],
    idempotency_key: IdempotencyKey = None,
) -> api.MeetingView:
    acting.among(body.participant_ids)
    meeting = await backends.call(api.log_meeting, body, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/v1/meetings/{meeting.meeting_id}"
    return meeting


@router.get(
    "/v1/meetings/{meeting_id}",
    summary=api.get_meeting.summary,
    responses=responses(api.get_meeting),
)
async def get_meeting(
    meeting_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.get_meeting))],
) -> api.MeetingView:
    return await backends.call(api.get_meeting, api.MeetingRef(meeting_id=meeting_id))


@router.get(
    "/v1/members/{member_id}/meetings",
    summary=api.list_member_meetings.summary,
    responses=responses(api.list_member_meetings),
)
async def list_member_meetings(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_member_meetings))],
) -> api.MemberMeetings:
    return await backends.call(api.list_member_meetings, api.MemberRef(member_id=member_id))
