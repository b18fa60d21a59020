"""Commands and queries sent over request/reply, validated by the gateway and by the service.

Field limits are part of the API and documented in docs/api.md.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

MemberId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Handle = Annotated[
    str, StringConstraints(min_length=3, max_length=30, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
]
ShortText = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
Statement = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]

LIMITS = {
    "handle": "3-30 characters: lowercase letters, digits, '_', '.', '-'",
    "name": "1-100 characters",
    "email": "a valid address, at most 254 characters",
    "headline": "at most 200 characters",
    "about": "at most 2,000 characters",
    "headshot_url": "an http(s) URL, at most 2,048 characters",
    "industry, location, team": "at most 100 characters each",
    "keywords, skills": "at most 50 items of 1-100 characters",
    "accomplishments, goals, values": "at most 20 items of 1-300 characters",
}


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileFields(_Command):
    headline: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)] = ""
    about: Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)] = ""
    headshot_url: Annotated[AnyHttpUrl, Field(max_length=2048)] | None = None
    industry: ShortText = ""
    location: ShortText = ""
    team: ShortText = ""
    keywords: Annotated[list[Tag], Field(max_length=50)] = []
    skills: Annotated[list[Tag], Field(max_length=50)] = []
    accomplishments: Annotated[list[Statement], Field(max_length=20)] = []
    goals: Annotated[list[Statement], Field(max_length=20)] = []
    values: Annotated[list[Statement], Field(max_length=20)] = []


class RegisterMember(ProfileFields):
    handle: Handle
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    email: Annotated[EmailStr, Field(max_length=254)]


class MemberChanges(_Command):
    """A partial update: only the fields present change. Same limits as registration."""

    handle: Handle | None = None
    name: (
        Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
        | None
    ) = None
    email: Annotated[EmailStr, Field(max_length=254)] | None = None
    headline: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)] | None = None
    about: Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)] | None = None
    headshot_url: Annotated[AnyHttpUrl, Field(max_length=2048)] | None = None
    industry: ShortText | None = None
    location: ShortText | None = None
    team: ShortText | None = None
    keywords: Annotated[list[Tag], Field(max_length=50)] | None = None
    skills: Annotated[list[Tag], Field(max_length=50)] | None = None
    accomplishments: Annotated[list[Statement], Field(max_length=20)] | None = None
    goals: Annotated[list[Statement], Field(max_length=20)] | None = None
    values: Annotated[list[Statement], Field(max_length=20)] | None = None


class UpdateMember(_Command):
    member_id: MemberId
    changes: MemberChanges


class MemberRef(_Command):
    member_id: MemberId


class SendConnectionRequest(_Command):
    requester_id: MemberId
    addressee_id: MemberId


class DecideConnectionRequest(_Command):
    """Accept, decline or withdraw: `member_id` is the member acting."""

    request_id: MemberId
    member_id: MemberId


class PairCommand(_Command):
    """An action of `member_id` towards `other_id` (remove connection, follow, block...)."""

    member_id: MemberId
    other_id: MemberId


class SuggestionsQuery(_Command):
    """A member's suggestions; `limit` is checked by the connections service (1 to
    RAPPORT_SUGGESTION_LIMIT_MAX, default RAPPORT_SUGGESTION_LIMIT_DEFAULT)."""

    member_id: MemberId
    limit: int | None = None


class DismissSuggestion(_Command):
    """`member_id` no longer wants `other_id` suggested, for good."""

    member_id: MemberId
    other_id: MemberId
