"""Posts: publish, read, edit, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from shared.contracts.api import content as api

from ...access import Acting, allowed
from ...backends import BackendsDep, IdempotencyKey, IdPath, responses
from .common import CREATED, NO_CONTENT, router, sent_fields


@router.post(
    "/v1/posts",
    status_code=CREATED,
    summary=api.create_post.summary,
    responses=responses(api.create_post, body=True),
)
async def create_post(
    body: api.NewPost,
    backends: BackendsDep,
    response: Response,
    acting: Annotated[Acting, Depends(allowed(api.create_post))],
    idempotency_key: IdempotencyKey = None,
) -> api.PostView:
    command = api.CreatePost(author_id=acting.member_id, **sent_fields(body))
    post = await backends.call(api.create_post, command, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/v1/posts/{post.id}"
    return post


@router.get("/v1/posts/{post_id}", summary=api.get_post.summary, responses=responses(api.get_post))
async def get_post(
    post_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.get_post))],
) -> api.PostView:
    return await backends.call(
        api.get_post, api.PostAction(post_id=post_id, member_id=acting.member_id)
    )


@router.patch(
    "/v1/posts/{post_id}",
    summary=api.edit_post.summary,
    responses=responses(api.edit_post, body=True),
)
async def edit_post(
    post_id: IdPath,
    body: api.PostEdits,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.edit_post))],
) -> api.PostView:
    changes = api.PostChanges(member_id=acting.member_id, **sent_fields(body))
    return await backends.call(api.edit_post, api.EditPost(post_id=post_id, changes=changes))


@router.delete(
    "/v1/posts/{post_id}",
    status_code=NO_CONTENT,
    summary=api.delete_post.summary,
    responses=responses(api.delete_post),
)
async def delete_post(
    post_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.delete_post))],
) -> Response:
    await backends.call(
        api.delete_post, api.PostAction(post_id=post_id, member_id=acting.member_id)
    )
    return Response(status_code=NO_CONTENT)
