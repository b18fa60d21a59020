"""Payload adapters: Rapport's own schema and Luma's guest webhooks become intents."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shared.webhooks.adapters import ADAPTERS, PayloadInvalid, UnsupportedType, normalise
from shared.webhooks.intents import AnswerRsvp, CheckIn, LogMeeting, UpsertEvent

RAPPORT, LUMA = ADAPTERS["rapport"], ADAPTERS["luma"]
AT = "2026-05-04T18:00:00+02:00"


def body(payload) -> bytes:
    return json.dumps(payload).encode()


def rapport(type_: str, **data) -> bytes:
    return body({"type": type_, "timestamp": AT, "data": data})


def luma_guest(**changes) -> dict:
    guest = {
        "id": "gst-1",
        "user_email": "ana@example.org",
        "approval_status": "approved",
        "event_tickets": [{"id": "t1", "checked_in_at": None}],
        "event": {
            "id": "evt-9",
            "name": "Berlin AI meetup",
            "start_at": "2026-05-04T16:00:00.000Z",
            "end_at": "2026-05-04T19:00:00.000Z",
            "timezone": "Europe/Berlin",
            "location_type": "offline",
            "geo_address_json": {"full_address": "Alexanderplatz 1, Berlin"},
            "cover_url": "https://example.org/c.png",
        },
        "registration_answers": [],
    }
    return guest | changes


# --- Rapport's schema -------------------------------------------------------------------------


def test_every_documented_rapport_type_normalises():
    intents = {
        t: normalise(RAPPORT, rapport(t, **data))
        for t, data in {
            "event.upserted": dict(
                external_id="pycon",
                title="PyCon",
                kind="conference",
                format="hybrid",
                starts_at=AT,
                ends_at="2026-05-05T18:00:00+02:00",
                timezone="Europe/Paris",
            ),
            "rsvp.updated": dict(event_external_id="pycon", email="a@example.org", status="going"),
            "attendee.checked_in": dict(
                event_external_id="pycon", email="a@example.org", checked_in_at=AT
            ),
            "meeting.logged": dict(
                participant_emails=["a@example.org", "b@example.org", "c@example.org"],
                started_at=AT,
                ended_at="2026-05-04T18:30:00+02:00",
            ),
            "contact.exchanged": dict(
                scanner_email="a@example.org", scanned_email="b@example.org", exchanged_at=AT
            ),
        }.items()
    }
    assert set(intents) == set(RAPPORT.types)
    (event,) = intents["event.upserted"]
    assert isinstance(event, UpsertEvent) and event.kind == "conference" and not event.cancelled
    assert isinstance(intents["rsvp.updated"][0], AnswerRsvp)
    (check_in,) = intents["attendee.checked_in"]
    assert isinstance(check_in, CheckIn) and check_in.attendance is None
    (meeting,) = intents["meeting.logged"]
    assert isinstance(meeting, LogMeeting) and len(meeting.emails) == 3
    (badge,) = intents["contact.exchanged"]
    assert badge.source == "badge_scan" and badge.emails == ("a@example.org", "b@example.org")


def test_malformed_json_is_a_payload_error_naming_the_body():
    with pytest.raises(PayloadInvalid) as refused:
        normalise(RAPPORT, b'{"type": "rsvp.updated", ')
    assert refused.value.errors == [("body", "not valid JSON")]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (dict(event_external_id="x", email="not-an-email", checked_in_at=AT), "data.email"),
        (dict(event_external_id="x", email="a@example.org"), "data.checked_in_at"),
        (
            dict(event_external_id="x", email="a@example.org", checked_in_at="2026-05-04T18:00"),
            "data.checked_in_at",
        ),
        (
            dict(event_external_id="x", email="a@example.org", checked_in_at=AT, seat="A1"),
            "data.seat",
        ),
    ],
    ids=["bad-email", "missing-time", "time-without-offset", "unknown-field"],
)
def test_a_payload_breaking_the_schema_names_the_field(data: dict, field: str):
    with pytest.raises(PayloadInvalid) as refused:
        normalise(RAPPORT, rapport("attendee.checked_in", **data))
    assert field in [f for f, _ in refused.value.errors]


def test_an_event_ending_before_it_starts_breaks_the_schema():
    with pytest.raises(PayloadInvalid):
        normalise(
            RAPPORT,
            rapport(
                "event.upserted",
                external_id="x",
                title="T",
                kind="meetup",
                format="online",
                starts_at=AT,
                ends_at="2026-05-04T17:00:00+02:00",
            ),
        )


@pytest.mark.parametrize(
    "emails",
    [["a@example.org"], [f"p{i}@example.org" for i in range(13)], ["a@x.org", "A@x.org"]],
    ids=["one", "thirteen", "twice"],
)
def test_a_meeting_needs_2_to_12_distinct_participants(emails: list[str]):
    with pytest.raises(PayloadInvalid):
        normalise(RAPPORT, rapport("meeting.logged", participant_emails=emails, started_at=AT))


def test_an_unknown_type_is_unsupported_not_invalid():
    with pytest.raises(UnsupportedType):
        normalise(RAPPORT, rapport("ticket.refunded", id="x"))


# --- Luma -------------------------------------------------------------------------------------


def test_a_luma_registration_upserts_the_event_and_answers_going():
    event, rsvp = normalise(LUMA, body({"type": "guest.registered", "data": luma_guest()}))
    assert isinstance(event, UpsertEvent)
    assert (event.external_id, event.format, event.kind) == ("evt-9", "in_person", None)
    assert event.venue == "Alexanderplatz 1, Berlin"
    assert event.starts_at == datetime(2026, 5, 4, 16, tzinfo=UTC)
    assert rsvp == AnswerRsvp("evt-9", "ana@example.org", "going")


def test_a_luma_update_with_a_checked_in_ticket_is_an_in_person_check_in():
    guest = luma_guest(event_tickets=[{"checked_in_at": "2026-05-04T16:05:00.000Z"}])
    *_, check_in = normalise(LUMA, body({"type": "guest.updated", "data": guest}))
    assert check_in == CheckIn(
        "evt-9", "ana@example.org", datetime(2026, 5, 4, 16, 5, tzinfo=UTC), "in_person"
    )


def test_a_luma_guest_who_joined_an_online_event_checked_in_online():
    guest = luma_guest(joined_at="2026-05-04T16:01:00.000Z")
    guest["event"]["location_type"] = "zoom"
    event, _, check_in = normalise(LUMA, body({"type": "guest.updated", "data": guest}))
    assert event.format == "online"
    assert check_in.attendance == "online"


@pytest.mark.parametrize(
    ("status", "rsvp"),
    [("approved", "going"), ("pending_approval", "maybe"), ("declined", "declined")],
)
def test_luma_approval_statuses_map_to_rsvps(status: str, rsvp: str):
    intents = normalise(
        LUMA, body({"type": "guest.updated", "data": luma_guest(approval_status=status)})
    )
    assert intents[1].status == rsvp


def test_an_invited_luma_guest_has_not_answered():
    intents = normalise(
        LUMA, body({"type": "guest.updated", "data": luma_guest(approval_status="invited")})
    )
    assert [type(i) for i in intents] == [UpsertEvent]


def test_a_luma_guest_without_an_email_breaks_the_schema():
    guest = luma_guest()
    del guest["user_email"]
    with pytest.raises(PayloadInvalid) as refused:
        normalise(LUMA, body({"type": "guest.registered", "data": guest}))
    assert ("data.user_email", "Field required") in refused.value.errors


def test_other_luma_webhook_types_are_unsupported():
    with pytest.raises(UnsupportedType):
        normalise(LUMA, body({"type": "calendar.person.subscribed", "data": {}}))
