"""Which `@handle`s of a text name members. Pure Python."""

from __future__ import annotations

import re
from collections.abc import Iterable

_MENTION = re.compile(r"(?<![\w@.-])@([A-Za-z0-9][A-Za-z0-9_.-]{2,29})")
_TRAILING = "._-"


def mention_candidates(text: str) -> list[tuple[str, ...]]:
    """Each `@handle` in `text`, in order, once: the handle as written (lower-cased) and, when
    it ends in punctuation ("thanks @ana."), the handle without it."""
    seen: set[str] = set()
    found: list[tuple[str, ...]] = []
    for match in _MENTION.finditer(text):
        written = match.group(1).lower()
        stripped = written.rstrip(_TRAILING)
        variants = tuple(dict.fromkeys(v for v in (written, stripped) if len(v) >= 3))
        if variants and variants[0] not in seen:
            seen.add(variants[0])
            found.append(variants)
    return found


def resolve_mentions(
    candidates: Iterable[tuple[str, ...]],
    known: dict[str, str],
    *,
    author_id: str,
    hidden: set[str],
    limit: int,
) -> list[str]:
    """Member ids mentioned, in order, at most `limit`. An unknown handle, the author, and
    members blocked with the author stay text."""
    ids: list[str] = []
    for variants in candidates:
        member_id = next((known[v] for v in variants if v in known), None)
        if member_id is None or member_id == author_id or member_id in hidden:
            continue
        if member_id not in ids:
            ids.append(member_id)
        if len(ids) >= limit:
            break
    return ids
