"""What the index holds (profiles, gatherings, who takes part) and what it answers
(suggestions with their reasons)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from .text import terms

GOING, ATTENDED = "going", "attended"


@dataclass(frozen=True)
class Profile:
    member_id: str
    handle: str
    name: str
    headline: str = ""
    keywords: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    accomplishments: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()

    def document(self) -> list[str]:
        """What others' goals and keywords are matched against."""
        texts = [self.headline, *self.skills, *self.keywords, *self.accomplishments]
        return [t for text in texts for t in terms(text)]

    def fields(self) -> dict[str, tuple[str, ...]]:
        return {
            "skills": self.skills,
            "keywords": self.keywords,
            "accomplishments": self.accomplishments,
            "headline": (self.headline,) if self.headline else (),
        }


@dataclass(frozen=True)
class Gathering:
    """An event of the events service (called a gathering here, beside event *facts*)."""

    event_id: str
    title: str
    ends_at: datetime
    cancelled: bool = False


@dataclass(frozen=True)
class Reason:
    signal: str
    text: str
    points: float
    detail: Mapping[str, object]

    def view(self) -> dict:
        return {"signal": self.signal, "text": self.text, "points": round(self.points, 1)} | dict(
            self.detail
        )


@dataclass(frozen=True)
class Suggestion:
    profile: Profile
    score: float
    reasons: list[Reason]

    def view(self) -> dict:
        return {
            "member_id": self.profile.member_id,
            "handle": self.profile.handle,
            "name": self.profile.name,
            "headline": self.profile.headline,
            "score": round(self.score, 1),
            "reasons": [r.view() for r in self.reasons],
        }
