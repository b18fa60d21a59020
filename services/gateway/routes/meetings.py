"""In-person meetings (owned by the events service)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from shared.contracts.gatherings import LogMeeting

from ..backends import BackendsDep, IdPath

router = APIRouter(tags=["meetings"])


@router.post(
    "/v1/meetings",
    status_code=status.HTTP_201_CREATED,
    summary="Log an in-person meeting of 2 to 12 members (a fact about the past)",
)
async def log_meeting(
    body: LogMeeting, backends: BackendsDep, response: Response
) -> dict[str, Any]:
    meeting = await backends.ask("events", "log_meeting", body)
    response.headers["Location"] = f"/v1/meetings/{meeting['meeting_id']}"
    return meeting


@router.get("/v1/meetings/{meeting_id}", summary="A meeting")
async def get_meeting(meeting_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("events", "get_meeting", {"meeting_id": meeting_id})


@router.get("/v1/members/{member_id}/meetings", summary="A member's in-person meetings")
async def list_member_meetings(member_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("events", "list_member_meetings", {"member_id": member_id})
