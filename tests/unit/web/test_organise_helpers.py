"""The event form's rules: local times in the event's time zone, what an edit changes."""

from __future__ import annotations

import pytest

from services.web.api import ApiError
from services.web.pages import organise

FORM = {
    "title": " Data meetup ",
    "kind": "meetup",
    "format": "in_person",
    "timezone": "Europe/Paris",
    "venue": "Room 4",
    "starts_at": "2026-12-10T18:00",
    "ends_at": "2026-12-10T19:30",
}
EVENT = {
    "event_id": "e-1",
    "title": "Data meetup",
    "kind": "meetup",
    "format": "in_person",
    "timezone": "Europe/Paris",
    "venue": "Room 4",
    "starts_at": "2026-12-10T17:00:00+00:00",
    "ends_at": "2026-12-10T18:30:00+00:00",
}


def test_the_forms_local_times_are_instants_in_its_time_zone():
    fields = organise.event_fields(FORM)
    assert fields["title"] == "Data meetup"
    assert fields["starts_at"] == "2026-12-10T18:00:00+01:00"
    assert fields["ends_at"] == "2026-12-10T19:30:00+01:00"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"ends_at": ""}, "ends_at"),
    ],
)
def test_an_unreadable_time_or_zone_is_refused_naming_its_field(change, field):
    with pytest.raises(ApiError) as refused:
        organise.event_fields(FORM | change)
    assert refused.value.field(field)


def test_an_event_fills_its_form_in_its_own_time_zone():
    assert organise.form_of(EVENT) == {name: FORM[name].strip() for name in FORM}


def test_an_edit_sends_only_what_changed():
    assert organise.changed(organise.event_fields(FORM), EVENT) == {}
    moved = organise.event_fields(FORM | {"venue": "Room 5", "ends_at": "2026-12-10T20:00"})
    assert organise.changed(moved, EVENT) == {
        "venue": "Room 5",
        "ends_at": "2026-12-10T20:00:00+01:00",
    }
