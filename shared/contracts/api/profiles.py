"""The profiles service's API: members, their profiles and profile strength.

Field limits are part of the API and documented in docs/api.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints

from ..fields import MemberId, at_most, body_text, http_url, plain_text
from ..operations import (
    ANYONE_SIGNED_IN,
    SELF,
    SERVICES,
    Answer,
    Done,
    Request,
    operation,
    ping_operation,
)

SERVICE = "profiles"

Handle = Annotated[
    str, StringConstraints(min_length=3, max_length=30, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
]
# Limits hold on the text as sent (at_most), before white space around it is stripped.
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, strip_whitespace=True),
    plain_text(stripped=True, filled=True),
    at_most(100),
]
Headline = Annotated[
    str,
    StringConstraints(max_length=200, strip_whitespace=True),
    plain_text(stripped=True),
    at_most(200),
]
About = Annotated[
    str,
    StringConstraints(max_length=2000, strip_whitespace=True),
    body_text(stripped=True),
    at_most(2000),
]
ShortText = Annotated[
    str,
    StringConstraints(max_length=100, strip_whitespace=True),
    plain_text(stripped=True),
    at_most(100),
]
Tag = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, strip_whitespace=True),
    plain_text(stripped=True, filled=True),
    at_most(100),
]
Statement = Annotated[
    str,
    StringConstraints(min_length=1, max_length=300, strip_whitespace=True),
    body_text(stripped=True, filled=True),
    at_most(300),
]


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" for c in word)


# email-validator refuses the special-use domains of RFC 6761 (a@b.test): say so in the schema.
_SPECIAL_USE = "|".join(
    _any_case(d) for d in ("arpa", "invalid", "local", "localhost", "onion", "test")
)
Email = Annotated[
    EmailStr,
    Field(
        max_length=254,
        json_schema_extra={"pattern": f"^(?![^@]*@(?:[^@]*\\.)?(?:{_SPECIAL_USE})$)"},
    ),
]
HeadshotUrl = http_url(2048)

LIMITS = {
    "handle": "3-30 characters: lowercase letters, digits, '_', '.', '-'",
    "name": "1-100 characters, no control, bidirectional or zero-width characters",
    "email": "a valid address, at most 254 characters",
    "headline": "at most 200 characters, one line",
    "about": "at most 2,000 characters",
    "headshot_url": "an http(s) URL, at most 2,048 characters",
    "industry, location": "at most 100 characters each, one line",
    "keywords, skills": "at most 50 items of 1-100 characters",
    "accomplishments, goals, values": "at most 20 items of 1-300 characters",
}


class ProfileFields(Request):
    headline: Headline = ""
    about: About = ""
    headshot_url: HeadshotUrl | None = None
    industry: ShortText = ""
    location: ShortText = ""
    keywords: Annotated[list[Tag], Field(max_length=50)] = []
    skills: Annotated[list[Tag], Field(max_length=50)] = []
    accomplishments: Annotated[list[Statement], Field(max_length=20)] = []
    goals: Annotated[list[Statement], Field(max_length=20)] = []
    values: Annotated[list[Statement], Field(max_length=20)] = []


class Registration(ProfileFields):
    """What the caller registers (POST /v1/members); who they are comes from their token."""

    handle: Handle
    name: Name


Subject = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class RegisterMember(Registration):
    """The registration with what the gateway takes from the token: its subject, verified
    email and team claim (a team is never the member's own say, so insights can trust it)."""

    subject: Subject
    email: Email
    team: ShortText = ""


class MemberChanges(Request):
    """A partial update: only the fields present change. Same limits as registration."""

    handle: Handle | None = None
    name: Name | None = None
    headline: Headline | None = None
    about: About | None = None
    headshot_url: HeadshotUrl | None = None
    industry: ShortText | None = None
    location: ShortText | None = None
    keywords: Annotated[list[Tag], Field(max_length=50)] | None = None
    skills: Annotated[list[Tag], Field(max_length=50)] | None = None
    accomplishments: Annotated[list[Statement], Field(max_length=20)] | None = None
    goals: Annotated[list[Statement], Field(max_length=20)] | None = None
    values: Annotated[list[Statement], Field(max_length=20)] | None = None


class UpdateMember(Request):
    member_id: MemberId
    changes: MemberChanges


class MemberRef(Request):
    member_id: MemberId


class SubjectRef(Request):
    subject: Subject


class MemberOfSubject(Answer):
    member_id: str


class MemberPage(Request):
    after: Annotated[str, StringConstraints(max_length=64)] | None = None
    limit: int = Field(50, ge=1, le=200)


class Profile(Answer):
    member_id: str
    handle: str
    name: str
    # shown to the member and to operators only; null for everyone else
    email: str | None
    headline: str
    about: str
    headshot_url: str | None
    industry: str
    location: str
    team: str
    keywords: list[str]
    skills: list[str]
    accomplishments: list[str]
    goals: list[str]
    values: list[str]


class Members(Answer):
    items: list[Profile]
    next_cursor: str | None


class MissingItem(Answer):
    item: str
    suggestion: str
    points: int


class IndustryKeywordsView(Answer):
    industry: str
    common: list[str]
    yours: list[str]


class ProfileStrength(Answer):
    member_id: str
    score: int
    level: str
    completed: list[str]
    missing: list[MissingItem]
    not_measured: list[str]
    industry_keywords: IndustryKeywordsView | None


ping = ping_operation(SERVICE)
register_member = operation(
    SERVICE,
    "register_member",
    RegisterMember,
    Profile,
    "Register a member",
    errors=(409,),
    idempotent=True,
    access=ANYONE_SIGNED_IN,
)
get_member = operation(
    SERVICE,
    "get_member",
    MemberRef,
    Profile,
    "A member's profile",
    errors=(404,),
    access=ANYONE_SIGNED_IN,
)
update_member = operation(
    SERVICE,
    "update_member",
    UpdateMember,
    Profile,
    "Change some profile fields",
    errors=(404, 409),
    access=SELF(),
)
delete_member = operation(
    SERVICE,
    "delete_member",
    MemberRef,
    Done,
    "Erase a member and their personal data from every service",
    errors=(404,),
    access=SELF(),
)
list_members = operation(
    SERVICE,
    "list_members",
    MemberPage,
    Members,
    "List members, a page at a time",
    access=ANYONE_SIGNED_IN,
)
profile_strength = operation(
    SERVICE,
    "profile_strength",
    MemberRef,
    ProfileStrength,
    "A member's profile strength: score, level, and what to add for how many points",
    errors=(404,),
    access=SELF(),
)
# The gateway's only: which member a token's subject is (404 before registration).
member_of_subject = operation(
    SERVICE,
    "member_of_subject",
    SubjectRef,
    MemberOfSubject,
    "The member bound to an identity provider's subject",
    errors=(404,),
)


# --- personal data, for the services that keep a copy ------------------------------------------

# The fields of a profile that member facts do not carry (shared/contracts/facts/profiles.py).
PersonalField = Literal[
    "name",
    "email",
    "headline",
    "about",
    "headshot_url",
    "industry",
    "location",
    "keywords",
    "skills",
    "accomplishments",
    "goals",
    "values",
]
PERSONAL_DATA_MAX_MEMBERS = 500


class PersonalDataQuery(Request):
    """The fields a service needs of the members a batch of facts names (one request per
    batch, at most 500 members)."""

    member_ids: Annotated[list[MemberId], Field(min_length=1, max_length=PERSONAL_DATA_MAX_MEMBERS)]
    fields: Annotated[list[PersonalField], Field(min_length=1)]


class PersonalFields(Answer):
    """One member's fields as asked; a field not asked for is null."""

    member_id: str
    name: str | None = None
    email: str | None = None
    headline: str | None = None
    about: str | None = None
    headshot_url: str | None = None
    industry: str | None = None
    location: str | None = None
    keywords: list[str] | None = None
    skills: list[str] | None = None
    accomplishments: list[str] | None = None
    goals: list[str] | None = None
    values: list[str] | None = None


class PersonalData(Answer):
    members: list[PersonalFields]
    # asked for but not members (any more): profiles erased them, so nothing is to be kept
    erased: list[str]


# Services only, over the bus (the gateway is denied its subject): how consumers of member
# facts fill their own erasable copies.
personal_data = operation(
    SERVICE,
    "personal_data",
    PersonalDataQuery,
    PersonalData,
    "The personal fields of some members, for services keeping a copy (not a route)",
    access=SERVICES("connections", "content", "events"),
)
