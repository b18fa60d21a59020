"""Deliveries accepted while the events service is stopped are all processed once it is
back, and a restart processes nothing twice (every process as `make run` starts it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.system import System, wait_until
from tests.support import WEBHOOK_SECRETS, signed

RAPPORT = WEBHOOK_SECRETS["rapport"][0]


def deliver(system: System, payload: dict) -> str:
    body, headers = signed(RAPPORT, payload)
    response = system.http.post("/v1/webhooks/rapport", content=body, headers=headers)
    assert response.status_code == 202, response.text
    return headers["webhook-id"]


def test_deliveries_accepted_while_events_is_stopped_are_processed_once_it_starts(
    system: System,
):
    ana, ben = system.registered("ana", "ben")
    wait_until(lambda: system.as_id(ben).get(f"/v1/members/{ben}/meetings").status_code == 200)
    system.stop("events")
    now = datetime.now(UTC)

    ids = [
        deliver(
            system,
            {
                "type": "event.upserted",
                "data": {
                    "external_id": "expo",
                    "title": "Expo",
                    "kind": "conference",
                    "format": "in_person",
                    "starts_at": (now - timedelta(hours=3)).isoformat(),
                    "ends_at": (now + timedelta(hours=3)).isoformat(),
                },
            },
        )
    ]
    ids += [
        deliver(
            system,
            {
                "type": "attendee.checked_in",
                "data": {
                    "event_external_id": "expo",
                    "email": email,
                    "checked_in_at": now.isoformat(),
                },
            },
        )
        for email in ("ana@example.org", "ben@example.org", "guest@example.org")
    ]
    ids.append(
        deliver(
            system,
            {
                "type": "meeting.logged",
                "data": {
                    "participant_emails": ["ana@example.org", "ben@example.org"],
                    "started_at": (now - timedelta(hours=1)).isoformat(),
                    "ended_at": now.isoformat(),
                    "event_external_id": "expo",
                },
            },
        )
    )

    system.start("events")
    system.wait_ready()

    def all_normalised() -> bool:
        response = system.operator().get("/v1/webhooks/deliveries", params={"status": "normalised"})
        return {d["webhook_id"] for d in response.json()["items"]} == set(ids)

    wait_until(all_normalised, timeout=30)
    (event,) = system.signed_in().get("/v1/events").json()["items"]
    attendees = system.signed_in().get(f"/v1/events/{event['event_id']}/attendees").json()
    assert {a["member_id"] for a in attendees["items"]} == {ana, ben}
    assert attendees["pending_attendees"] == 1
    (meeting,) = system.as_id(ana).get(f"/v1/members/{ana}/meetings").json()["items"]
    assert meeting["duration_minutes"] == 60

    system.stop("events")
    system.start("events")
    system.wait_ready()
    assert all_normalised()
    assert len(system.as_id(ana).get(f"/v1/members/{ana}/meetings").json()["items"]) == 1
