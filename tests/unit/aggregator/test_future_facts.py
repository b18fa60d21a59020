"""Facts timed too far ahead of their recording are refused by the aggregator, naming the
field; within the tolerance (clock skew) they are applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.aggregator.model import HealthModel
from services.aggregator.projector import ahead_of_arrival
from shared.contracts.envelope import Envelope
from shared.contracts.events import AttendeeCheckedIn, DirectMessageSent, MeetingLogged

RECORDED = datetime(2026, 5, 1, 12, tzinfo=UTC)
TOLERANCE = timedelta(minutes=5)
MODEL = HealthModel.v2()


def refused(event) -> str | None:
    envelope = Envelope.wrap(event, source="/test", time=RECORDED)
    return ahead_of_arrival(event, envelope, MODEL, TOLERANCE)


def meeting(**times) -> MeetingLogged:
    return MeetingLogged(meeting_id="m", participant_ids=["ana", "ben"], **times)


def test_a_meeting_ending_hours_after_it_was_logged_is_refused_naming_ended_at():
    reason = refused(
        meeting(started_at=RECORDED - timedelta(hours=1), ended_at=RECORDED + timedelta(hours=10))
    )
    assert reason is not None and "ended_at" in reason and "meeting.logged" in reason


def test_a_meeting_starting_ahead_is_refused_naming_started_at():
    reason = refused(meeting(started_at=RECORDED + timedelta(hours=1)))
    assert reason is not None and "started_at" in reason


def test_a_duration_that_ends_ahead_is_refused_too():
    reason = refused(meeting(started_at=RECORDED, duration_minutes=120))
    assert reason is not None and "ended_at" in reason


def test_facts_within_the_tolerance_are_applied():
    assert refused(meeting(started_at=RECORDED - timedelta(hours=1), ended_at=RECORDED)) is None
    assert refused(meeting(started_at=RECORDED, ended_at=RECORDED + timedelta(minutes=4))) is None
    assert refused(DirectMessageSent(message_id="d", sender_id="ana", recipient_id="ben")) is None


def test_a_check_in_ahead_is_refused():
    check_in = AttendeeCheckedIn(
        event_id="e",
        member_id="ana",
        attendance="in_person",
        checked_in_at=RECORDED + timedelta(hours=2),
    )
    assert refused(check_in) is not None
