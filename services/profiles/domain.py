"""Members and the rules of their profiles. Pure Python: no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields

from shared.contracts.api.profiles import MemberChanges, RegisterMember
from shared.errors import Conflict

PROFILE_FIELDS = (
    "headline",
    "about",
    "headshot_url",
    "industry",
    "location",
    "team",
    "keywords",
    "skills",
    "accomplishments",
    "goals",
    "values",
)


@dataclass
class Member:
    id: str
    handle: str
    name: str
    email: str
    headline: str = ""
    about: str = ""
    headshot_url: str | None = None
    industry: str = ""
    location: str = ""
    team: str = ""
    keywords: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    accomplishments: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    # the identity provider's subject the member signs in as (never in events or replies)
    subject: str | None = None

    def profile(self) -> dict:
        """The member as replies carry it (facts carry only ids: handlers._on_the_bus)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["member_id"] = data.pop("id")
        del data["subject"]
        return data

    def apply(self, changes: MemberChanges) -> list[str]:
        """Apply a partial update; returns the names of the fields that really changed."""
        changed = []
        for name, value in _plain(changes).items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed.append(name)
        return changed


def _plain(command: RegisterMember | MemberChanges) -> dict:
    data = command.model_dump(mode="json", exclude_unset=isinstance(command, MemberChanges))
    if "email" in data and data["email"] is not None:
        data["email"] = normalise_email(data["email"])
    if isinstance(command, MemberChanges):
        # `null` is only meaningful for the headshot (remove it); elsewhere it means "unchanged"
        data = {k: v for k, v in data.items() if v is not None or k == "headshot_url"}
    return data


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_member(command: RegisterMember) -> Member:
    return Member(id=str(uuid.uuid4()), **_plain(command))


def ensure_unique(
    *,
    handle_owner: str | None,
    email_owner: str | None,
    member_id: str,
    subject_owner: str | None = None,
) -> None:
    """Handles, emails and subjects belong to one member each."""
    if subject_owner is not None and subject_owner != member_id:
        raise Conflict("you are already registered as a member", field="subject")
    if handle_owner is not None and handle_owner != member_id:
        raise Conflict("this handle is already taken", field="handle")
    if email_owner is not None and email_owner != member_id:
        raise Conflict("a member with this email already exists", field="email")
