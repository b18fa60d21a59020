"""/v1/members: registration, profiles and erasure (owned by the profiles service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from shared.contracts.commands import MemberChanges, RegisterMember

from ..backends import BackendsDep, IdPath

router = APIRouter(prefix="/v1/members", tags=["members"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a member")
async def register_member(
    body: RegisterMember, backends: BackendsDep, response: Response
) -> dict[str, Any]:
    member = await backends.ask("profiles", "register_member", body)
    response.headers["Location"] = f"/v1/members/{member['member_id']}"
    return member


@router.get("", summary="List members, a page at a time")
async def list_members(
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    return await backends.ask("profiles", "list_members", {"after": cursor, "limit": limit})


@router.get("/{member_id}", summary="A member's profile")
async def get_member(member_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("profiles", "get_member", {"member_id": member_id})


@router.patch("/{member_id}", summary="Change some profile fields")
async def update_member(
    member_id: IdPath, body: MemberChanges, backends: BackendsDep
) -> dict[str, Any]:
    return await backends.ask(
        "profiles",
        "update_member",
        {"member_id": member_id, "changes": body.model_dump(mode="json", exclude_unset=True)},
    )


@router.delete(
    "/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a member and their personal data from every service",
)
async def delete_member(member_id: IdPath, backends: BackendsDep) -> Response:
    await backends.ask("profiles", "delete_member", {"member_id": member_id})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{member_id}/profile-strength",
    summary="A member's profile strength: score, level, and what to add for how many points",
)
async def profile_strength(member_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("profiles", "profile_strength", {"member_id": member_id})
