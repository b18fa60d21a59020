"""Facts published by the profiles service (stream PROFILES)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.contracts.envelope import Event

Id = str


class MemberProfile(Event):
    """Fields shared by member.registered and member.updated: the whole current profile."""

    member_id: Id
    handle: str
    name: str
    email: str
    headline: str = ""
    about: str = ""
    headshot_url: str | None = None
    industry: str = ""
    location: str = ""
    team: str = ""
    keywords: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    accomplishments: list[str] = Field(default_factory=list)
    goals: list[str] = Field(default_factory=list)
    values: list[str] = Field(default_factory=list)

    def entity(self) -> str:
        return self.member_id


class MemberRegistered(MemberProfile):
    """A member joined; carries their whole profile."""

    type = "member.registered"
    domain = "profiles"


class MemberUpdated(MemberProfile):
    """A member changed their profile; carries the whole profile and the changed fields."""

    type = "member.updated"
    domain = "profiles"

    changed: list[str]


class MemberDeleted(Event):
    """A member was erased: every service removes the member and their personal data."""

    type = "member.deleted"
    domain = "profiles"

    member_id: Id

    def entity(self) -> str:
        return self.member_id


class ProfileStrengthChanged(Event):
    """A member's profile strength score changed (for nudges)."""

    type = "profile_strength.changed"
    domain = "profiles"

    member_id: Id
    score: int = Field(ge=0, le=100)
    level: Literal["starter", "intermediate", "strong", "all_star"]
    previous_score: int | None = None

    def entity(self) -> str:
        return self.member_id


EVENTS: tuple[type[Event], ...] = (
    MemberRegistered,
    MemberUpdated,
    MemberDeleted,
    ProfileStrengthChanged,
)

__all__ = ["MemberProfile", *(cls.__name__ for cls in EVENTS)]
