"""Texts as searchable terms: words without stopwords, lightly stemmed."""

from __future__ import annotations

import re
from functools import lru_cache

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
