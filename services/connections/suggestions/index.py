"""The suggestion index: what it keeps, how it changes, each signal's raw values, and a
member's suggestions."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from sys import intern

from .model import Gathering, Profile, Suggestion
from .ranking import best_candidates
from .reasons import Reasons
from .rules import EVENTS, FIT, GROUPS, MUTUAL, SIGNALS, SuggestionRules
from .text import term_set


class SuggestionIndex(Reasons):
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

    # --- suggestions ---

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
            for candidate in best_candidates(raw, skip, limit, rules, known=self.profiles)
        ]
