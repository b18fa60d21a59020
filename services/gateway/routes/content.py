"""Posts, comments, reactions, shares, groups, chats, the feed, mutes and content stats (owned
by the content service). The acting member is the caller: fields naming them (`author_id`,
`owner_id`, the reader...) are filled from the token; a `{member_id}` in the path must be the
caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from shared.contracts.api import content as api

from ..access import Acting, allowed
from ..backends import BackendsDep, IdempotencyKey, IdPath, responses

router = APIRouter(tags=["content"])

Limit = Annotated[int, Query(ge=1, le=100)]
CursorQuery = Annotated[api.Cursor | None, Query(description="`next_cursor` of the previous page.")]
NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED


# --- posts ----------------------------------------------------------------------------


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
    command = api.CreatePost(author_id=acting.member_id, **_given(body))
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
    changes = api.PostChanges(member_id=acting.member_id, **_given(body))
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


# --- comments -------------------------------------------------------------------------


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
        api.CreateComment(post_id=post_id, author_id=acting.member_id, **_given(body)),
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
    given = _given(body) if body is not None else {}
    return await backends.call(
        api.share_post,
        api.SharePost(post_id=post_id, member_id=acting.member_id, **given),
        idempotency_key=idempotency_key,
    )


# --- groups and group chat ------------------------------------------------------------


@router.post(
    "/v1/groups",
    status_code=CREATED,
    summary=api.create_group.summary,
    responses=responses(api.create_group, body=True),
)
async def create_group(
    body: api.NewGroup,
    backends: BackendsDep,
    response: Response,
    acting: Annotated[Acting, Depends(allowed(api.create_group))],
    idempotency_key: IdempotencyKey = None,
) -> api.GroupView:
    command = api.CreateGroup(owner_id=acting.member_id, **_given(body))
    group = await backends.call(api.create_group, command, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/v1/groups/{group.id}"
    return group


@router.get(
    "/v1/groups",
    summary=api.list_open_groups.summary,
    responses=responses(api.list_open_groups),
)
async def list_open_groups(
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.list_open_groups))],
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> api.OpenGroups:
    return await backends.call(
        api.list_open_groups,
        api.OpenGroupsPage(member_id=acting.member_id, limit=limit, cursor=cursor),
    )


@router.get(
    "/v1/groups/{group_id}", summary=api.get_group.summary, responses=responses(api.get_group)
)
async def get_group(
    group_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.get_group))],
) -> api.GroupView:
    return await backends.call(
        api.get_group, api.GroupQuery(group_id=group_id, member_id=acting.member_id)
    )


def _membership(group_id: str, member_id: str, acting: Acting) -> api.GroupMembership:
    """The caller puts `member_id` in (themselves: join; another: invite) or takes them out."""
    return api.GroupMembership(group_id=group_id, member_id=member_id, actor_id=acting.member_id)


@router.put(
    "/v1/groups/{group_id}/members/{member_id}",
    summary=api.put_group_member.summary,
    responses=responses(api.put_group_member),
)
async def put_group_member(
    group_id: IdPath,
    member_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.put_group_member))],
) -> api.MembershipView:
    return await backends.call(api.put_group_member, _membership(group_id, member_id, acting))


@router.delete(
    "/v1/groups/{group_id}/members/{member_id}",
    status_code=NO_CONTENT,
    summary=api.remove_group_member.summary,
    responses=responses(api.remove_group_member),
)
async def remove_group_member(
    group_id: IdPath,
    member_id: IdPath,
    backends: BackendsDep,
    acting: Annotated[Acting, Depends(allowed(api.remove_group_member))],
) -> Response:
    await backends.call(api.remove_group_member, _membership(group_id, member_id, acting))
    return Response(status_code=NO_CONTENT)


@router.get(
    "/v1/members/{member_id}/groups",
    summary=api.list_member_groups.summary,
    responses=responses(api.list_member_groups),
)
async def list_member_groups(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_member_groups))],
) -> api.MemberGroups:
    return await backends.call(api.list_member_groups, api.MemberQuery(member_id=member_id))


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
        api.PostGroupMessage(group_id=group_id, author_id=acting.member_id, **_given(body)),
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
    command = api.SendDirectMessage(sender_id=acting.member_id, **_given(body))
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


# --- feed, mutes, stats ---------------------------------------------------------------


@router.get("/v1/members/{member_id}/feed", summary=api.feed.summary, responses=responses(api.feed))
async def feed(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.feed))],
    order: Annotated[api.FeedOrder, Query(description="`recent` (default) or `value`.")] = "recent",
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> api.Feed:
    return await backends.call(
        api.feed, api.FeedPage(member_id=member_id, order=order, limit=limit, cursor=cursor)
    )


@router.get(
    "/v1/members/{member_id}/mutes",
    summary=api.list_mutes.summary,
    responses=responses(api.list_mutes),
)
async def list_mutes(
    member_id: IdPath, backends: BackendsDep, _: Annotated[Acting, Depends(allowed(api.list_mutes))]
) -> api.MuteList:
    return await backends.call(api.list_mutes, api.MemberQuery(member_id=member_id))


@router.put(
    "/v1/members/{member_id}/mutes/{target_id}",
    summary=api.mute.summary,
    responses=responses(api.mute),
)
async def mute(
    member_id: IdPath,
    target_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.mute))],
) -> api.MuteView:
    return await backends.call(api.mute, api.Mute(member_id=member_id, target_id=target_id))


@router.delete(
    "/v1/members/{member_id}/mutes/{target_id}",
    status_code=NO_CONTENT,
    summary=api.unmute.summary,
    responses=responses(api.unmute),
)
async def unmute(
    member_id: IdPath,
    target_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.unmute))],
) -> Response:
    await backends.call(api.unmute, api.Mute(member_id=member_id, target_id=target_id))
    return Response(status_code=NO_CONTENT)


@router.get(
    "/v1/members/{member_id}/content-stats",
    summary=api.content_stats.summary,
    responses=responses(api.content_stats),
)
async def content_stats(
    member_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.content_stats))],
) -> api.ContentStats:
    return await backends.call(api.content_stats, api.MemberQuery(member_id=member_id))


def _given(body) -> dict:
    """The fields the client sent, so that the service sees exactly the request."""
    return {name: getattr(body, name) for name in body.model_fields_set}
