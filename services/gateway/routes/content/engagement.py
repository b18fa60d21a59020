"""Comments and replies, reactions to posts and comments, shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from shared.contracts.api import content as api

from ...access import Acting, allowed
from ...backends import BackendsDep, IdempotencyKey, IdPath, responses
from .common import CREATED, NO_CONTENT, CursorQuery, Limit, router, sent_fields


@router.post(
    "/v1/posts/{post_id}/comments",
    status_code=CREATED,
    summary=api.create_comment.summary,
    responses=responses(api.create_comment, body=True),
)
async def create_comment(
    post_id: IdPath,
    body: api.CommentText,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.create_comment))],
    idempotency_key: IdempotencyKey = None,
) -> api.CommentView:
    return await backends.call(
        api.create_comment,
        api.CreateComment(post_id=post_id, author_id=acting.member_id, **sent_fields(body)),
        idempotency_key=idempotency_key,
    )


@router.get(
    "/v1/posts/{post_id}/comments",
    summary=api.list_comments.summary,
    responses=responses(api.list_comments),
)
async def list_comments(
    post_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.list_comments))],
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> api.Comments:
    return await backends.call(
        api.list_comments,
        api.CommentsPage(post_id=post_id, member_id=acting.member_id, limit=limit, cursor=cursor),
    )


@router.delete(
    "/v1/posts/{post_id}/comments/{comment_id}",
    status_code=NO_CONTENT,
    summary=api.delete_comment.summary,
    responses=responses(api.delete_comment),
)
async def delete_comment(
    post_id: IdPath,
    comment_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.delete_comment))],
) -> Response:
    await backends.call(
        api.delete_comment,
        api.CommentAction(post_id=post_id, comment_id=comment_id, member_id=acting.member_id),
    )
    return Response(status_code=NO_CONTENT)


# --- reactions and shares -------------------------------------------------------------


@router.put(
    "/v1/posts/{post_id}/reactions/{member_id}",
    summary="React to a post, or change the reaction (one per member)",
    responses=responses(api.set_reaction, body=True),
)
async def set_post_reaction(
    post_id: IdPath,
    member_id: IdPath,
    body: api.ReactionChoice,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.set_reaction))],
) -> api.ReactionView:
    return await backends.call(
        api.set_reaction, api.SetReaction(post_id=post_id, member_id=member_id, kind=body.kind)
    )


@router.delete(
    "/v1/posts/{post_id}/reactions/{member_id}",
    status_code=NO_CONTENT,
    summary="Remove a reaction to a post",
    responses=responses(api.remove_reaction),
)
async def remove_post_reaction(
    post_id: IdPath,
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.remove_reaction))],
) -> Response:
    await backends.call(
        api.remove_reaction, api.RemoveReaction(post_id=post_id, member_id=member_id)
    )
    return Response(status_code=NO_CONTENT)


@router.put(
    "/v1/posts/{post_id}/comments/{comment_id}/reactions/{member_id}",
    summary="React to a comment, or change the reaction (one per member)",
    responses=responses(api.set_reaction, body=True),
)
async def set_comment_reaction(
    post_id: IdPath,
    comment_id: IdPath,
    member_id: IdPath,
    body: api.ReactionChoice,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.set_reaction))],
) -> api.ReactionView:
    return await backends.call(
        api.set_reaction,
        api.SetReaction(
            post_id=post_id, comment_id=comment_id, member_id=member_id, kind=body.kind
        ),
    )


@router.delete(
    "/v1/posts/{post_id}/comments/{comment_id}/reactions/{member_id}",
    status_code=NO_CONTENT,
    summary="Remove a reaction to a comment",
    responses=responses(api.remove_reaction),
)
async def remove_comment_reaction(
    post_id: IdPath,
    comment_id: IdPath,
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.remove_reaction))],
) -> Response:
    await backends.call(
        api.remove_reaction,
        api.RemoveReaction(post_id=post_id, comment_id=comment_id, member_id=member_id),
    )
    return Response(status_code=NO_CONTENT)


@router.post(
    "/v1/posts/{post_id}/shares",
    status_code=CREATED,
    summary=api.share_post.summary,
    responses=responses(api.share_post, body=True),
)
async def share_post(
    post_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.share_post))],
    body: api.ShareComment | None = None,
    idempotency_key: IdempotencyKey = None,
) -> api.ShareView:
    given = sent_fields(body) if body is not None else {}
    return await backends.call(
        api.share_post,
        api.SharePost(post_id=post_id, member_id=acting.member_id, **given),
        idempotency_key=idempotency_key,
    )
