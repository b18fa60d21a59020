"""Field types every contract shares: ids, text that cannot deceive, and time in range.

Time is validated at the edge, so nothing past it can overflow: every timestamp of a request
lies in [EARLIEST, LATEST), and an offset-less time in a query reads as UTC.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StringConstraints

MemberId = Annotated[str, StringConstraints(min_length=1, max_length=64)]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
TIME_RANGE = "between 1970-01-01 and 2100-01-01 (UTC)"

# Bidirectional overrides, embeddings and isolates, marks, and zero-width characters: they
# let a name read differently from what it is (U+202E turns "moc.elgoog" into "google.com").
_DECEPTIVE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff\u180e]")
# In bodies people write lines and paragraphs: tab, newline and carriage return stay.
_BODY_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain(value: str) -> str:
    """A one-line label (name, handle, team, title): no control or deceptive character."""
    for char in value:
        if unicodedata.category(char) == "Cc":
            raise ValueError(f"must not contain control characters (found U+{ord(char):04X})")
    found = _DECEPTIVE.search(value)
    if found:
        raise ValueError(
            "must not contain bidirectional or zero-width characters "
            f"(found U+{ord(found.group()):04X})"
        )
    return value


def _body(value: str) -> str:
    """Free text (a post, a message): no control character but tab and line breaks."""
    found = _BODY_CONTROLS.search(value)
    if found:
        raise ValueError(f"must not contain control characters (found U+{ord(found.group()):04X})")
    return value


PlainText = AfterValidator(_plain)
BodyText = AfterValidator(_body)


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be {TIME_RANGE}")
    return value


def _utc_if_naive(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value  # pydantic names the problem
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


# A point in time in a body: with its offset, within the range.
Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
# A point in time in a query (`at`): an offset-less value is UTC.
QueryInstant = Annotated[AwareDatetime, BeforeValidator(_utc_if_naive), AfterValidator(_in_range)]
