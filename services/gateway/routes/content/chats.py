"""A group's chat and direct messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.contracts.api import content as api

from ...access import Acting, allowed
from ...backends import BackendsDep, IdempotencyKey, IdPath, responses
from .common import CREATED, CursorQuery, Limit, router, sent_fields


@router.post(
    "/v1/groups/{group_id}/messages",
    status_code=CREATED,
    summary=api.post_group_message.summary,
    responses=responses(api.post_group_message, body=True),
)
async def post_group_message(
    group_id: IdPath,
    body: api.GroupMessageText,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.post_group_message))],
    idempotency_key: IdempotencyKey = None,
) -> api.GroupMessageView:
    return await backends.call(
        api.post_group_message,
        api.PostGroupMessage(group_id=group_id, author_id=acting.member_id, **sent_fields(body)),
        idempotency_key=idempotency_key,
    )


@router.get(
    "/v1/groups/{group_id}/messages",
    summary=api.list_group_messages.summary,
    responses=responses(api.list_group_messages),
)
async def list_group_messages(
    group_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.list_group_messages))],
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> api.GroupMessages:
    return await backends.call(
        api.list_group_messages,
        api.GroupMessagesPage(
            group_id=group_id, member_id=acting.member_id, limit=limit, cursor=cursor
        ),
    )


# --- direct messages ------------------------------------------------------------------


@router.post(
    "/v1/direct-messages",
    status_code=CREATED,
    summary=api.send_direct_message.summary,
    responses=responses(api.send_direct_message, body=True),
)
async def send_direct_message(
    body: api.DirectMessageText,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.send_direct_message))],
    idempotency_key: IdempotencyKey = None,
) -> api.DirectMessageView:
    command = api.SendDirectMessage(sender_id=acting.member_id, **sent_fields(body))
    return await backends.call(api.send_direct_message, command, idempotency_key=idempotency_key)


@router.get(
    "/v1/members/{member_id}/conversations",
    summary=api.list_conversations.summary,
    responses=responses(api.list_conversations),
)
async def list_conversations(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_conversations))],
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> api.Conversations:
    return await backends.call(
        api.list_conversations,
        api.ConversationsPage(member_id=member_id, limit=limit, cursor=cursor),
    )


@router.get(
    "/v1/members/{member_id}/conversations/{other_id}",
    summary=api.list_conversation.summary,
    responses=responses(api.list_conversation),
)
async def list_conversation(
    member_id: IdPath,
    other_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_conversation))],
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> api.Conversation:
    return await backends.call(
        api.list_conversation,
        api.ConversationPage(member_id=member_id, other_id=other_id, limit=limit, cursor=cursor),
    )
