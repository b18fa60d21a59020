"""Posts, comments, reactions, shares, groups, chats, the feed, mutes and content stats (owned
by the content service). Until authentication names the acting member, requests name them:
in the body (`author_id`, `member_id`, `actor_id`...), in the path, or, for reads, in the
`member_id` query parameter."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, ConfigDict

from shared.contracts.commands import MemberId
from shared.contracts.content import (
    CommentBody,
    CreateGroup,
    CreatePost,
    Cursor,
    FeedOrder,
    Id,
    MessageBody,
    PostChanges,
    ReactionKind,
    SendDirectMessage,
)

from ..backends import BackendsDep, IdPath

router = APIRouter(tags=["content"])

Viewer = Annotated[str, Query(min_length=1, max_length=64, description="The member reading.")]
Limit = Annotated[int, Query(ge=1, le=100)]
CursorQuery = Annotated[Cursor | None, Query(description="`next_cursor` of the previous page.")]
NO_CONTENT = status.HTTP_204_NO_CONTENT


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Actor(_Body):
    """The member acting (until authentication names them)."""

    member_id: MemberId


class NewComment(_Body):
    author_id: MemberId
    body: CommentBody
    reply_to_comment_id: Id | None = None


class Reaction(_Body):
    kind: ReactionKind


class NewShare(_Body):
    member_id: MemberId
    comment: CommentBody | None = None


class GroupActor(_Body):
    """Who puts a member into a group or takes them out; absent: the member themselves."""

    actor_id: MemberId | None = None


class NewGroupMessage(_Body):
    author_id: MemberId
    body: MessageBody
    reply_to_message_id: Id | None = None


def _page(limit: int, cursor: str | None) -> dict:
    return {"limit": limit} | ({"cursor": cursor} if cursor is not None else {})


# --- posts ----------------------------------------------------------------------------


@router.post("/v1/posts", status_code=status.HTTP_201_CREATED, summary="Publish a post")
async def create_post(
    body: CreatePost, backends: BackendsDep, response: Response
) -> dict[str, Any]:
    post = await backends.ask("content", "create_post", body)
    response.headers["Location"] = f"/v1/posts/{post['id']}"
    return post


@router.get("/v1/posts/{post_id}", summary="A post with its counts and content value")
async def get_post(post_id: IdPath, member_id: Viewer, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("content", "get_post", {"post_id": post_id, "member_id": member_id})


@router.patch("/v1/posts/{post_id}", summary="The author edits a post's body or link")
async def edit_post(post_id: IdPath, body: PostChanges, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask(
        "content",
        "edit_post",
        {"post_id": post_id, "changes": body.model_dump(mode="json", exclude_unset=True)},
    )


@router.delete("/v1/posts/{post_id}", status_code=NO_CONTENT, summary="The author deletes a post")
async def delete_post(post_id: IdPath, body: Actor, backends: BackendsDep) -> Response:
    await backends.ask("content", "delete_post", {"post_id": post_id, "member_id": body.member_id})
    return Response(status_code=NO_CONTENT)


# --- comments -------------------------------------------------------------------------


@router.post(
    "/v1/posts/{post_id}/comments",
    status_code=status.HTTP_201_CREATED,
    summary="Comment on a post, or reply to a comment",
)
async def create_comment(
    post_id: IdPath, body: NewComment, backends: BackendsDep
) -> dict[str, Any]:
    return await backends.ask(
        "content", "create_comment", {"post_id": post_id, **body.model_dump(mode="json")}
    )


@router.get("/v1/posts/{post_id}/comments", summary="A post's comments, oldest first")
async def list_comments(
    post_id: IdPath,
    member_id: Viewer,
    backends: BackendsDep,
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    return await backends.ask(
        "content",
        "list_comments",
        {"post_id": post_id, "member_id": member_id, **_page(limit, cursor)},
    )


@router.delete(
    "/v1/posts/{post_id}/comments/{comment_id}",
    status_code=NO_CONTENT,
    summary="The comment's or the post's author deletes a comment and its replies",
)
async def delete_comment(
    post_id: IdPath, comment_id: IdPath, body: Actor, backends: BackendsDep
) -> Response:
    await backends.ask(
        "content",
        "delete_comment",
        {"post_id": post_id, "comment_id": comment_id, "member_id": body.member_id},
    )
    return Response(status_code=NO_CONTENT)


# --- reactions and shares -------------------------------------------------------------


async def _set_reaction(
    backends: BackendsDep, post_id: str, comment_id: str | None, member_id: str, kind: str
) -> dict[str, Any]:
    return await backends.ask(
        "content",
        "set_reaction",
        {"post_id": post_id, "comment_id": comment_id, "member_id": member_id, "kind": kind},
    )


async def _remove_reaction(
    backends: BackendsDep, post_id: str, comment_id: str | None, member_id: str
) -> Response:
    await backends.ask(
        "content",
        "remove_reaction",
        {"post_id": post_id, "comment_id": comment_id, "member_id": member_id},
    )
    return Response(status_code=NO_CONTENT)


@router.put(
    "/v1/posts/{post_id}/reactions/{member_id}",
    summary="React to a post, or change the reaction (one per member)",
)
async def set_post_reaction(
    post_id: IdPath, member_id: IdPath, body: Reaction, backends: BackendsDep
) -> dict[str, Any]:
    return await _set_reaction(backends, post_id, None, member_id, body.kind)


@router.delete(
    "/v1/posts/{post_id}/reactions/{member_id}",
    status_code=NO_CONTENT,
    summary="Remove a reaction to a post",
)
async def remove_post_reaction(
    post_id: IdPath, member_id: IdPath, backends: BackendsDep
) -> Response:
    return await _remove_reaction(backends, post_id, None, member_id)


@router.put(
    "/v1/posts/{post_id}/comments/{comment_id}/reactions/{member_id}",
    summary="React to a comment, or change the reaction (one per member)",
)
async def set_comment_reaction(
    post_id: IdPath, comment_id: IdPath, member_id: IdPath, body: Reaction, backends: BackendsDep
) -> dict[str, Any]:
    return await _set_reaction(backends, post_id, comment_id, member_id, body.kind)


@router.delete(
    "/v1/posts/{post_id}/comments/{comment_id}/reactions/{member_id}",
    status_code=NO_CONTENT,
    summary="Remove a reaction to a comment",
)
async def remove_comment_reaction(
    post_id: IdPath, comment_id: IdPath, member_id: IdPath, backends: BackendsDep
) -> Response:
    return await _remove_reaction(backends, post_id, comment_id, member_id)


@router.post(
    "/v1/posts/{post_id}/shares",
    status_code=status.HTTP_201_CREATED,
    summary="Share another member's post, with an optional comment",
)
async def share_post(post_id: IdPath, body: NewShare, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask(
        "content", "share_post", {"post_id": post_id, **body.model_dump(mode="json")}
    )


# --- groups and group chat ------------------------------------------------------------


@router.post("/v1/groups", status_code=status.HTTP_201_CREATED, summary="Create a group")
async def create_group(
    body: CreateGroup, backends: BackendsDep, response: Response
) -> dict[str, Any]:
    group = await backends.ask("content", "create_group", body)
    response.headers["Location"] = f"/v1/groups/{group['id']}"
    return group


@router.get("/v1/groups/{group_id}", summary="A group, its first members and the reader's status")
async def get_group(group_id: IdPath, member_id: Viewer, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask(
        "content", "get_group", {"group_id": group_id, "member_id": member_id}
    )


def _membership(group_id: str, member_id: str, body: GroupActor | None) -> dict:
    actor = body.actor_id if body and body.actor_id else member_id
    return {"group_id": group_id, "member_id": member_id, "actor_id": actor}


@router.put(
    "/v1/groups/{group_id}/members/{member_id}",
    summary="Join a group (open, or private when invited); as its owner, invite to a private one",
)
async def put_group_member(
    group_id: IdPath,
    member_id: IdPath,
    backends: BackendsDep,
    body: Annotated[GroupActor | None, Body()] = None,
) -> dict[str, Any]:
    return await backends.ask("content", "put_group_member", _membership(group_id, member_id, body))


@router.delete(
    "/v1/groups/{group_id}/members/{member_id}",
    status_code=NO_CONTENT,
    summary="Leave a group or decline an invitation; as its owner, remove or uninvite a member",
)
async def remove_group_member(
    group_id: IdPath,
    member_id: IdPath,
    backends: BackendsDep,
    body: Annotated[GroupActor | None, Body()] = None,
) -> Response:
    await backends.ask("content", "remove_group_member", _membership(group_id, member_id, body))
    return Response(status_code=NO_CONTENT)


@router.post(
    "/v1/groups/{group_id}/messages",
    status_code=status.HTTP_201_CREATED,
    summary="Write in a group's chat (members only)",
)
async def post_group_message(
    group_id: IdPath, body: NewGroupMessage, backends: BackendsDep
) -> dict[str, Any]:
    return await backends.ask(
        "content", "post_group_message", {"group_id": group_id, **body.model_dump(mode="json")}
    )


@router.get("/v1/groups/{group_id}/messages", summary="A group's chat, newest first")
async def list_group_messages(
    group_id: IdPath,
    member_id: Viewer,
    backends: BackendsDep,
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    return await backends.ask(
        "content",
        "list_group_messages",
        {"group_id": group_id, "member_id": member_id, **_page(limit, cursor)},
    )


# --- direct messages ------------------------------------------------------------------


@router.post(
    "/v1/direct-messages",
    status_code=status.HTTP_201_CREATED,
    summary="Send a direct message to another member",
)
async def send_direct_message(body: SendDirectMessage, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("content", "send_direct_message", body)


@router.get(
    "/v1/members/{member_id}/conversations/{other_id}",
    summary="The direct messages between two members, newest first",
)
async def list_conversation(
    member_id: IdPath,
    other_id: IdPath,
    backends: BackendsDep,
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    return await backends.ask(
        "content",
        "list_conversation",
        {"member_id": member_id, "other_id": other_id, **_page(limit, cursor)},
    )


# --- feed, mutes, stats ---------------------------------------------------------------


@router.get(
    "/v1/members/{member_id}/feed",
    summary="Posts and shares from the member's connections, follows and groups",
)
async def feed(
    member_id: IdPath,
    backends: BackendsDep,
    order: Annotated[FeedOrder, Query(description="`recent` (default) or `value`.")] = "recent",
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    return await backends.ask(
        "content", "feed", {"member_id": member_id, "order": order, **_page(limit, cursor)}
    )


@router.get("/v1/members/{member_id}/mutes", summary="The members and groups a member muted")
async def list_mutes(member_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("content", "list_mutes", {"member_id": member_id})


@router.put(
    "/v1/members/{member_id}/mutes/{target_id}",
    summary="Mute a member or a group: their posts leave the member's feed",
)
async def mute(member_id: IdPath, target_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("content", "mute", {"member_id": member_id, "target_id": target_id})


@router.delete(
    "/v1/members/{member_id}/mutes/{target_id}", status_code=NO_CONTENT, summary="Lift a mute"
)
async def unmute(member_id: IdPath, target_id: IdPath, backends: BackendsDep) -> Response:
    await backends.ask("content", "unmute", {"member_id": member_id, "target_id": target_id})
    return Response(status_code=NO_CONTENT)


@router.get(
    "/v1/members/{member_id}/content-stats",
    summary="A member's posts, engagement received and given, and content value",
)
async def content_stats(member_id: IdPath, backends: BackendsDep) -> dict[str, Any]:
    return await backends.ask("content", "content_stats", {"member_id": member_id})
