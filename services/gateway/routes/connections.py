"""Connection requests, connections, follows and blocks (owned by the connections service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict

from shared.contracts.commands import MemberId, SendConnectionRequest

from ..backends import BackendsDep, IdPath

router = APIRouter(tags=["connections"])


class Actor(BaseModel):
    """The member acting on a request (until authentication names them)."""

    model_config = ConfigDict(extra="forbid")
    member_id: MemberId


@router.post(
    "/v1/connection-requests",
    status_code=status.HTTP_201_CREATED,
    summary="Ask another member to connect",
)
async def send_request(
    body: SendConnectionRequest, backends: BackendsDep, response: Response
) -> dict[str, Any]:
    request = await backends.ask("connections", "send_request", body)
    response.headers["Location"] = f"/v1/connection-requests/{request['id']}"
    return request


def _decision(operation: str, summary: str):
    async def decide(request_id: IdPath, body: Actor, backends: BackendsDep) -> dict[str, Any]:
        return await backends.ask(
            "connections", operation, {"request_id": request_id, "member_id": body.member_id}
        )

    router.add_api_route(
        f"/v1/connection-requests/{{request_id}}/{operation.removesuffix('_request')}",
        decide,
        methods=["POST"],
        summary=summary,
        name=operation,
    )


_decision("accept_request", "The addressee accepts a request")
_decision("decline_request", "The addressee declines a request")
_decision("withdraw_request", "The requester withdraws a request")


@router.get(
    "/v1/members/{member_id}/connection-requests",
    summary="A member's pending requests, incoming and outgoing",
)
async def list_requests(member_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("connections", "list_requests", {"member_id": member_id})


@router.get("/v1/members/{member_id}/connections", summary="A member's connections")
async def list_connections(member_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("connections", "list_connections", {"member_id": member_id})


@router.delete(
    "/v1/members/{member_id}/connections/{other_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End a connection",
)
async def remove_connection(member_id: IdPath, other_id: IdPath, backends: BackendsDep) -> Response:
    await backends.ask(
        "connections", "remove_connection", {"member_id": member_id, "other_id": other_id}
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _pair_routes(path: str, put_operation: str, delete_operation: str, what: str) -> None:
    async def put(member_id: IdPath, other_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
        return await backends.ask(
            "connections", put_operation, {"member_id": member_id, "other_id": other_id}
        )

    async def remove(member_id: IdPath, other_id: IdPath, backends: BackendsDep) -> Response:
        await backends.ask(
            "connections", delete_operation, {"member_id": member_id, "other_id": other_id}
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    route = f"/v1/members/{{member_id}}/{path}/{{other_id}}"
    router.add_api_route(route, put, methods=["PUT"], summary=what, name=put_operation)
    router.add_api_route(
        route,
        remove,
        methods=["DELETE"],
        status_code=204,
        summary=f"Undo: {what.lower()}",
        name=delete_operation,
    )


_pair_routes("follows", "follow", "unfollow", "Follow a member")
_pair_routes(
    "blocks", "block", "unblock", "Block a member (ends any connection, follow and pending request)"
)


@router.get(
    "/v1/members/{member_id}/suggestions",
    summary="Whom the member could connect with, best first, each with its reasons",
)
async def suggestions(
    member_id: IdPath,
    backends: BackendsDep,
    # the range (1 to RAPPORT_SUGGESTION_LIMIT_MAX) is checked by the service: out of it, 400
    limit: Annotated[int | None, Query(description="How many suggestions (default 10)")] = None,
) -> dict[str, Any]:
    return await backends.ask(
        "connections", "suggestions", {"member_id": member_id, "limit": limit}
    )


@router.post(
    "/v1/members/{member_id}/suggestions/{other_id}/dismiss",
    summary="Never suggest this member again",
)
async def dismiss_suggestion(
    member_id: IdPath, other_id: IdPath, backends: BackendsDep
) -> dict[str, Any]:
    return await backends.ask(
        "connections", "dismiss_suggestion", {"member_id": member_id, "other_id": other_id}
    )
