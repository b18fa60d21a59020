"""Connection requests, connections, follows, blocks and suggestions (owned by the
connections service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from shared.contracts.api import connections as api
from shared.contracts.operations import Operation

from ..access import Acting, allowed
from ..backends import BackendsDep, IdempotencyKey, IdPath, responses

router = APIRouter(tags=["connections"])


@router.post(
    "/v1/connection-requests",
    status_code=status.HTTP_201_CREATED,
    summary=api.send_request.summary,
    responses=responses(api.send_request, body=True),
)
async def send_request(
    body: api.ConnectionInvite,
    backends: BackendsDep,
    response: Response,
    acting: Annotated[Acting, Depends(allowed(api.send_request))],
    idempotency_key: IdempotencyKey = None,
) -> api.ConnectionRequest:
    command = api.SendConnectionRequest(
        requester_id=acting.member_id, addressee_id=body.addressee_id
    )
    request = await backends.call(api.send_request, command, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/v1/connection-requests/{request.id}"
    return request


def _decision(operation: Operation[api.DecideConnectionRequest, api.ConnectionRequest]) -> None:
    async def decide(
        request_id: IdPath,
        backends: BackendsDep,
        acting: Acting = Depends(allowed(operation)),
    ) -> api.ConnectionRequest:
        return await backends.call(
            operation,
            api.DecideConnectionRequest(request_id=request_id, member_id=acting.member_id),
        )

    router.add_api_route(
        f"/v1/connection-requests/{{request_id}}/{operation.name.removesuffix('_request')}",
        decide,
        methods=["POST"],
        summary=operation.summary,
        name=operation.name,
        responses=responses(operation),
    )


_decision(api.accept_request)
_decision(api.decline_request)
_decision(api.withdraw_request)


@router.get(
    "/v1/members/{member_id}/connection-requests",
    summary=api.list_requests.summary,
    responses=responses(api.list_requests),
)
async def list_requests(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_requests))],
) -> api.PendingRequests:
    return await backends.call(api.list_requests, api.MemberRef(member_id=member_id))


@router.get(
    "/v1/members/{member_id}/connections",
    summary=api.list_connections.summary,
    responses=responses(api.list_connections),
)
async def list_connections(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_connections))],
) -> api.Connections:
    return await backends.call(api.list_connections, api.MemberRef(member_id=member_id))


@router.get(
    "/v1/members/{member_id}/blocks",
    summary=api.list_blocks.summary,
    responses=responses(api.list_blocks),
)
async def list_blocks(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_blocks))],
) -> api.Blocks:
    return await backends.call(api.list_blocks, api.MemberRef(member_id=member_id))


@router.delete(
    "/v1/members/{member_id}/connections/{other_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary=api.remove_connection.summary,
    responses=responses(api.remove_connection),
)
async def remove_connection(
    member_id: IdPath,
    other_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.remove_connection))],
) -> Response:
    await backends.call(
        api.remove_connection, api.PairCommand(member_id=member_id, other_id=other_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


PairOperation = Operation[api.PairCommand, api.PairState]


def _pair_routes(path: str, put_operation: PairOperation, delete_operation: PairOperation) -> None:
    async def put(
        member_id: IdPath,
        other_id: IdPath,
        backends: BackendsDep,
        _: Acting = Depends(allowed(put_operation)),
    ) -> api.PairState:
        return await backends.call(
            put_operation, api.PairCommand(member_id=member_id, other_id=other_id)
        )

    async def remove(
        member_id: IdPath,
        other_id: IdPath,
        backends: BackendsDep,
        _: Acting = Depends(allowed(delete_operation)),
    ) -> Response:
        await backends.call(
            delete_operation, api.PairCommand(member_id=member_id, other_id=other_id)
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    route = f"/v1/members/{{member_id}}/{path}/{{other_id}}"
    router.add_api_route(
        route,
        put,
        methods=["PUT"],
        summary=put_operation.summary,
        name=put_operation.name,
        responses=responses(put_operation),
    )
    router.add_api_route(
        route,
        remove,
        methods=["DELETE"],
        status_code=status.HTTP_204_NO_CONTENT,
        summary=delete_operation.summary,
        name=delete_operation.name,
        responses=responses(delete_operation),
    )


_pair_routes("follows", api.follow, api.unfollow)
_pair_routes("blocks", api.block, api.unblock)


@router.get(
    "/v1/members/{member_id}/suggestions",
    summary=api.suggestions.summary,
    responses=responses(api.suggestions),
)
async def suggestions(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.suggestions))],
    # the range (1 to RAPPORT_SUGGESTION_LIMIT_MAX) is checked by the service: out of it, 400
    limit: Annotated[int | None, Query(description="How many suggestions (default 10)")] = None,
) -> api.Suggestions:
    return await backends.call(
        api.suggestions, api.SuggestionsQuery(member_id=member_id, limit=limit)
    )


@router.post(
    "/v1/members/{member_id}/suggestions/{other_id}/dismiss",
    summary=api.dismiss_suggestion.summary,
    responses=responses(api.dismiss_suggestion),
)
async def dismiss_suggestion(
    member_id: IdPath,
    other_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.dismiss_suggestion))],
) -> api.Dismissal:
    return await backends.call(
        api.dismiss_suggestion, api.DismissSuggestion(member_id=member_id, other_id=other_id)
    )
