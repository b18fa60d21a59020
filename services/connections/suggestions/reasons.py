"""Why a candidate is suggested: one reason per signal that counts, in words, with its points."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .model import ATTENDED, Profile, Reason, Suggestion
from .rules import EVENTS, FIT, GROUPS, MUTUAL, SIGNALS, SuggestionRules
from .text import term_set


class Reasons:
    """The reasons of a suggestion, read from the index's structures: a part of
    `SuggestionIndex`, kept in its own module because it is a job of its own."""

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
