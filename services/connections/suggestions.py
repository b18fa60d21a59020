"""Whom a member should connect with, and why: the suggestion index and its ranking.

A candidate's score (0-100) combines four signals, each turned into 0-1 by
`1 - exp(-raw / scale)` and weighted (weights and scales are settings):

- **fit**: BM25 of the member's goals and keywords (the query) against the candidate's
  skills, keywords, accomplishments and headline (the document), with document frequencies
  over the org's profiles;
- **mutual connections**: Adamic-Adar, the sum of 1 / ln(degree) over mutual connections, so
  that a mutual connection with few connections says more than a hub;
- **shared groups**: the sum of 1 / ln(size) over the groups both belong to;
- **shared events**: the sum of 1 / ln(participants) over the events both are going to or
  attended (cancelled events do not count).

score = 100 * sum(weight_s * signal_s) / sum(weight_s); each reason carries its signal's share
of the score as `points`, so a suggestion's points add up to its score.

The index is a plain in-memory structure fed with profiles, connections, group memberships
and event participation; it decides nothing about who may be suggested: the caller passes the
members to exclude (connected, pending, blocked, dismissed). Pure Python: no I/O.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from sys import intern
from typing import TYPE_CHECKING

from shared.errors import Conflict, OutOfRange

if TYPE_CHECKING:
    from shared.settings import Settings

FIT, MUTUAL, GROUPS, EVENTS = "fit", "mutual_connections", "shared_groups", "shared_events"
SIGNALS = (FIT, MUTUAL, GROUPS, EVENTS)
GOING, ATTENDED = "going", "attended"


# --- rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestionRules:
    """Weights, scales and limits of the ranking (defaults and meaning in shared/settings.py)."""

    weights: Mapping[str, float]
    scales: Mapping[str, float]
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    limit_default: int = 10
    limit_max: int = 50
    reason_names: int = 3

    def __post_init__(self) -> None:
        if set(self.weights) != set(SIGNALS) or set(self.scales) != set(SIGNALS):
            raise ValueError(f"weights and scales must name exactly {', '.join(SIGNALS)}")
        if any(w < 0 for w in self.weights.values()) or not sum(self.weights.values()):
            raise ValueError("weights must be >= 0 and not all 0")
        if any(s <= 0 for s in self.scales.values()):
            raise ValueError("scales must be > 0")

    @classmethod
    def from_settings(cls, settings: Settings) -> SuggestionRules:
        names = {FIT: "fit", MUTUAL: "mutual", GROUPS: "groups", EVENTS: "events"}
        return cls(
            weights={s: getattr(settings.suggestion, f"weight_{n}") for s, n in names.items()},
            scales={s: getattr(settings.suggestion, f"scale_{n}") for s, n in names.items()},
            bm25_k1=settings.suggestion.bm25_k1,
            bm25_b=settings.suggestion.bm25_b,
            limit_default=settings.suggestion.limit_default,
            limit_max=settings.suggestion.limit_max,
            reason_names=settings.suggestion.reason_names,
        )

    def limit(self, requested: int | None) -> int:
        if requested is None:
            return self.limit_default
        if not 1 <= requested <= self.limit_max:
            raise OutOfRange(f"limit must be between 1 and {self.limit_max}", field="limit")
        return requested

    def points(self, raw: Mapping[str, float]) -> dict[str, float]:
        """Each signal's share of the score, from its raw value."""
        total = sum(self.weights.values())
        return {
            s: 100 * self.weights[s] * (1 - math.exp(-raw.get(s, 0.0) / self.scales[s])) / total
            for s in SIGNALS
        }


def check_dismissal(member_id: str, other_id: str, *, connected: bool) -> None:
    """A member dismisses suggestions of others they are not connected to."""
    if member_id == other_id:
        raise Conflict("a member cannot dismiss themselves", field="other_id")
    if connected:
        raise Conflict(
            "these members are connected: there is no suggestion to dismiss", field="other_id"
        )


# --- text --------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*")
STOPWORDS = frozenset(
    re.split(
        r"\s+",
        """a about after all also am an and any are as at be become becoming been before being
    better between both but by can could do does doing during each find for from further get
    getting go going grow had has have having he her here his how i if in into is it its just
    like me more most move moving my myself new no nor not of off on once only or other our
    out over own same she should so some such than that the their them then there these they
    this those through to too under until up very want was we were what when where which while
    who why will with within would you your""",
    )
)


def stem(word: str) -> str:
    """A light stemmer: 'engineering' and 'engineers' both become 'engineer'."""
    if len(word) > 6 and word.endswith("ing"):
        word = word[:-3]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The searchable terms of a text, in order, with repeats."""
    return [stem(w) for w in _WORD.findall(text.casefold()) if w not in STOPWORDS]


@lru_cache(maxsize=65536)
def term_set(text: str) -> frozenset[str]:
    """The distinct terms of a text (cached: reasons ask for the same skills again and
    again)."""
    return frozenset(terms(text))


# --- what the index holds ------------------------------------------------------------------


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


# --- the index -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reversed:
    """A member id that sorts backwards, so that a min-heap of (value, id) drops the largest
    id first among equal values (ties go to the smaller id)."""

    id: str

    def __lt__(self, other: _Reversed) -> bool:
        return self.id > other.id


class SuggestionIndex:
    """Profiles (as BM25 documents), connections, group memberships and event participation,
    kept in memory so that a member's suggestions take milliseconds.

    Member ids and terms are interned: the same id read from different rows is then one
    object, and the many dictionary lookups of a query compare identities, not strings."""

    def __init__(self) -> None:
        self.profiles: dict[str, Profile] = {}
        self._document: dict[str, dict[str, int]] = {}  # member -> term -> frequency
        self._length: dict[str, int] = {}  # member -> terms in their document
        self._saturation_cache: dict[str, dict[str, float]] = {}  # term -> member -> value
        self._saturation_key: tuple[float, float] | None = None
        self._postings: dict[str, dict[str, int]] = defaultdict(dict)  # term -> member -> tf
        self._total_length = 0
        self._connections: dict[str, set[str]] = defaultdict(set)
        self._group_members: dict[str, set[str]] = defaultdict(set)
        self._groups_of: dict[str, set[str]] = defaultdict(set)
        self._group_names: dict[str, str] = {}
        self._participants: dict[str, dict[str, str]] = defaultdict(dict)  # event -> member
        self._events_of: dict[str, set[str]] = defaultdict(set)
        self._gatherings: dict[str, Gathering] = {}

    # --- changes ---

    def put_profile(self, profile: Profile) -> None:
        profile = replace(profile, member_id=intern(profile.member_id))
        self._drop_document(profile.member_id)
        self.profiles[profile.member_id] = profile
        document: dict[str, int] = defaultdict(int)
        for term in map(intern, profile.document()):
            document[term] += 1
        self._document[profile.member_id] = dict(document)
        self._length[profile.member_id] = sum(document.values())
        self._saturation_cache.clear()
        self._total_length += self._length[profile.member_id]
        for term, frequency in document.items():
            self._postings[term][profile.member_id] = frequency

    def remove_member(self, member_id: str) -> None:
        """An erased member: gone from every structure."""
        self._drop_document(member_id)
        self.profiles.pop(member_id, None)
        for other in self._connections.pop(member_id, set()):
            self._connections[other].discard(member_id)
        for group in self._groups_of.pop(member_id, set()):
            self._group_members[group].discard(member_id)
        for event in self._events_of.pop(member_id, set()):
            self._participants[event].pop(member_id, None)

    def _drop_document(self, member_id: str) -> None:
        self._saturation_cache.clear()
        self._length.pop(member_id, None)
        for term, frequency in self._document.pop(member_id, {}).items():
            self._total_length -= frequency
            postings = self._postings[term]
            postings.pop(member_id, None)
            if not postings:
                del self._postings[term]

    def set_connected(self, a: str, b: str, connected: bool) -> None:
        a, b = intern(a), intern(b)
        if connected:
            self._connections[a].add(b)
            self._connections[b].add(a)
        else:
            self._connections[a].discard(b)
            self._connections[b].discard(a)

    def set_group_member(self, group_id: str, member_id: str, member: bool) -> None:
        member_id = intern(member_id)
        if member:
            self._group_members[group_id].add(member_id)
            self._groups_of[member_id].add(group_id)
        else:
            self._group_members[group_id].discard(member_id)
            self._groups_of[member_id].discard(group_id)

    def name_group(self, group_id: str, name: str | None) -> None:
        if name is None:
            self._group_names.pop(group_id, None)
        else:
            self._group_names[group_id] = name

    def set_participation(self, event_id: str, member_id: str, status: str | None) -> None:
        """`status`: going, attended, or None (not taking part)."""
        member_id = intern(member_id)
        if status is None:
            self._participants[event_id].pop(member_id, None)
            self._events_of[member_id].discard(event_id)
        else:
            self._participants[event_id][member_id] = status
            self._events_of[member_id].add(event_id)

    def describe_gathering(self, event_id: str, gathering: Gathering | None) -> None:
        if gathering is None:
            self._gatherings.pop(event_id, None)
        else:
            self._gatherings[event_id] = gathering

    def connections_of(self, member_id: str) -> set[str]:
        return set(self._connections.get(member_id, ()))

    def sizes(self) -> dict[str, int]:
        return {
            "members": len(self.profiles),
            "connections": sum(len(c) for c in self._connections.values()) // 2,
            "groups": sum(1 for members in self._group_members.values() if members),
            "events": sum(1 for e in self._gatherings.values() if not e.cancelled),
            "terms": len(self._postings),
        }

    # --- signals ---

    def _idf(self, term: str) -> float:
        documents = len(self._document)
        frequency = len(self._postings.get(term, ()))
        return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))

    def _query(self, profile: Profile) -> set[str]:
        return {t for text in (*profile.goals, *profile.keywords) for t in term_set(text)}

    def fit(self, profile: Profile, rules: SuggestionRules) -> dict[str, float]:
        """BM25 of the member's goals and keywords against every other profile."""
        if not self._document:
            return {}
        scores: dict[str, float] = defaultdict(float)
        for term in self._query(profile):
            if term not in self._postings:
                continue
            weight = self._idf(term) * (rules.bm25_k1 + 1)
            for member, saturation in self._saturations(term, rules).items():
                scores[member] += weight * saturation
        return scores

    def _saturations(self, term: str, rules: SuggestionRules) -> dict[str, float]:
        """tf / (tf + k1 * (1 - b + b * length / average length)) for each document holding
        the term: the BM25 of a term without its idf. Kept until a document changes (the
        average length moves with every one)."""
        key = (rules.bm25_k1, rules.bm25_b)
        if self._saturation_key != key:
            self._saturation_cache.clear()
            self._saturation_key = key
        cached = self._saturation_cache.get(term)
        if cached is None:
            k1, b = key
            average = self._total_length / len(self._document) or 1.0
            lengths = self._length
            cached = {
                member: tf / (tf + k1 * (1 - b + b * lengths[member] / average))
                for member, tf in self._postings[term].items()
            }
            self._saturation_cache[term] = cached
        return cached

    def mutual(self, member_id: str) -> dict[str, float]:
        """Adamic-Adar over mutual connections."""
        scores: dict[str, float] = defaultdict(float)
        for friend in self._connections.get(member_id, ()):
            theirs = self._connections[friend]
            if len(theirs) < 2:
                continue
            weight = 1 / math.log(len(theirs))
            for candidate in theirs:
                scores[candidate] += weight
        return scores

    def shared_groups(self, member_id: str) -> dict[str, float]:
        scores: dict[str, float] = defaultdict(float)
        for group in self._groups_of.get(member_id, ()):
            members = self._group_members[group]
            if len(members) < 2:
                continue
            weight = 1 / math.log(len(members))
            for candidate in members:
                scores[candidate] += weight
        return scores

    def _live_events_of(self, member_id: str) -> list[str]:
        return [
            e
            for e in self._events_of.get(member_id, ())
            if e in self._gatherings and not self._gatherings[e].cancelled
        ]

    def shared_events(self, member_id: str) -> dict[str, float]:
        scores: dict[str, float] = defaultdict(float)
        for event in self._live_events_of(member_id):
            participants = self._participants[event]
            if len(participants) < 2:
                continue
            weight = 1 / math.log(len(participants))
            for candidate in participants:
                scores[candidate] += weight
        return scores

    # --- ranking ---

    def suggest(
        self,
        member_id: str,
        *,
        excluded: Iterable[str],
        limit: int,
        rules: SuggestionRules,
        now: datetime,
    ) -> list[Suggestion]:
        """The member's best `limit` candidates, best first, each with its reasons."""
        me = self.profiles[member_id]
        raw = {
            FIT: self.fit(me, rules),
            MUTUAL: self.mutual(member_id),
            GROUPS: self.shared_groups(member_id),
            EVENTS: self.shared_events(member_id),
        }
        skip = set(excluded) | {member_id}
        return [
            self._explain(
                me,
                self.profiles[candidate],
                {s: raw[s].get(candidate, 0.0) for s in SIGNALS},
                rules,
                now,
            )
            for candidate in self._best(raw, skip, limit, rules)
        ]

    def _best(
        self,
        raw: dict[str, dict[str, float]],
        skip: set[str],
        limit: int,
        rules: SuggestionRules,
    ) -> list[str]:
        """The `limit` candidates of highest score (ties: the smaller id first)."""
        weights = sum(rules.weights.values())
        gain = {s: 100 * rules.weights[s] / weights for s in SIGNALS}
        # candidates met through the network (mutual connections, groups, events): every
        # signal counts; one pass per signal over them
        network = raw[MUTUAL].keys() | raw[GROUPS].keys() | raw[EVENTS].keys()
        scores: dict[str, float] = dict.fromkeys(network - skip, 0.0)
        for signal in SIGNALS:
            values, scale, signal_gain = raw[signal], rules.scales[signal], gain[signal]
            for candidate in scores:
                value = values.get(candidate)
                if value:
                    scores[candidate] += signal_gain * (1 - math.exp(-value / scale))
        scored = [(score, c) for c, score in scores.items() if c in self.profiles]
        # the others have the fit only, so their order is the fit's: only the best `limit` of
        # them can make it (a bounded min-heap; no score for the rest)
        fit_only: list[tuple[float, _Reversed]] = []
        for candidate, value in raw[FIT].items():
            if candidate in network or candidate in skip:
                continue
            entry = (value, _Reversed(candidate))
            if len(fit_only) < limit:
                heapq.heappush(fit_only, entry)
            elif fit_only[0] < entry:
                heapq.heapreplace(fit_only, entry)
        fit_scale = rules.scales[FIT]
        scored += [
            (gain[FIT] * (1 - math.exp(-value / fit_scale)), ref.id) for value, ref in fit_only
        ]
        best = heapq.nsmallest(limit, ((-score, c) for score, c in scored if score > 0))
        return [candidate for _, candidate in best]

    # --- reasons ---

    def _explain(
        self,
        me: Profile,
        them: Profile,
        raw: dict[str, float],
        rules: SuggestionRules,
        now: datetime,
    ) -> Suggestion:
        points = rules.points(raw)
        explain = {
            FIT: self._fit_reason,
            MUTUAL: self._mutual_reason,
            GROUPS: self._groups_reason,
            EVENTS: self._events_reason,
        }
        reasons = [explain[s](me, them, points[s], rules, now) for s in SIGNALS if raw[s] > 0]
        reasons.sort(key=lambda r: -r.points)
        return Suggestion(them, sum(points.values()), reasons)

    def _names(self, ids: Iterable[str]) -> list[str]:
        return [self.profiles[i].name or self.profiles[i].handle for i in ids if i in self.profiles]

    @staticmethod
    def _listed(names: list[str], count: int, shown: int) -> str:
        text = ", ".join(names[:shown])
        return f"{text} and {count - shown} more" if count > shown else text

    def _fit_reason(self, me, them, points, rules, now) -> Reason:
        theirs = set(self._document.get(them.member_id, {}))
        best_goal, best_terms, best_weight = None, set(), 0.0
        for goal in me.goals:
            matched = term_set(goal) & theirs
            weight = sum(self._idf(t) for t in matched)
            if weight > best_weight:
                best_goal, best_terms, best_weight = goal, matched, weight
        keyword_terms = {t for k in me.keywords for t in term_set(k)} & theirs
        matched_terms = best_terms or keyword_terms
        where, examples = [], []
        for field, items in them.fields().items():
            hits = [item for item in items if term_set(item) & matched_terms]
            if hits:
                where.append(field)
                examples += [h for h in hits if h not in examples]
        fields = " and ".join(where[:2]) if len(where) <= 2 else ", ".join(where)
        shown = ", ".join(examples[: rules.reason_names])
        if best_goal is not None:
            text = f"their {fields} match your goal '{best_goal}': {shown}"
        else:
            text = f"their {fields} match your keywords: {shown}"
        return Reason(
            FIT,
            text,
            points,
            {"goal": best_goal, "matched": examples[: rules.reason_names]},
        )

    def _mutual_reason(self, me, them, points, rules, now) -> Reason:
        mutual = self._connections.get(me.member_id, set()) & self._connections.get(
            them.member_id, set()
        )
        ordered = sorted(mutual, key=lambda f: (len(self._connections[f]), f))
        names = self._names(ordered)
        noun = "mutual connection" if len(mutual) == 1 else "mutual connections"
        shown = self._listed(names, len(mutual), rules.reason_names)
        return Reason(
            MUTUAL,
            f"{len(mutual)} {noun}: {shown}",
            points,
            {"count": len(mutual), "names": names[: rules.reason_names]},
        )

    def _groups_reason(self, me, them, points, rules, now) -> Reason:
        shared = self._groups_of.get(me.member_id, set()) & self._groups_of.get(
            them.member_id, set()
        )
        ordered = sorted(shared, key=lambda g: (len(self._group_members[g]), g))
        names = [self._group_names.get(g, "a group") for g in ordered]
        if len(shared) == 1:
            text = f"both in the group {names[0]}"
        else:
            listed = self._listed(names, len(shared), rules.reason_names)
            text = f"{len(shared)} shared groups: {listed}"
        return Reason(
            GROUPS, text, points, {"count": len(shared), "names": names[: rules.reason_names]}
        )

    def _events_reason(self, me, them, points, rules, now) -> Reason:
        mine = set(self._live_events_of(me.member_id))
        shared = [e for e in self._live_events_of(them.member_id) if e in mine]
        shared.sort(key=lambda e: (len(self._participants[e]), e))
        phrases = []
        for event in shared:
            gathering = self._gatherings[event]
            both = {
                self._participants[event][me.member_id],
                self._participants[event][them.member_id],
            }
            if both == {ATTENDED}:
                phrases.append(f"both attended {gathering.title}")
            elif gathering.ends_at > now:
                phrases.append(f"both going to {gathering.title}")
            else:
                phrases.append(f"both signed up for {gathering.title}")
        if len(shared) == 1:
            text = phrases[0]
        else:
            listed = "; ".join(phrases[: rules.reason_names])
            more = len(shared) - rules.reason_names
            text = f"{len(shared)} shared events: {listed}" + (
                f" and {more} more" if more > 0 else ""
            )
        titles = [self._gatherings[e].title for e in shared]
        return Reason(
            EVENTS, text, points, {"count": len(shared), "names": titles[: rules.reason_names]}
        )
