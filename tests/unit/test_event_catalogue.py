"""docs/events.md is checked against the contracts: every event type, field, stream, consumer.

Every `### ` heading of the catalogue names an event type; its section holds one table headed
`| field | type | description |` that lists exactly the fields of the type's model.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.contracts.events import EVENT_TYPES
from shared.contracts.streams import CONSUMERS, STREAMS, stream_for_domain
from shared.contracts.subjects import event_subject

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "events.md"
FIELD_TABLE_HEADER = ("field", "type", "description")


def _cells(line: str) -> tuple[str, ...]:
    """The cells of a markdown table row (`\\|` is a literal bar inside a cell)."""
    inner = line.strip().removeprefix("|").removesuffix("|")
    return tuple(cell.strip() for cell in re.split(r"(?<!\\)\|", inner))


def _tables(text: str) -> list[list[tuple[str, ...]]]:
    """Every table in `text` as rows of cells, header first, separator row dropped."""
    tables: list[list[tuple[str, ...]]] = []
    current: list[tuple[str, ...]] = []
    for line in [*text.splitlines(), ""]:
        if line.strip().startswith("|"):
            cells = _cells(line)
            if not all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _sections(text: str, level: str) -> dict[str, str]:
    """Heading text -> body, for headings of exactly `level` (e.g. '###')."""
    sections: dict[str, str] = {}
    parts = re.split(rf"^{level} +(.+?) *$", text, flags=re.MULTILINE)
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        heading = heading.strip("` ")
        assert heading not in sections, f"two sections are headed {heading!r}"
        sections[heading] = re.split(rf"^#{{1,{len(level)}}} ", body, flags=re.MULTILINE)[0]
    return sections


@pytest.fixture(scope="module")
def text() -> str:
    assert CATALOGUE.is_file(), "docs/events.md is missing"
    return CATALOGUE.read_text()


@pytest.fixture(scope="module")
def sections(text: str) -> dict[str, str]:
    return _sections(text, "###")


def _field_table(section: str) -> list[str]:
    tables = [t for t in _tables(section) if tuple(c.lower() for c in t[0]) == FIELD_TABLE_HEADER]
    assert len(tables) == 1, "expected one `| field | type | description |` table"
    return [row[0].strip("` ") for row in tables[0][1:]]


def test_every_event_type_has_a_section(sections: dict[str, str]) -> None:
    missing = sorted(set(EVENT_TYPES) - set(sections))
    assert not missing, f"event types without a section in docs/events.md: {missing}"


def test_every_section_names_an_event_type(sections: dict[str, str]) -> None:
    unknown = sorted(set(sections) - set(EVENT_TYPES))
    assert not unknown, f"sections for event types that do not exist: {unknown}"


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_field_table_lists_exactly_the_model_fields(
    event_type: str, sections: dict[str, str]
) -> None:
    if event_type not in sections:
        pytest.fail(f"no section for {event_type}")
    documented = _field_table(sections[event_type])
    assert len(documented) == len(set(documented)), f"{event_type}: a field is listed twice"
    model_fields = set(EVENT_TYPES[event_type].model_fields)
    assert set(documented) == model_fields, (
        f"{event_type}: missing {sorted(model_fields - set(documented))}, "
        f"not in the model {sorted(set(documented) - model_fields)}"
    )


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_section_names_subject_stream_and_consumers(
    event_type: str, sections: dict[str, str]
) -> None:
    if event_type not in sections:
        pytest.fail(f"no section for {event_type}")
    section = sections[event_type]
    model = EVENT_TYPES[event_type]
    assert event_subject(model) in section, f"{event_type}: subject not named"
    assert stream_for_domain(model.domain) in section, f"{event_type}: stream not named"
    for consumer in CONSUMERS:
        if event_type in consumer.event_types:
            assert consumer.durable in section, f"{event_type}: consumer {consumer.durable}"


def test_every_stream_is_documented(text: str) -> None:
    missing = [s.name for s in STREAMS if not re.search(rf"`{s.name}`", text)]
    assert not missing, f"streams missing from docs/events.md: {missing}"


def test_every_consumer_is_documented(text: str) -> None:
    missing = [c.durable for c in CONSUMERS if f"`{c.durable}`" not in text]
    assert not missing, f"durable consumers missing from docs/events.md: {missing}"


def test_the_check_itself_reads_tables() -> None:
    section = "text\n\n| field | type | description |\n|---|---|---|\n| `a` | x \\| y | d |\n"
    assert _field_table(section) == ["a"]
    assert _sections("## x\n### a.b\nbody\n## y\nrest", "###") == {"a.b": "\nbody\n"}
