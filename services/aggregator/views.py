"""What the aggregator answers, computed from sums at a time `at`. Pure Python.

Queries are split in two: a *partial* view that one partition computes from the pairs and
members it owns, and a *combine* step that merges the partitions' partials (with one
partition, the partial is the whole).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from shared.errors import DomainError

from .domain import Ties, TrustWeights
from .model import (
    BALANCED,
    FADING,
    INACTIVE,
    OFFLINE_HEAVY,
    ONLINE_HEAVY,
    STATUS_ORDER,
    STEADY,
    THRIVING,
    HealthModel,
    PairSums,
    at_risk,
    components,
    explanation,
    status_drops_at,
)
from .store import week_of

STATUSES = (THRIVING, STEADY, FADING, "dormant")
BALANCE_STATUSES = (ONLINE_HEAVY, BALANCED, OFFLINE_HEAVY, INACTIVE)
TREND_WEEKS = 8


class BadCursor(DomainError):
    status, code, title = 400, "bad-cursor", "Bad cursor"


def steady_or_better(status: str) -> bool:
    return STATUS_ORDER.index(status) >= STATUS_ORDER.index(STEADY)


def pair_view(
    member: str,
    other: str,
    sums: PairSums,
    ties: Ties,
    at: datetime,
    model: HealthModel,
    weights: TrustWeights,
) -> dict:
    """The relationship of `member` with `other` at `at`, from `member`'s side."""
    trust = ties.trust(weights)
    c = components(sums, trust, at, model)
    status = model.status(c.health)
    mine, theirs = (c.i_ab, c.i_ba) if member == sums.a else (c.i_ba, c.i_ab)
    drops = status_drops_at(sums, c, at, model)
    was = None
    if sums.last is not None:
        was = model.status(components(sums, trust, sums.last, model).health)
    return {
        "member_id": other,
        "health": c.health,
        "status": status,
        "components": {
            "intensity": c.intensity,
            "reciprocity": c.reciprocity,
            "trust": c.trust,
            "diversity": c.diversity,
        },
        "sums": {
            "from_member": mine,
            "to_member": theirs,
            "online": c.i_online,
            "offline": c.i_offline,
            "total": c.total,
        },
        "connected": ties.connected,
        "following": ties.following,
        "followed_by": ties.followed_by,
        "interaction_count": sums.count,
        "first_interaction": sums.first.isoformat() if sums.first else None,
        "last_interaction": sums.last.isoformat() if sums.last else None,
        "status_at_last_interaction": was,
        "at_risk": at_risk(sums, at, model),
        "status_drops_at": drops.isoformat() if drops else None,
        "explanation": explanation(sums, at, model),
    }


# --- relationships -----------------------------------------------------------------------


def encode_cursor(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> int:
    """The offset a cursor stands for; refuses cursors this query did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = data["o"]
        if not isinstance(offset, int) or offset < 0 or data["f"] != fingerprint:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise BadCursor("this cursor was not issued for this query", field="cursor") from None
    return offset


def page_of_relationships(
    views: list[dict], *, status: str | None, limit: int, cursor: str | None, fingerprint: str
) -> dict:
    """Healthiest first; `status` filters; the cursor continues a previous page."""
    chosen = [v for v in views if status is None or v["status"] == status]
    chosen.sort(key=lambda v: (-v["health"], v["member_id"]))
    offset = decode_cursor(cursor, fingerprint) if cursor else 0
    page = chosen[offset : offset + limit]
    more = offset + limit < len(chosen)
    return {
        "items": page,
        "total": len(chosen),
        "next_cursor": encode_cursor(offset + limit, fingerprint) if more else None,
    }


# --- balance -----------------------------------------------------------------------------


def weeks_back(at: datetime, count: int = TREND_WEEKS) -> list[str]:
    """The ISO Mondays of the last `count` weeks, oldest first, the week of `at` last."""
    return [week_of(at - timedelta(weeks=n)) for n in range(count - 1, -1, -1)]


def share(online: float, offline: float) -> float | None:
    total = online + offline
    return offline / total if total > 0 else None


def balance_view(
    online_stored: float,
    offline_stored: float,
    weeks: dict[str, tuple[float, float]],
    at: datetime,
    model: HealthModel,
) -> dict:
    online = model.decayed(online_stored, at)
    offline = model.decayed(offline_stored, at)
    return {
        "online": online,
        "offline": offline,
        "offline_share": share(online, offline),
        "status": model.balance_status(online, offline),
        "weeks": [
            {
                "week": w,
                "online": weeks.get(w, (0.0, 0.0))[0],
                "offline": weeks.get(w, (0.0, 0.0))[1],
                "offline_share": share(*weeks.get(w, (0.0, 0.0))),
            }
            for w in weeks_back(at)
        ],
    }


def add_weeks(parts: Iterable[dict[str, list[float]]]) -> dict[str, tuple[float, float]]:
    total: dict[str, list[float]] = {}
    for part in parts:
        for week, (online, offline) in part.items():
            acc = total.setdefault(week, [0.0, 0.0])
            acc[0] += online
            acc[1] += offline
    return {w: (v[0], v[1]) for w, v in total.items()}


# --- nudges ------------------------------------------------------------------------------


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86_400


def reconnect_nudges(views: list[dict], handles: dict[str, str], at: datetime) -> list[dict]:
    """At-risk pairs that were steady or better at their last interaction."""
    nudges = []
    for v in views:
        was = v["status_at_last_interaction"]
        if not (v["at_risk"] and was and steady_or_better(was)):
            continue
        last = datetime.fromisoformat(v["last_interaction"])
        first = datetime.fromisoformat(v["first_interaction"])
        gap = _days(last - first) / max(1, v["interaction_count"] - 1)
        who = handles.get(v["member_id"], v["member_id"])
        nudges.append(
            {
                "kind": "reconnect",
                "member_id": v["member_id"],
                "reason": (
                    f"You and {who} were {was} when you last interacted "
                    f"{_days(at - last):.0f} days ago; you usually interact every {gap:.1f} "
                    f"days. Health is {v['health']:.0f} ({v['status']}) now."
                ),
                "numbers": {
                    "days_since_last": _days(at - last),
                    "mean_gap_days": gap,
                    "health": v["health"],
                    "status_at_last_interaction": was,
                },
            }
        )
    return sorted(nudges, key=lambda n: -n["numbers"]["days_since_last"])


def reciprocate_nudges(
    views: list[dict], handles: dict[str, str], ratio: float, minimum: float
) -> list[dict]:
    """The other invests and the member does not: I_ba >= ratio I_ab and I_ba >= minimum."""
    nudges = []
    for v in views:
        mine, theirs = v["sums"]["from_member"], v["sums"]["to_member"]
        if theirs >= minimum and theirs >= ratio * mine:
            who = handles.get(v["member_id"], v["member_id"])
            nudges.append(
                {
                    "kind": "reciprocate",
                    "member_id": v["member_id"],
                    "reason": (
                        f"{who} has put {theirs:.1f} into your relationship recently and you "
                        f"{mine:.1f}: a comment, a message or a meeting would return it."
                    ),
                    "numbers": {"from_member": mine, "to_member": theirs},
                }
            )
    return sorted(nudges, key=lambda n: -n["numbers"]["to_member"])


def go_offline_nudges(
    balance: dict,
    views: list[dict],
    events: list,
    going: dict[str, set[str]],
    limit: int = 5,
) -> list[dict]:
    """For online-heavy members: upcoming in-person events ranked by how many of their
    steady-or-better relationships are going."""
    if balance["status"] != ONLINE_HEAVY:
        return []
    close = {v["member_id"] for v in views if steady_or_better(v["status"])}
    ranked = sorted(
        ((len(close & going.get(e.id, set())), e) for e in events),
        key=lambda item: (-item[0], item[1].starts_at, item[1].id),
    )[:limit]
    share_text = (
        f"{balance['offline_share']:.0%}" if balance["offline_share"] is not None else "none"
    )
    return [
        {
            "kind": "go_offline",
            "event_id": e.id,
            "reason": (
                f"Only {share_text} of your networking is in person. {e.title} on "
                f"{e.starts_at.date().isoformat()}: {count} of your steady or thriving "
                f"relationships {'is' if count == 1 else 'are'} going."
            ),
            "numbers": {
                "offline_share": balance["offline_share"],
                "close_going": count,
                "starts_at": e.starts_at.isoformat(),
            },
        }
        for count, e in ranked
    ]


# --- insights ----------------------------------------------------------------------------


def insights_partial(
    pairs: list[tuple[PairSums, Ties]],
    member_sums: dict[str, tuple[float, float]],
    weeks: dict[str, tuple[float, float]],
    members: set[str] | None,
    at: datetime,
    model: HealthModel,
    weights: TrustWeights,
) -> dict:
    """One partition's share of the insights, for all members or for `members` (a team).

    A pair counts for a team when either member is in it."""
    by_status = dict.fromkeys(STATUSES, 0)
    steady_members: set[str] = set()
    for sums, ties in pairs:
        if members is not None and sums.a not in members and sums.b not in members:
            continue
        if ties.blocked:
            continue
        status = model.status(components(sums, ties.trust(weights), at, model).health)
        by_status[status] += 1
        if steady_or_better(status):
            steady_members.update((sums.a, sums.b))
    return {
        "pairs_by_status": by_status,
        "member_sums": {
            m: list(v) for m, v in member_sums.items() if members is None or m in members
        },
        "steady_members": sorted(steady_members),
        "weeks": {w: list(v) for w, v in weeks.items()},
    }


def combine_insights(
    partials: list[dict], members: set[str], at: datetime, model: HealthModel
) -> dict:
    by_status = dict.fromkeys(STATUSES, 0)
    sums: dict[str, list[float]] = {}
    steady: set[str] = set()
    for part in partials:
        for status, n in part["pairs_by_status"].items():
            by_status[status] += n
        for member, (online, offline) in part["member_sums"].items():
            acc = sums.setdefault(member, [0.0, 0.0])
            acc[0] += online
            acc[1] += offline
        steady.update(part["steady_members"])
    by_balance = dict.fromkeys(BALANCE_STATUSES, 0)
    for member in members:
        online, offline = sums.get(member, (0.0, 0.0))
        status = model.balance_status(model.decayed(online, at), model.decayed(offline, at))
        by_balance[status] += 1
    weeks = add_weeks(part["weeks"] for part in partials)
    return {
        "members": len(members),
        "pairs_by_status": by_status,
        "members_by_balance": by_balance,
        "isolated_members": len(members - steady),
        "weekly_trend": [
            {
                "week": w,
                "online": weeks.get(w, (0.0, 0.0))[0],
                "offline": weeks.get(w, (0.0, 0.0))[1],
                "offline_share": share(*weeks.get(w, (0.0, 0.0))),
            }
            for w in weeks_back(at)
        ],
    }
