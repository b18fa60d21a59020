"""Industry keywords: which keywords are common among the members of an industry, whether a
member has the "keywords relevant to your industry" item, and whose item a profile change
moves.

The item is measured, not counted: among the other members of the same industry in the org,
a keyword is *common* when enough of them use it; a profile has the item when it uses enough
of those common keywords. An industry with too few other members (or none sharing keywords)
cannot say what is relevant, so the item is left out of the score rather than held against
the member.

Pure Python: no I/O.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .strength import StrengthRules


def normalise_industry(industry: str) -> str:
    """The key members of one industry share: case and spacing do not matter."""
    return " ".join(industry.casefold().split())


def normalise_keyword(keyword: str) -> str:
    return " ".join(keyword.casefold().split())


@dataclass(frozen=True)
class IndustryKeywords:
    """How many members of one industry use each keyword; every member counted once."""

    industry: str
    members: int
    counts: Mapping[str, int]

    @classmethod
    def of(cls, industry: str, keyword_lists: Iterable[Iterable[str]]) -> IndustryKeywords:
        counts: Counter[str] = Counter()
        members = 0
        for keywords in keyword_lists:
            members += 1
            counts.update(_own(keywords))
        return cls(industry, members, counts)

    def adding(self, keywords: Iterable[str]) -> IndustryKeywords:
        """The same industry with one more member, using `keywords`."""
        counts = Counter(self.counts)
        counts.update(_own(keywords))
        return IndustryKeywords(self.industry, self.members + 1, counts)

    def removing(self, keywords: Iterable[str]) -> IndustryKeywords:
        """The same industry without one of its members, who used `keywords`."""
        counts = Counter(self.counts)
        counts.subtract(_own(keywords))
        return IndustryKeywords(self.industry, self.members - 1, +counts)

    def _enough(self, rules: StrengthRules) -> int | None:
        """How many of a member's peers (the industry's other members) must use a keyword
        for it to be common; None when there are too few peers to say."""
        peers = self.members - 1
        if peers < rules.industry_min_peers:
            return None
        return max(
            rules.industry_keyword_min_members,
            math.ceil(rules.industry_keyword_share * peers - 1e-9),
        )

    def common_for(self, keywords: Iterable[str], rules: StrengthRules) -> list[str]:
        """The keywords common among the peers of a member of this industry using `keywords`
        (the member being one of `members`), most used first."""
        enough = self._enough(rules)
        if enough is None:
            return []
        own = _own(keywords)
        by_peers = {k: c - (k in own) for k, c in self.counts.items()}
        common = [k for k, c in by_peers.items() if c >= enough]
        return sorted(common, key=lambda k: (-by_peers[k], k))

    def item_rule(self, rules: StrengthRules) -> IndustryItem:
        """The industry keyword item of this industry, ready to judge many members."""
        enough = self._enough(rules)
        if enough is None:
            return IndustryItem(None, frozenset(), frozenset(), rules.industry_keywords_needed)
        return IndustryItem(
            enough,
            frozenset(k for k, c in self.counts.items() if c > enough),
            frozenset(k for k, c in self.counts.items() if c == enough),
            rules.industry_keywords_needed,
        )


@dataclass(frozen=True)
class IndustryItem:
    """Whether the industry keyword item is measured and met, in time proportional to a
    member's own keywords (the industry's counts are read once): what `assess` finds."""

    enough: int | None
    surely_common: frozenset[str]  # used by more than `enough`: common for every member
    common_unless_own: frozenset[str]  # used by exactly `enough`: one fewer peer if their own
    needed: int

    def state(self, keywords: Iterable[str]) -> tuple[bool, bool]:
        """(measured, met) for a member of the industry using `keywords`."""
        if self.enough is None:
            return False, False
        own = _own(keywords)
        common = len(self.surely_common) + len(self.common_unless_own - own)
        matched = len(own & self.surely_common)
        return bool(common), bool(common) and matched >= min(self.needed, common)


def _own(keywords: Iterable[str]) -> set[str]:
    return {normalise_keyword(k) for k in keywords}


def industry_item_moves(
    members: Iterable[tuple[str, list[str]]],
    before: IndustryKeywords,
    after: IndustryKeywords,
    rules: StrengthRules,
) -> list[str]:
    """The members (id, keywords) of an industry whose industry keyword item is measured or
    met differently `after` a change than `before` it: the only ones whose score it moves."""
    was, now = before.item_rule(rules), after.item_rule(rules)
    return [m for m, keywords in members if was.state(keywords) != now.state(keywords)]


@dataclass(frozen=True)
class Standing:
    """What of a member the industry keyword item of others depends on."""

    industry: str
    keywords: list[str]


@dataclass(frozen=True)
class ProfileChange:
    """A registration (`before` None), an update, or an erasure (`after` None), as far as
    the scores of the other members of the industries concerned are affected."""

    member_id: str
    before: Standing | None
    after: Standing | None

    def industries(self) -> list[str]:
        """The industries whose other members' scores may move: none when neither the
        industry nor the keywords changed."""
        sides = [side for side in (self.before, self.after) if side is not None]
        if len(sides) == 2 and _same_standing(*sides):
            return []
        names = {normalise_industry(s.industry): s.industry for s in sides}
        return [name for key, name in names.items() if key]

    def before_in(self, now: IndustryKeywords) -> IndustryKeywords:
        """The keyword use of an industry before the change, from its use now."""
        was = now
        key = normalise_industry(now.industry)
        if self.after is not None and normalise_industry(self.after.industry) == key:
            was = was.removing(self.after.keywords)
        if self.before is not None and normalise_industry(self.before.industry) == key:
            was = was.adding(self.before.keywords)
        return was


def _same_standing(one: Standing, other: Standing) -> bool:
    return normalise_industry(one.industry) == normalise_industry(other.industry) and _own(
        one.keywords
    ) == _own(other.keywords)
