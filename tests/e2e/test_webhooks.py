"""Signed webhooks through HTTP, every service its own process. Deliveries are signed with
the reference implementation (`standardwebhooks`); a refused one is a 4xx problem naming
the header or field, and nothing reaches JetStream."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest

from tests.e2e.system import System, wait_until
from tests.support import WEBHOOK_SECRETS, signed

PROBLEM = "application/problem+json"
RAPPORT = WEBHOOK_SECRETS["rapport"][0]
LUMA = WEBHOOK_SECRETS["luma"][0]
OLD, NEW = WEBHOOK_SECRETS["rotating"]
WEBHOOK_LIMIT = 256 * 1024


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def post(system: System, source: str, secret: str | list[str], payload, **signing):
    body, headers = signed(secret, payload, **signing)
    return system.http.post(f"/v1/webhooks/{source}", content=body, headers=headers)


def stored(system: System) -> int:
    """How many deliveries JetStream holds (the WEBHOOKS stream's last sequence)."""

    async def last_seq() -> int:
        nc = await nats.connect(system.nats_url)
        try:
            return (await nc.jetstream().stream_info("WEBHOOKS")).state.last_seq
        finally:
            await nc.close()

    return asyncio.run(last_seq())


def problem(response: httpx.Response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert field in [e["field"] for e in body["errors"]], body
    return body


def deliveries(system: System, status: str) -> dict[str, dict]:
    response = system.operator().get(
        "/v1/webhooks/deliveries", params={"status": status, "limit": 200}
    )
    assert response.status_code == 200, response.text
    return {d["webhook_id"]: d for d in response.json()["items"]}


def normalised(system: System, webhook_id: str) -> bool:
    return webhook_id in deliveries(system, "normalised")


def member(system: System, prefix: str) -> dict:
    registered = system.register(unique(prefix))
    wait_until(
        lambda: (
            system.as_id(registered["member_id"])
            .get(f"/v1/members/{registered['member_id']}/meetings")
            .status_code
            == 200
        )
    )
    return registered


def upsert(external_id: str, **changes) -> dict:
    now = datetime.now(UTC)
    return {
        "type": "event.upserted",
        "timestamp": now.isoformat(),
        "data": {
            "external_id": external_id,
            "title": "Badge day",
            "kind": "conference",
            "format": "in_person",
            "starts_at": (now - timedelta(hours=2)).isoformat(),
            "ends_at": (now + timedelta(hours=6)).isoformat(),
            "timezone": "America/New_York",
        }
        | changes,
    }


def check_in(external_id: str, email: str) -> dict:
    return {
        "type": "attendee.checked_in",
        "data": {
            "event_external_id": external_id,
            "email": email,
            "checked_in_at": datetime.now(UTC).isoformat(),
        },
    }


def event_of(system: System, external_id: str) -> dict:
    items = system.signed_in().get("/v1/events", params={"limit": 200}).json()["items"]
    return next(
        e for e in items if {"source": "rapport", "external_id": external_id} in e["external_refs"]
    )


def luma_guest(email: str, event_id: str, *, checked_in: bool) -> dict:
    now = datetime.now(UTC)
    return {
        "type": "guest.updated",
        "data": {
            "id": unique("gst"),
            "user_email": email,
            "user_name": "Guest",
            "approval_status": "approved",
            "event_tickets": [
                {"id": "tkt", "checked_in_at": now.isoformat() if checked_in else None}
            ],
            "event": {
                "id": event_id,
                "name": "Luma night",
                "start_at": (now - timedelta(hours=1)).isoformat(),
                "end_at": (now + timedelta(hours=2)).isoformat(),
                "timezone": "Europe/Berlin",
                "location_type": "offline",
                "description": "",
            },
        },
    }


# --- accepted once ------------------------------------------------------------------------------


def test_a_signed_check_in_and_badge_scan_take_effect_once_each(shared_system: System):
    ana, ben = member(shared_system, "hook-ana"), member(shared_system, "hook-ben")
    external = unique("conf")
    assert post(shared_system, "rapport", RAPPORT, upsert(external)).status_code == 202

    body, headers = signed(RAPPORT, check_in(external, ana["email"].upper()))
    first = shared_system.http.post("/v1/webhooks/rapport", content=body, headers=headers)
    again = shared_system.http.post("/v1/webhooks/rapport", content=body, headers=headers)
    assert (first.status_code, first.json()["status"]) == (202, "accepted")
    assert (again.status_code, again.json()["status"]) == (202, "duplicate")
    scan = {
        "type": "contact.exchanged",
        "data": {
            "scanner_email": ana["email"],
            "scanned_email": ben["email"],
            "exchanged_at": datetime.now(UTC).isoformat(),
            "event_external_id": external,
            "external_id": unique("scan"),
        },
    }
    scanned = post(shared_system, "rapport", RAPPORT, scan)
    # the platform sends the same scan again under a new webhook id: still one meeting
    assert post(shared_system, "rapport", RAPPORT, scan).json()["status"] == "accepted"
    wait_until(lambda: normalised(shared_system, scanned.json()["webhook_id"]))

    event = event_of(shared_system, external)
    assert event["timezone"] == "America/New_York"
    listing = shared_system.signed_in().get(f"/v1/events/{event['event_id']}/attendees").json()
    assert [(a["member_id"], a["attendance"]) for a in listing["items"]] == [
        (ana["member_id"], "in_person")
    ]
    meetings = (
        shared_system.as_id(ben["member_id"])
        .get(f"/v1/members/{ben['member_id']}/meetings")
        .json()["items"]
    )
    assert [(m["source"], m["event_id"], set(m["participant_ids"])) for m in meetings] == [
        ("badge_scan", event["event_id"], {ana["member_id"], ben["member_id"]})
    ]


def test_a_luma_check_in_of_a_guest_who_registers_later_is_matched_then(shared_system: System):
    email = f"{unique('walkin')}@example.org"
    luma_event = unique("evt")
    accepted = post(shared_system, "luma", LUMA, luma_guest(email, luma_event, checked_in=True))
    assert accepted.status_code == 202, accepted.text
    wait_until(lambda: normalised(shared_system, accepted.json()["webhook_id"]))
    items = shared_system.signed_in().get("/v1/events", params={"limit": 200}).json()["items"]
    (event,) = [
        e for e in items if {"source": "luma", "external_id": luma_event} in e["external_refs"]
    ]
    path = f"/v1/events/{event['event_id']}/attendees"
    assert shared_system.signed_in().get(path).json() | {"items": None} == {
        "event_id": event["event_id"],
        "items": None,
        "pending_attendees": 1,
    }

    guest = shared_system.register(email.split("@")[0], email=email)

    def matched():
        listing = shared_system.signed_in().get(path).json()
        return listing["pending_attendees"] == 0 and listing["items"]

    (attendee,) = wait_until(matched)
    assert attendee["member_id"] == guest["member_id"]
    assert (attendee["rsvp"], attendee["attendance"]) == ("going", "in_person")


def test_rotated_secrets_are_valid_together(shared_system: System):
    external = unique("rot")
    for secrets in ([OLD], [NEW], [OLD, NEW]):
        response = post(shared_system, "rotating", secrets, upsert(external))
        assert response.status_code == 202, response.text


# --- refused at the edge ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "header"),
    [
        ("tampered", "webhook-signature"),
        ("wrong-secret", "webhook-signature"),
        ("stale", "webhook-timestamp"),
        ("future", "webhook-timestamp"),
        ("unsigned", "webhook-signature"),
        ("no-id", "webhook-id"),
    ],
)
def test_an_unauthentic_or_stale_delivery_is_a_401_naming_the_header_and_stores_nothing(
    shared_system: System, case: str, header: str
):
    payload = upsert(unique("evil"))
    at = {
        "stale": datetime.now(UTC) - timedelta(minutes=6),
        "future": datetime.now(UTC) + timedelta(minutes=6),
    }.get(case)
    body, headers = signed(LUMA if case == "wrong-secret" else RAPPORT, payload, at=at)
    if case == "tampered":
        body = body.replace(b"Badge day", b"Fake day!")
    if case == "unsigned":
        del headers["webhook-signature"]
    if case == "no-id":
        del headers["webhook-id"]
    before = stored(shared_system)

    response = shared_system.http.post("/v1/webhooks/rapport", content=body, headers=headers)

    problem(response, 401, header)
    assert stored(shared_system) == before


def test_an_unknown_source_is_a_404(shared_system: System):
    before = stored(shared_system)
    problem(post(shared_system, "eventbrite", RAPPORT, upsert("x")), 404, "source")
    assert stored(shared_system) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b'{"type": "attendee.checked_in", "data": ', "body"),
        (
            {"type": "attendee.checked_in", "data": {"event_external_id": "x", "email": "nope"}},
            "data.email",
        ),
        ({"data": {}}, "type"),
        (upsert("x", starts_at="0001-01-01T00:00+14:00"), "data.starts_at"),
        (upsert("x", ends_at="9999-12-31T23:59:59-14:00"), "data.ends_at"),
        (upsert("x", title="moc.elgoog\u202e"), "data.title"),
    ],
    ids=[
        "malformed-json",
        "bad-email",
        "no-type",
        "start-out-of-range",
        "end-out-of-range",
        "bidi-title",
    ],
)
def test_a_payload_failing_the_schema_is_a_400_naming_the_field_and_stores_nothing(
    shared_system: System, payload, field: str
):
    before = stored(shared_system)
    problem(post(shared_system, "rapport", RAPPORT, payload), 400, field)
    assert stored(shared_system) == before


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_over_256_kib_is_a_413_and_one_over_64_kib_is_accepted(
    shared_system: System, framing: str
):
    guest = luma_guest(f"{unique('big')}@example.org", unique("evt"), checked_in=False)
    guest["data"]["event"]["description"] = "x" * (100 * 1024)  # Luma sends long descriptions
    body, headers = signed(LUMA, guest)
    assert 64 * 1024 < len(body) < WEBHOOK_LIMIT
    accepted = shared_system.http.post("/v1/webhooks/luma", content=body, headers=headers)
    assert accepted.status_code == 202, accepted.text

    guest["data"]["event"]["description"] = "x" * WEBHOOK_LIMIT
    body, headers = signed(LUMA, guest)

    def chunks():
        for start in range(0, len(body), 16384):
            yield body[start : start + 16384]

    before = stored(shared_system)
    response = shared_system.http.post(
        "/v1/webhooks/luma",
        content=body if framing == "content-length" else chunks(),
        headers=headers,
    )
    problem(response, 413, "body")
    assert stored(shared_system) == before


# --- failures kept, metrics -------------------------------------------------------------------


def test_an_unsupported_type_is_kept_as_failed_and_replay_says_why_again(shared_system: System):
    accepted = post(shared_system, "rapport", RAPPORT, {"type": "badge.printed", "data": {}})
    assert accepted.status_code == 202
    webhook_id = accepted.json()["webhook_id"]
    failed = wait_until(lambda: deliveries(shared_system, "failed").get(webhook_id))
    assert failed["reason"] == "unsupported type 'badge.printed'"

    replayed = shared_system.operator().post(
        f"/v1/webhooks/deliveries/{failed['delivery_id']}/replay"
    )
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("failed", 2)


def test_metrics_count_deliveries_by_source_and_outcome_and_ingestion_latency(
    shared_system: System,
):
    external = unique("metric")
    body, headers = signed(RAPPORT, upsert(external))
    shared_system.http.post("/v1/webhooks/rapport", content=body, headers=headers)
    shared_system.http.post("/v1/webhooks/rapport", content=body, headers=headers)
    shared_system.http.post(
        "/v1/webhooks/rapport", content=body.replace(b"Badge", b"Fudge"), headers=headers
    )
    post(
        shared_system,
        "rapport",
        RAPPORT,
        upsert(external),
        at=datetime.now(UTC) - timedelta(hours=1),
    )
    shared_system.http.post(
        "/v1/webhooks/rapport", content=b"x" * (WEBHOOK_LIMIT + 1), headers=headers
    )
    wait_until(lambda: normalised(shared_system, headers["webhook-id"]))

    gateway = shared_system.http.get("/metrics").text
    outcomes = set(
        re.findall(r'rapport_webhook_deliveries_total\{outcome="(\w+)",source="rapport"\}', gateway)
    )
    assert {"accepted", "duplicate", "bad_signature", "stale", "too_large"} <= outcomes
    events = httpx.get(f"http://127.0.0.1:{shared_system.ports['events']}/metrics").text
    assert 'rapport_webhook_deliveries_total{outcome="normalised",source="rapport"}' in events
    assert 'rapport_webhook_ingestion_seconds_count{source="rapport"}' in events
    assert json.dumps(headers["webhook-id"])[1:-1] not in gateway  # ids never label metrics
