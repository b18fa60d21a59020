"""Field rules say in the schema exactly what they accept: a client (or schemathesis) that
keeps to the document is never refused, and one that breaks it always is."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from pydantic import StringConstraints, TypeAdapter, ValidationError

from shared.contracts.api import profiles
from shared.contracts.fields import (
    Instant,
    QueryInstant,
    at_most,
    body_text,
    http_url,
    plain_text,
)

# Every character class that matters: controls, white space, marks, and ordinary letters.
PROBES = [chr(i) for i in range(0x00, 0x3100)] + ["\ufeff", "\U0001f600"]


def accepts(adapter: TypeAdapter, value) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def stripped_text(rule, *, min_length: int = 0, max_length: int = 20):
    return TypeAdapter(
        Annotated[
            str,
            StringConstraints(min_length=min_length, max_length=max_length, strip_whitespace=True),
            rule,
            at_most(max_length),
        ]
    )


@pytest.mark.parametrize(
    "adapter",
    [
        stripped_text(plain_text(stripped=True)),
        stripped_text(plain_text(stripped=True, filled=True), min_length=1),
        stripped_text(body_text(stripped=True)),
        stripped_text(body_text(stripped=True, filled=True), min_length=1),
        TypeAdapter(profiles.Name),
        TypeAdapter(profiles.Statement),
    ],
    ids=["plain", "filled-plain", "body", "filled-body", "profile-name", "profile-statement"],
)
def test_a_text_rule_accepts_exactly_what_its_pattern_matches(adapter: TypeAdapter):
    pattern = re.compile(adapter.json_schema()["pattern"])
    disagreements = [
        value
        for char in PROBES
        for value in (char, f"a{char}", f"{char}a", f" {char} ", f"a{char}b", "", "  ")
        if not value.endswith("\n")  # Python's `$` also matches before a final newline
        and accepts(adapter, value) != bool(pattern.search(value))
    ]
    assert disagreements == []


def test_a_length_limit_holds_on_the_text_as_sent():
    name = TypeAdapter(profiles.Name)
    assert accepts(name, "a" * 100)
    assert not accepts(name, "a" * 100 + " ")
    assert name.json_schema()["maxLength"] == 100


def test_a_url_at_the_documented_length_is_accepted_though_parsing_adds_a_slash():
    url = TypeAdapter(http_url(2048))
    longest = "https://" + "a" * 2036 + ".org"
    assert len(longest) == 2048
    assert str(url.validate_python(longest)).endswith(".org/")
    assert not accepts(url, longest + "x")
    assert not accepts(url, "ftp://example.org")
    assert url.json_schema()["maxLength"] == 2048


@pytest.mark.parametrize("value", ["0.5", 0.5, 1700000000, "1700000000", "2026-01-01"])
@pytest.mark.parametrize("kind", [Instant, QueryInstant], ids=["body", "query"])
def test_a_timestamp_is_a_date_time_string_never_a_unix_time(kind, value):
    assert not accepts(TypeAdapter(kind), value)


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00+14:00",
        "1000-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ],
)
@pytest.mark.parametrize("kind", [Instant, QueryInstant], ids=["body", "query"])
def test_a_timestamp_outside_1970_to_2100_is_refused(kind, value):
    assert not accepts(TypeAdapter(kind), value)


def test_an_offset_less_timestamp_is_utc_in_a_query_and_refused_in_a_body():
    assert TypeAdapter(QueryInstant).validate_python("2026-01-01T00:00:00").utcoffset().seconds == 0
    assert not accepts(TypeAdapter(Instant), "2026-01-01T00:00:00")
    assert accepts(TypeAdapter(Instant), "1970-01-01T00:00:00Z")
    assert accepts(TypeAdapter(Instant), "2099-12-31T23:59:59+14:00")
