"""A consumer's checks of a readable fact: who sent it, and whether it lies in the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nats.aio.msg import Msg

from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import MeetingLogged, MemberDeleted
from shared.contracts.subjects import event_subject
from shared.messaging.consumer.fact_checks import refusal
from shared.settings import Settings

ARRIVAL = datetime(2026, 6, 1, 12, tzinfo=UTC)
SETTINGS = Settings(meeting_future_tolerance=300)


def delivered(event: Event, *, source: str | None = None, time: datetime = ARRIVAL):
    """The JetStream delivery of a fact stored at ARRIVAL (the ack subject carries it)."""
    envelope = Envelope.wrap(event, source=source or f"/rapport/{event.domain}", time=time)
    stored_ns = int(ARRIVAL.timestamp() * 1_000_000_000)
    reply = f"$JS.ACK.EVENTS.aggregator-events-v1.1.7.7.{stored_ns}.0"
    return Msg(None, subject=event_subject(event), reply=reply), envelope, event  # type: ignore[arg-type]


def meeting(started: timedelta, ended: timedelta | None) -> MeetingLogged:
    return MeetingLogged(
        meeting_id="m1",
        participant_ids=["ana", "ben"],
        started_at=ARRIVAL + started,
        ended_at=ARRIVAL + ended if ended is not None else None,
    )


def test_a_fact_from_its_owner_dated_up_to_its_arrival_is_accepted():
    assert refusal(*delivered(MemberDeleted(member_id="ana")), SETTINGS) is None
    assert refusal(*delivered(meeting(-timedelta(hours=1), None)), SETTINGS) is None


def test_a_fact_claiming_another_service_as_its_source_is_refused():
    reason = refusal(
        *delivered(MemberDeleted(member_id="ana"), source="/rapport/content"), SETTINGS
    )
    assert reason == (
        "source /rapport/content of member.deleted does not own rapport.profiles.member.deleted"
    )


def test_a_fact_dated_ahead_of_its_arrival_by_more_than_the_tolerance_is_refused():
    ahead = ARRIVAL + timedelta(seconds=301)
    assert "time 2026-06-01T12:05:01+00:00" in refusal(
        *delivered(MemberDeleted(member_id="ana"), time=ahead), SETTINGS
    )
    skewed = ARRIVAL + timedelta(seconds=299)
    assert refusal(*delivered(MemberDeleted(member_id="ana"), time=skewed), SETTINGS) is None


def test_a_meeting_that_ends_or_starts_in_the_future_is_refused_whatever_its_envelope_time():
    ten_hours_long = meeting(timedelta(0), timedelta(hours=10))
    assert "ended_at" in refusal(*delivered(ten_hours_long), SETTINGS)
    starts_later = meeting(timedelta(hours=2), None)
    assert "started_at" in refusal(*delivered(starts_later), SETTINGS)
