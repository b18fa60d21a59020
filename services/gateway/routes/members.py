"""/v1/members: registration, profiles and erasure (owned by the profiles service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from shared.contracts.api import profiles as api

from ..backends import BackendsDep, IdempotencyKey, IdPath, responses

router = APIRouter(prefix="/v1/members", tags=["members"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary=api.register_member.summary,
    responses=responses(api.register_member, body=True),
)
async def register_member(
    body: api.RegisterMember,
    backends: BackendsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> api.Profile:
    member = await backends.call(api.register_member, body, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/v1/members/{member.member_id}"
    return member


@router.get("", summary=api.list_members.summary, responses=responses(api.list_members))
async def list_members(
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    # printable ASCII, as every cursor it hands out: a NUL would reach PostgreSQL as text
    cursor: Annotated[str | None, Query(max_length=64, pattern=r"^[!-~]+$")] = None,
) -> api.Members:
    return await backends.call(api.list_members, api.MemberPage(after=cursor, limit=limit))


@router.get("/{member_id}", summary=api.get_member.summary, responses=responses(api.get_member))
async def get_member(member_id: IdPath, backends: BackendsDep) -> api.Profile:
    return await backends.call(api.get_member, api.MemberRef(member_id=member_id))


@router.patch(
    "/{member_id}",
    summary=api.update_member.summary,
    responses=responses(api.update_member, body=True),
)
async def update_member(
    member_id: IdPath, body: api.MemberChanges, backends: BackendsDep
) -> api.Profile:
    return await backends.call(
        api.update_member, api.UpdateMember(member_id=member_id, changes=body)
    )


@router.delete(
    "/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary=api.delete_member.summary,
    responses=responses(api.delete_member),
)
async def delete_member(member_id: IdPath, backends: BackendsDep) -> Response:
    await backends.call(api.delete_member, api.MemberRef(member_id=member_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{member_id}/profile-strength",
    summary=api.profile_strength.summary,
    responses=responses(api.profile_strength),
)
async def profile_strength(member_id: IdPath, backends: BackendsDep) -> api.ProfileStrength:
    return await backends.call(api.profile_strength, api.MemberRef(member_id=member_id))
