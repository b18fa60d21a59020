"""/v1/members: registration, profiles and erasure (owned by the profiles service).

A member is the subject of the caller's token: registering binds the subject to a new
member, with the token's verified email and team; nobody edits another's profile, and an
email is shown to its member and to operators only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from shared.contracts.api import profiles as api

from ..access import Acting, allowed
from ..auth import Forbidden
from ..backends import BackendsDep, IdempotencyKey, IdPath, responses

router = APIRouter(prefix="/v1/members", tags=["members"])


def _shown(profile: api.Profile, acting: Acting) -> api.Profile:
    if acting.sees_email_of(profile.member_id):
        return profile
    return profile.model_copy(update={"email": None})


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register the caller as a member (email and team from the token)",
    responses=responses(api.register_member, 403, body=True),
)
async def register_member(
    body: api.Registration,
    backends: BackendsDep,
    response: Response,
    acting: Annotated[Acting, Depends(allowed(api.register_member))],
    idempotency_key: IdempotencyKey = None,
) -> api.Profile:
    caller = acting.caller
    assert caller is not None
    if caller.email is None:
        raise Forbidden("your token carries no verified email: it cannot register a member")
    command = api.RegisterMember(
        **{name: getattr(body, name) for name in body.model_fields_set},
        subject=caller.subject,
        email=caller.email,
        team=caller.team or "",
    )
    member = await backends.call(api.register_member, command, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/v1/members/{member.member_id}"
    return member


@router.get("", summary=api.list_members.summary, responses=responses(api.list_members))
async def list_members(
    backends: BackendsDep,
    request: Request,
    acting: Annotated[Acting, Depends(allowed(api.list_members))],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    # printable ASCII, as every cursor it hands out: a NUL would reach PostgreSQL as text
    cursor: Annotated[str | None, Query(max_length=64, pattern=r"^[!-~]+$")] = None,
) -> api.Members:
    members = await backends.call(api.list_members, api.MemberPage(after=cursor, limit=limit))
    viewer = await _member_acting(request, acting)
    return members.model_copy(update={"items": [_shown(m, viewer) for m in members.items]})


@router.get("/{member_id}", summary=api.get_member.summary, responses=responses(api.get_member))
async def get_member(
    member_id: IdPath,
    backends: BackendsDep,
    request: Request,
    acting: Annotated[Acting, Depends(allowed(api.get_member))],
) -> api.Profile:
    profile = await backends.call(api.get_member, api.MemberRef(member_id=member_id))
    return _shown(profile, await _member_acting(request, acting))


async def _member_acting(request: Request, acting: Acting) -> Acting:
    """A signed-in rule does not look the caller's member up: do it to show their email."""
    if acting.member_id is not None or acting.caller is None or acting.operator:
        return acting
    member_id = await request.app.state.members.member_of(request, acting.caller.subject)
    return Acting(acting.caller, member_id)


@router.patch(
    "/{member_id}",
    summary=api.update_member.summary,
    responses=responses(api.update_member, body=True),
)
async def update_member(
    member_id: IdPath,
    body: api.MemberChanges,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.update_member))],
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
async def delete_member(
    member_id: IdPath,
    backends: BackendsDep,
    request: Request,
    acting: Annotated[Acting, Depends(allowed(api.delete_member))],
) -> Response:
    await backends.call(api.delete_member, api.MemberRef(member_id=member_id))
    assert acting.caller is not None
    request.app.state.members.forget(acting.caller.subject)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{member_id}/profile-strength",
    summary=api.profile_strength.summary,
    responses=responses(api.profile_strength),
)
async def profile_strength(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.profile_strength))],
) -> api.ProfileStrength:
    return await backends.call(api.profile_strength, api.MemberRef(member_id=member_id))
