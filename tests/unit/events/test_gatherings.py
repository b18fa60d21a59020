"""The events service's rules: events, RSVPs, check-ins, meetings, matching by email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.events.deliveries import Delivery, new_delivery_id
from services.events.domain import Attendance, Gathering, Participant, new_meeting
from shared.contracts.events import (
    AttendeeCheckedIn,
    EventCancelled,
    EventCreated,
    EventUpdated,
    MeetingLogged,
    RsvpChanged,
)
from shared.errors import Conflict, Invalid

NOW = datetime(2026, 5, 4, 18, 0, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)


def gathering(**fields) -> Gathering:
    defaults = dict(
        id="e1",
        title="PyCon",
        kind="conference",
        format="in_person",
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=8),
        timezone="Europe/Paris",
    )
    return Gathering(**(defaults | fields))


def meeting(participants: list[Participant], **fields):
    defaults = dict(
        meeting_id="m1",
        participants=participants,
        started_at=NOW - timedelta(days=30),
        ended_at=None,
        gathering=None,
        source="logged",
        now=NOW,
        tolerance=FIVE_MINUTES,
    )
    return new_meeting(**(defaults | fields))


def members(*ids: str) -> list[Participant]:
    return [Participant(member_id=i) for i in ids]


# --- events ---------------------------------------------------------------------------------


def test_a_created_event_publishes_its_details():
    (created,) = gathering().created()
    assert isinstance(created, EventCreated)
    assert created.timezone == "Europe/Paris" and created.format == "in_person"


@pytest.mark.parametrize("hours", [0, -1])
def test_an_event_ending_at_or_before_its_start_is_refused_naming_ends_at(hours: int):
    with pytest.raises(Invalid) as refused:
        gathering(ends_at=NOW + timedelta(hours=hours)).created()
    assert refused.value.field == "ends_at"


def test_an_unknown_time_zone_is_refused_naming_it():
    with pytest.raises(Invalid) as refused:
        gathering(timezone="Mars/Olympus_Mons").created()
    assert refused.value.field == "timezone"


def test_an_update_names_the_changed_fields_and_a_same_value_changes_nothing():
    event = gathering()
    (updated,) = event.change({"title": "PyCon EU", "format": "in_person"})
    assert isinstance(updated, EventUpdated) and updated.changed == ["title"]
    assert event.change({"title": "PyCon EU"}) == []


def test_a_venue_change_is_kept_but_publishes_nothing():
    event = gathering()
    assert event.change({"venue": "Hall B"}) == []
    assert event.venue == "Hall B"


def test_an_update_that_would_end_before_the_start_is_refused_and_changes_nothing():
    event = gathering()
    with pytest.raises(Invalid) as refused:
        event.change({"starts_at": NOW + timedelta(days=1)})
    assert refused.value.field == "ends_at"
    assert event.starts_at == NOW


def test_cancelling_publishes_once_and_refuses_later_updates():
    event = gathering()
    assert event.cancel(NOW) == [EventCancelled(event_id="e1")]
    assert event.cancel(NOW) == []
    with pytest.raises(Conflict):
        event.change({"title": "Back on"})


# --- RSVPs and check-ins --------------------------------------------------------------------


def test_an_rsvp_is_published_when_it_changes_with_the_previous_answer():
    event, attendance = gathering(), Attendance("e1", member_id="ana")
    assert attendance.answer(event, "maybe", NOW) == [
        RsvpChanged(event_id="e1", member_id="ana", status="maybe", previous_status=None)
    ]
    assert attendance.answer(event, "maybe", NOW + timedelta(minutes=1)) == []
    (changed,) = attendance.answer(event, "going", NOW + timedelta(minutes=2))
    assert (changed.status, changed.previous_status) == ("going", "maybe")


def test_an_older_answer_arriving_late_does_not_replace_a_newer_one():
    event, attendance = gathering(), Attendance("e1", member_id="ana")
    attendance.answer(event, "going", NOW)
    assert attendance.answer(event, "declined", NOW - timedelta(hours=1)) == []
    assert attendance.rsvp == "going"


@pytest.mark.parametrize(
    "act",
    [
        lambda a, e: a.answer(e, "going", NOW),
        lambda a, e: a.check_in(e, NOW, None),
    ],
    ids=["rsvp", "check-in"],
)
def test_rsvp_and_check_in_to_a_cancelled_event_are_refused(act):
    event, attendance = gathering(), Attendance("e1", member_id="ana")
    event.cancel(NOW)
    with pytest.raises(Conflict) as refused:
        act(attendance, event)
    assert refused.value.field == "event_id"
    assert attendance.rsvp is None and attendance.checked_in_at is None


@pytest.mark.parametrize(
    ("format", "requested", "attended"),
    [
        ("in_person", None, "in_person"),
        ("online", None, "online"),
        ("hybrid", None, "in_person"),
        ("hybrid", "online", "online"),
    ],
)
def test_a_check_in_attends_as_the_event_format_says(format, requested, attended):
    attendance = Attendance("e1", member_id="ana")
    (checked_in,) = attendance.check_in(gathering(format=format), NOW, requested)
    assert isinstance(checked_in, AttendeeCheckedIn)
    assert checked_in.attendance == attended


@pytest.mark.parametrize(
    ("format", "requested"), [("in_person", "online"), ("online", "in_person")]
)
def test_attending_against_the_event_format_is_refused_naming_attendance(format, requested):
    with pytest.raises(Invalid) as refused:
        Attendance("e1", member_id="ana").check_in(gathering(format=format), NOW, requested)
    assert refused.value.field == "attendance"


def test_one_check_in_per_member_and_event_changeable_keeping_the_first_time():
    event, attendance = gathering(format="hybrid"), Attendance("e1", member_id="ana")
    attendance.check_in(event, NOW, "online")
    assert attendance.check_in(event, NOW + timedelta(hours=1), "online") == []
    (changed,) = attendance.check_in(event, NOW + timedelta(hours=2), "in_person")
    assert changed.attendance == "in_person" and changed.checked_in_at == NOW


def test_an_attendee_known_by_email_publishes_nothing_until_matched_then_everything():
    event, pending = gathering(), Attendance("e1", email="ana@example.org")
    assert pending.answer(event, "going", NOW) == []
    assert pending.check_in(event, NOW + timedelta(hours=1), None) == []

    facts = Attendance("e1", member_id="ana").absorb(pending)

    assert [type(f) for f in facts] == [RsvpChanged, AttendeeCheckedIn]
    assert {f.member_id for f in facts} == {"ana"}
    assert facts[1].checked_in_at == NOW + timedelta(hours=1)


def test_absorbing_keeps_the_members_own_check_in_and_the_later_answer():
    event = gathering()
    member = Attendance("e1", member_id="ana")
    member.answer(event, "maybe", NOW)
    member.check_in(event, NOW, None)
    pending = Attendance("e1", email="ana@example.org")
    pending.answer(event, "going", NOW + timedelta(minutes=5))
    pending.check_in(event, NOW + timedelta(hours=1), None)

    facts = member.absorb(pending)

    assert facts == [
        RsvpChanged(event_id="e1", member_id="ana", status="going", previous_status="maybe")
    ]
    assert member.checked_in_at == NOW


# --- meetings -------------------------------------------------------------------------------


def test_a_meeting_of_members_from_last_month_is_logged_with_its_duration():
    logged = meeting(
        members("ana", "ben"), ended_at=NOW - timedelta(days=30) + timedelta(minutes=45)
    )
    (fact,) = logged.publishable()
    assert isinstance(fact, MeetingLogged)
    assert fact.participant_ids == ["ana", "ben"] and fact.duration_minutes == 45
    assert logged.publishable() == []  # once


@pytest.mark.parametrize("count", [0, 1, 13])
def test_a_meeting_needs_2_to_12_participants(count: int):
    with pytest.raises(Invalid) as refused:
        meeting(members(*(f"m{i}" for i in range(count))))
    assert refused.value.field == "participant_ids"


def test_twelve_participants_is_fine_and_one_listed_twice_is_not():
    assert len(meeting(members(*(f"m{i}" for i in range(12)))).participants) == 12
    with pytest.raises(Invalid) as refused:
        meeting(members("ana", "ben", "ana"))
    assert refused.value.field == "participant_ids"


def test_a_meeting_starting_more_than_five_minutes_ahead_is_refused():
    assert meeting(members("ana", "ben"), started_at=NOW + timedelta(minutes=4)).id == "m1"
    with pytest.raises(Invalid) as refused:
        meeting(members("ana", "ben"), started_at=NOW + timedelta(minutes=6))
    assert refused.value.field == "started_at"


def test_a_meeting_ending_more_than_five_minutes_ahead_is_refused_like_its_start():
    started = NOW - timedelta(minutes=30)
    ends_soon = meeting(members("ana", "ben"), started_at=started, ended_at=NOW + FIVE_MINUTES)
    assert ends_soon.duration_minutes == 35
    with pytest.raises(Invalid) as refused:
        meeting(members("ana", "ben"), started_at=started, ended_at=NOW + timedelta(minutes=6))
    assert refused.value.field == "ended_at"
    assert "in the future" in refused.value.detail


def test_a_meeting_ending_before_it_starts_is_refused():
    with pytest.raises(Invalid) as refused:
        meeting(members("ana", "ben"), ended_at=NOW - timedelta(days=31))
    assert refused.value.field == "ended_at"


def test_a_meeting_at_a_cancelled_event_is_refused():
    event = gathering()
    event.cancel(NOW)
    with pytest.raises(Conflict):
        meeting(members("ana", "ben"), gathering=event)


def test_a_meeting_with_someone_not_yet_a_member_waits_for_them():
    waiting = meeting([Participant(member_id="ana"), Participant(email="vendor@example.org")])
    assert waiting.publishable() == []
    waiting.participants[1] = Participant(member_id="ben")
    (fact,) = waiting.publishable()
    assert fact.participant_ids == ["ana", "ben"]


# --- deliveries -----------------------------------------------------------------------------


def test_delivery_ids_sort_by_arrival():
    assert new_delivery_id(NOW) < new_delivery_id(NOW + timedelta(milliseconds=1))


def test_only_a_failed_delivery_can_be_replayed():
    delivery = Delivery("d1", "luma", "msg_1", "luma", b"{}", NOW, NOW)
    delivery.failed("unsupported type 'x'", NOW)
    delivery.replay()
    assert delivery.attempts == 2
    delivery.normalised(NOW)
    with pytest.raises(Conflict) as refused:
        delivery.replay()
    assert refused.value.field == "delivery_id"
