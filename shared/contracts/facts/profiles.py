"""Facts published by the profiles service (stream PROFILES)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.contracts.envelope import Event

Id = str


class MemberProfile(Event):
    """Fields shared by member.registered and member.updated: who the member is on the bus,
    and nothing personal. The stream keeps facts forever and an erasure cannot rewrite them,
    so names, emails and profile text never travel in them: a consumer that needs some asks
    profiles for them (`personal_data`, shared/contracts/api/profiles.py) and keeps its own
    erasable copy."""

    # version 2: name, email and the profile text left the facts (version 1 carried them;
    # this model reads both, the fields it keeps being in both)
    schema_version = 2

    member_id: Id
    # the public @name mentions use
    handle: str
    # organisation data from the token's claims (insights count by team)
    team: str = ""

    def entity(self) -> str:
        return self.member_id


class MemberRegistered(MemberProfile):
    """A member joined: their id, handle and team (their profile stays with profiles)."""

    type = "member.registered"
    domain = "profiles"


class MemberUpdated(MemberProfile):
    """A member changed their profile: id, handle, team and the names of the changed fields."""

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
