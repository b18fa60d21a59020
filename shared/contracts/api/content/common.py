"""What every feature of the content API shares: the service name, the field types and their
limits (documented in docs/api.md), paging, the acting member, how a member is shown, and
the readiness operation."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ...fields import BodyText, MemberId, PlainText, http_url
from ...operations import Answer, Request, ping_operation

SERVICE = "content"

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
PostBody = Annotated[
    str, StringConstraints(min_length=1, max_length=10_000, strip_whitespace=True), BodyText
]
CommentBody = Annotated[
    str, StringConstraints(min_length=1, max_length=3_000, strip_whitespace=True), BodyText
]
MessageBody = Annotated[
    str, StringConstraints(min_length=1, max_length=2_000, strip_whitespace=True), BodyText
]
GroupName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True), PlainText
]
GroupTopic = Annotated[str, StringConstraints(max_length=300, strip_whitespace=True), PlainText]
Link = http_url(2048)
Visibility = Literal["connections", "org", "group"]
ReactionKind = Literal["like", "celebrate", "insightful", "support"]
REACTION_KINDS: tuple[str, ...] = ("like", "celebrate", "insightful", "support")
Privacy = Literal["open", "private"]
FeedOrder = Literal["recent", "value"]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
PageSize = Annotated[int, Field(ge=1, le=100)]

LIMITS = {
    "post body": "1-10,000 characters (surrounding white space is trimmed)",
    "comment body, share comment": "1-3,000 characters",
    "message body (group chat, direct message)": "1-2,000 characters",
    "bodies": "no control character but tab and line breaks",
    "link": "an http(s) URL, at most 2,048 characters",
    "group name": "1-100 characters, one line, no bidirectional or zero-width characters",
    "group topic": "at most 300 characters, same characters as the name",
    "limit": "1-100 items per page (default 20)",
}


class Page(Request):
    limit: PageSize = 20
    cursor: Cursor | None = None


class Actor(Request):
    """The member acting (the caller, from the token)."""

    member_id: MemberId


class MemberQuery(Request):
    member_id: MemberId


class MemberCard(Answer):
    """A member as content shows them (handle and name are null once they are unknown)."""

    member_id: str
    handle: str | None = None
    name: str | None = None


class ReactionCounts(Answer):
    like: int = 0
    celebrate: int = 0
    insightful: int = 0
    support: int = 0


ping = ping_operation(SERVICE)
