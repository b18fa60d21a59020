"""Field types every contract shares: ids, text that cannot deceive, and time in range.

Time is validated at the edge, so nothing past it can overflow: every timestamp of a request
lies in [EARLIEST, LATEST), and an offset-less time in a query reads as UTC.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError, core_schema

MemberId = Annotated[str, StringConstraints(min_length=1, max_length=64)]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
TIME_RANGE = "between 1970-01-01 and 2100-01-01 (UTC)"
# The range in the schema, as far as a pattern can say it: a year from 1970 to 2099 (an offset
# may still carry a value just across an edge; the validator has the last word).
IN_RANGE_YEAR = {"pattern": "^(19[7-9][0-9]|20[0-9][0-9])-"}

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


class _TextRule:
    """A validator that also states its rule as the JSON schema's `pattern`, so that clients
    (and schemathesis) know which text is refused before sending it."""

    def __init__(self, check, pattern: str) -> None:
        self.check, self.pattern = check, pattern

    def __get_pydantic_core_schema__(self, source, handler):
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema, handler):
        document = handler(schema)
        document["pattern"] = self.pattern
        return document


# The characters `_plain` and `_body` refuse (Cc is U+0000-U+001F and U+007F-U+009F), and the
# Unicode White_Space that `strip_whitespace` removes before they look.
_NOT_PLAIN = (
    "\\u0000-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u202a-\\u202e"
    "\\u2060-\\u2064\\u2066-\\u2069\\u061c\\ufeff\\u180e"
)
_NOT_BODY = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f"
_SPACE = (
    "\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)


def _pattern(refused: str, *, stripped: bool, filled: bool) -> str:
    """Exactly the text the rule accepts. Stripped: white space around it (removed before
    the check), then text that starts and ends with something visible; filled: not blank."""
    if not stripped:
        return f"^[^{refused}]*$"
    visible = f"[^{refused}{_SPACE}](?:[^{refused}]*[^{refused}{_SPACE}])?"
    return f"^[{_SPACE}]*{visible if filled else f'(?:{visible})?'}[{_SPACE}]*$"


def plain_text(*, stripped: bool = False, filled: bool = False) -> _TextRule:
    """A one-line label (name, handle, team, title). `stripped` and `filled` say that the
    field also has strip_whitespace and min_length=1, so that the schema states exactly what
    is accepted."""
    return _TextRule(_plain, _pattern(_NOT_PLAIN, stripped=stripped, filled=filled))


def body_text(*, stripped: bool = False, filled: bool = False) -> _TextRule:
    """Free text (a post, a message, an about): as `plain_text`, for bodies."""
    return _TextRule(_body, _pattern(_NOT_BODY, stripped=stripped, filled=filled))


PlainText = plain_text()
BodyText = body_text()


def at_most(max_length: int) -> BeforeValidator:
    """The limit on text as sent, as the schema's maxLength states it. Put last in Annotated,
    it holds before `strip_whitespace` and URL parsing, which change the length afterwards."""

    def check(value: object) -> object:
        if isinstance(value, str) and len(value) > max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": max_length},
            )
        return value

    return BeforeValidator(check)


def http_url(max_length: int):
    """An http(s) URL of at most `max_length` characters as sent: the parsed URL may be
    longer ("https://a.org" gains a "/"), and a client that keeps to the documented length
    must never be refused for that."""
    return Annotated[
        AnyHttpUrl,
        at_most(max_length),
        Field(json_schema_extra={"maxLength": max_length, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"}),
    ]


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be {TIME_RANGE}")
    return value


_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_time_text(value: object) -> object:
    """A timestamp is a date-time string, as the schema says: pydantic alone would also read a
    number or a numeric string as Unix time ("0.5" is 1970-01-01T00:00:00.5Z)."""
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_TIME.match(value)):
        return value
    raise PydanticCustomError(
        "datetime_type", "must be a date-time such as 2026-05-01T09:30:00Z (RFC 3339)"
    )


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
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_date_time_text),
    AfterValidator(_in_range),
    Field(json_schema_extra=IN_RANGE_YEAR),
]
# A point in time in a query (`at`): an offset-less value is UTC.
QueryInstant = Annotated[
    AwareDatetime,
    BeforeValidator(_utc_if_naive),
    BeforeValidator(_date_time_text),
    AfterValidator(_in_range),
    Field(json_schema_extra=IN_RANGE_YEAR),
]
