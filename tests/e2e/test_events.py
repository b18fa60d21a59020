"""Events, RSVPs, check-ins and in-person meetings through HTTP, every service its own
process. Refusals are 4xx problems naming the field, and store nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.system import System, wait_until

PROBLEM = "application/problem+json"
NOW = datetime.now(UTC)
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def members(system: System, *prefixes: str) -> list[str]:
    """Registered members that the events service already knows."""
    ids = [system.register(unique(p))["member_id"] for p in prefixes]
    for member_id in ids:
        wait_until(
            lambda m=member_id: system.as_id(m).get(f"/v1/members/{m}/meetings").status_code == 200
        )
    return ids


def problem(response: httpx.Response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert field in [e["field"] for e in body["errors"]], body
    return body


def event_body(**changes) -> dict:
    return {
        "title": "Rapport meetup",
        "kind": "meetup",
        "format": "in_person",
        "starts_at": (NOW + timedelta(days=7)).isoformat(),
        "ends_at": (NOW + timedelta(days=7, hours=3)).isoformat(),
        "timezone": "Europe/Lisbon",
        "venue": "LX Factory",
    } | changes


def create(system: System, **changes) -> dict:
    response = system.signed_in().post("/v1/events", json=event_body(**changes))
    assert response.status_code == 201, response.text
    return response.json()


def attendees(system: System, event_id: str) -> dict:
    response = system.signed_in().get(f"/v1/events/{event_id}/attendees")
    assert response.status_code == 200, response.text
    return response.json()


def meetings_of(system: System, member_id: str) -> list[dict]:
    response = system.as_id(member_id).get(f"/v1/members/{member_id}/meetings")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def listed(system: System, **params) -> list[str]:
    response = system.signed_in().get("/v1/events", params=params | {"limit": 200})
    assert response.status_code == 200, response.text
    return [e["event_id"] for e in response.json()["items"]]


# --- events -----------------------------------------------------------------------------------


def test_an_event_is_created_listed_updated_and_cancelled(shared_system: System):
    ref = {"source": "meetup-com", "external_id": unique("mtp")}
    created = shared_system.signed_in().post("/v1/events", json=event_body(external_refs=[ref]))
    assert created.status_code == 201, created.text
    event = created.json()
    assert created.headers["location"] == f"/v1/events/{event['event_id']}"
    assert event["external_refs"] == [ref] and event["status"] == "scheduled"
    assert shared_system.signed_in().get(created.headers["location"]).json() == event

    week = {
        "from": (NOW + timedelta(days=6)).isoformat(),
        "to": (NOW + timedelta(days=8)).isoformat(),
    }
    assert event["event_id"] in listed(shared_system, **week, format="in_person")
    assert event["event_id"] not in listed(shared_system, **week, format="online")
    assert event["event_id"] not in listed(shared_system, to=(NOW + timedelta(days=1)).isoformat())

    patched = shared_system.signed_in().patch(
        f"/v1/events/{event['event_id']}", json={"title": "Rapport summit", "kind": "conference"}
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["title"], patched.json()["kind"]) == ("Rapport summit", "conference")

    cancelled = shared_system.signed_in().post(f"/v1/events/{event['event_id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert event["event_id"] not in listed(shared_system, **week)


def test_only_its_organiser_changes_or_cancels_an_event(shared_system: System):
    event = create(shared_system)  # organised by the signed-in visitor
    (other,) = members(shared_system, "not-the-organiser")
    url = f"/v1/events/{event['event_id']}"

    problem(shared_system.as_id(other).patch(url, json={"title": "Mine now"}), 403, "event_id")
    problem(shared_system.as_id(other).post(f"{url}/cancel"), 403, "event_id")
    assert shared_system.signed_in().get(url).json() == event

    # handed over: the new organiser may, the previous one no longer
    handed = shared_system.signed_in().patch(url, json={"organiser_id": other})
    assert handed.status_code == 200, handed.text
    problem(shared_system.signed_in().post(f"{url}/cancel"), 403, "event_id")
    assert shared_system.as_id(other).post(f"{url}/cancel").json()["status"] == "cancelled"


def test_rsvps_and_check_ins_are_one_per_member_and_changeable(shared_system: System):
    ana, ben = members(shared_system, "rsvp-ana", "rsvp-ben")
    event = create(shared_system, format="hybrid", starts_at=(NOW - timedelta(hours=1)).isoformat())
    base = f"/v1/events/{event['event_id']}"

    assert (
        shared_system.as_id(ana).put(f"{base}/rsvps/{ana}", json={"status": "maybe"}).status_code
        == 200
    )
    changed = shared_system.as_id(ana).put(f"{base}/rsvps/{ana}", json={"status": "going"})
    assert changed.json()["rsvp"] == "going"
    online = shared_system.as_id(ana).put(f"{base}/check-ins/{ana}", json={"attendance": "online"})
    assert online.json()["attendance"] == "online", online.text
    in_person = shared_system.as_id(ana).put(
        f"{base}/check-ins/{ana}", json={"attendance": "in_person"}
    )
    assert in_person.json()["attendance"] == "in_person"
    assert in_person.json()["checked_in_at"] == online.json()["checked_in_at"]
    assert (
        shared_system.as_id(ben).put(f"{base}/check-ins/{ben}").json()["attendance"] == "in_person"
    )

    listing = attendees(shared_system, event["event_id"])
    by_member = {a["member_id"]: a for a in listing["items"]}
    assert set(by_member) == {ana, ben}
    assert by_member[ana]["rsvp"] == "going" and by_member[ben]["rsvp"] is None
    assert listing["pending_attendees"] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": (NOW + timedelta(days=6)).isoformat()}, "ends_at"),
        ({"starts_at": "2026-06-01T10:00:00"}, "starts_at"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"kind": "party"}, "kind"),
        ({"title": ""}, "title"),
    ],
    ids=["ends-before-start", "no-offset", "unknown-zone", "unknown-kind", "empty-title"],
)
def test_a_bad_event_is_a_422_naming_the_field_and_stores_nothing(
    shared_system: System, changes: dict, field: str
):
    before = listed(shared_system)
    response = shared_system.signed_in().post("/v1/events", json=event_body(**changes))
    problem(response, 422, field)
    assert listed(shared_system) == before


# Times that overflow once moved to UTC, and times just outside 1970..2100.
EDGE_TIMES = [
    "0001-01-01T00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59+00:00",
    "2100-01-01T00:00:00+00:00",
]


@pytest.mark.parametrize("edge", EDGE_TIMES)
@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
def test_an_event_time_out_of_range_is_a_422_naming_it_never_a_500(
    shared_system: System, field: str, edge: str
):
    before = listed(shared_system)
    problem(
        shared_system.signed_in().post("/v1/events", json=event_body(**{field: edge})), 422, field
    )
    assert listed(shared_system) == before
    event = create(shared_system)
    patched = shared_system.signed_in().patch(f"/v1/events/{event['event_id']}", json={field: edge})
    problem(patched, 422, field)
    assert shared_system.signed_in().get(f"/v1/events/{event['event_id']}").json() == event


@pytest.mark.parametrize("edge", EDGE_TIMES)
@pytest.mark.parametrize("param", ["from", "to"])
def test_a_listing_bound_out_of_range_is_a_422_naming_it(
    shared_system: System, param: str, edge: str
):
    problem(shared_system.signed_in().get("/v1/events", params={param: edge}), 422, param)


def test_a_listing_bound_without_offset_reads_as_utc(shared_system: System):
    event = create(shared_system)
    starts = datetime.fromisoformat(event["starts_at"]).astimezone(UTC)
    naive = {
        "from": (starts - timedelta(hours=1)).replace(tzinfo=None).isoformat(),
        "to": (starts + timedelta(minutes=1)).replace(tzinfo=None).isoformat(),
    }
    assert event["event_id"] in listed(shared_system, **naive)


def test_events_are_listed_a_page_at_a_time_with_cursors_only_this_listing_reads(
    shared_system: System,
):
    window = {
        "from": (NOW + timedelta(days=40)).isoformat(),
        "to": (NOW + timedelta(days=41)).isoformat(),
    }
    start = NOW + timedelta(days=40, hours=1)
    created = [
        create(
            shared_system,
            starts_at=(start + timedelta(minutes=i)).isoformat(),
            ends_at=(start + timedelta(hours=2)).isoformat(),
        )["event_id"]
        for i in range(5)
    ]
    seen, cursor = [], None
    while True:
        params = window | {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = shared_system.signed_in().get("/v1/events", params=params)
        assert response.status_code == 200, response.text
        seen += [e["event_id"] for e in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
        assert cursor.count(".") == 1  # signed, not a position in clear
        foreign = shared_system.signed_in().get("/v1/events", params={"cursor": cursor, "limit": 2})
        problem(foreign, 400, "cursor")  # issued for another window
        problem(
            shared_system.operator().get("/v1/webhooks/deliveries", params={"cursor": cursor}),
            400,
            "cursor",
        )
    assert [e for e in seen if e in created] == created
    forged = f"{datetime.now(UTC).isoformat()}|{created[0]}"
    problem(shared_system.signed_in().get("/v1/events", params={"cursor": forged}), 400, "cursor")


def test_an_event_created_again_with_the_same_idempotency_key_is_created_once(
    shared_system: System,
):
    key = {"Idempotency-Key": unique("create-event")}
    body = event_body(title=unique("Once"))
    first = shared_system.signed_in().post("/v1/events", json=body, headers=key)
    again = shared_system.signed_in().post("/v1/events", json=body, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    titles = [
        e["title"]
        for e in shared_system.signed_in().get("/v1/events", params={"limit": 200}).json()["items"]
    ]
    assert titles.count(body["title"]) == 1
    other = shared_system.signed_in().post(
        "/v1/events", json=body | {"venue": "Elsewhere"}, headers=key
    )
    assert other.status_code == 422, other.text


def test_an_update_ending_before_the_start_is_a_422_and_changes_nothing(shared_system: System):
    event = create(shared_system)
    response = shared_system.signed_in().patch(
        f"/v1/events/{event['event_id']}", json={"ends_at": (NOW + timedelta(days=1)).isoformat()}
    )
    problem(response, 422, "ends_at")
    assert shared_system.signed_in().get(f"/v1/events/{event['event_id']}").json() == event


def test_an_external_reference_of_another_event_is_a_409(shared_system: System):
    ref = {"source": "luma", "external_id": unique("evt")}
    create(shared_system, external_refs=[ref])
    problem(
        shared_system.signed_in().post("/v1/events", json=event_body(external_refs=[ref])),
        409,
        "external_refs",
    )


@pytest.mark.parametrize("action", ["rsvps", "check-ins"])
def test_rsvp_or_check_in_to_a_cancelled_event_is_a_409_and_stores_nothing(
    shared_system: System, action: str
):
    (ana,) = members(shared_system, "late")
    event = create(shared_system, starts_at=(NOW - timedelta(hours=1)).isoformat())
    shared_system.signed_in().post(f"/v1/events/{event['event_id']}/cancel")

    body = {"status": "going"} if action == "rsvps" else {}
    response = shared_system.as_id(ana).put(
        f"/v1/events/{event['event_id']}/{action}/{ana}", json=body
    )

    problem(response, 409, "event_id")
    assert attendees(shared_system, event["event_id"])["items"] == []


def test_rsvps_name_unknown_events_and_members_with_404(shared_system: System):
    (ana,) = members(shared_system, "lost")
    event = create(shared_system)
    problem(
        shared_system.as_id(ana).put(
            f"/v1/events/{UNKNOWN_ID}/rsvps/{ana}", json={"status": "going"}
        ),
        404,
        "event_id",
    )
    # another member's rsvp (known or not) is not ana's to answer
    refused = shared_system.as_id(ana).put(
        f"/v1/events/{event['event_id']}/rsvps/{UNKNOWN_ID}", json={"status": "going"}
    )
    assert refused.status_code == 403, refused.text
    problem(
        shared_system.as_id(ana).put(
            f"/v1/events/{event['event_id']}/rsvps/{ana}", json={"status": "perhaps"}
        ),
        422,
        "status",
    )
    assert attendees(shared_system, event["event_id"])["items"] == []


@pytest.mark.parametrize(
    "checked_in_at",
    [*EDGE_TIMES, "in-the-future"],
)
def test_a_check_in_time_out_of_range_or_ahead_is_a_422_naming_it(
    shared_system: System, checked_in_at: str
):
    (ana,) = members(shared_system, "clock")
    event = create(shared_system, starts_at=(NOW - timedelta(hours=1)).isoformat())
    if checked_in_at == "in-the-future":
        checked_in_at = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    response = shared_system.as_id(ana).put(
        f"/v1/events/{event['event_id']}/check-ins/{ana}", json={"checked_in_at": checked_in_at}
    )
    problem(response, 422, "checked_in_at")
    assert attendees(shared_system, event["event_id"])["items"] == []


def test_checking_in_online_to_an_in_person_event_is_a_422(shared_system: System):
    (ana,) = members(shared_system, "remote")
    event = create(shared_system, starts_at=(NOW - timedelta(hours=1)).isoformat())
    response = shared_system.as_id(ana).put(
        f"/v1/events/{event['event_id']}/check-ins/{ana}", json={"attendance": "online"}
    )
    problem(response, 422, "attendance")
    assert attendees(shared_system, event["event_id"])["items"] == []


# --- meetings -------------------------------------------------------------------------------


def test_a_meeting_from_last_month_at_an_event_is_logged_for_every_participant(
    shared_system: System,
):
    ana, ben, chen = members(shared_system, "met-a", "met-b", "met-c")
    event = create(
        shared_system,
        starts_at=(NOW - timedelta(days=31)).isoformat(),
        ends_at=(NOW - timedelta(days=30)).isoformat(),
    )
    started = NOW - timedelta(days=30, hours=20)
    response = shared_system.as_id(ana).post(
        "/v1/meetings",
        json={
            "participant_ids": [ana, ben, chen],
            "started_at": started.isoformat(),
            "ended_at": (started + timedelta(minutes=40)).isoformat(),
            "event_id": event["event_id"],
            "source": "calendar",
        },
    )
    assert response.status_code == 201, response.text
    meeting = response.json()
    assert meeting["duration_minutes"] == 40 and meeting["status"] == "logged"
    assert shared_system.signed_in().get(response.headers["location"]).json() == meeting
    for member_id in (ana, ben, chen):
        assert [m["meeting_id"] for m in meetings_of(shared_system, member_id)] == [
            meeting["meeting_id"]
        ]


@pytest.mark.parametrize(
    ("shape", "field"),
    [
        ("alone", "participant_ids"),
        ("thirteen", "participant_ids"),
        ("twice", "participant_ids"),
        ("future", "started_at"),
        ("ends-before-start", "ended_at"),
        ("ends-in-the-future", "ended_at"),
        ("starts-out-of-range", "started_at"),
        ("ends-out-of-range", "ended_at"),
    ],
)
def test_a_bad_meeting_is_a_422_naming_the_field_and_stores_nothing(
    shared_system: System, shape: str, field: str
):
    ana, ben = members(shared_system, "bad-a", "bad-b")
    body = {"participant_ids": [ana, ben], "started_at": (NOW - timedelta(hours=1)).isoformat()}
    if shape == "alone":
        body["participant_ids"] = [ana]
    elif shape == "thirteen":
        body["participant_ids"] = [ana, ben, *(str(uuid.uuid4()) for _ in range(11))]
    elif shape == "twice":
        body["participant_ids"] = [ana, ben, ana]
    elif shape == "future":
        body["started_at"] = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    elif shape == "ends-before-start":
        body["ended_at"] = (NOW - timedelta(hours=2)).isoformat()
    elif shape == "ends-in-the-future":  # held to the same tolerance as the start
        body["ended_at"] = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    elif shape == "starts-out-of-range":
        body["started_at"] = "0001-01-01T00:00+14:00"
    else:
        body["ended_at"] = "9999-12-31T23:59:59-14:00"

    problem(shared_system.as_id(ana).post("/v1/meetings", json=body), 422, field)
    assert meetings_of(shared_system, ana) == [] and meetings_of(shared_system, ben) == []


def test_a_meeting_with_an_unknown_member_is_a_404_and_stores_nothing(shared_system: System):
    (ana,) = members(shared_system, "half")
    response = shared_system.as_id(ana).post(
        "/v1/meetings",
        json={"participant_ids": [ana, UNKNOWN_ID], "started_at": NOW.isoformat()},
    )
    problem(response, 404, "participant_ids")
    assert meetings_of(shared_system, ana) == []


# --- erasure ----------------------------------------------------------------------------------


def test_an_erased_members_rsvps_check_ins_and_meetings_are_erased(shared_system: System):
    ana, ben = members(shared_system, "erased", "stays")
    event = create(shared_system, starts_at=(NOW - timedelta(hours=1)).isoformat())
    base = f"/v1/events/{event['event_id']}"
    for member_id in (ana, ben):
        shared_system.as_id(member_id).put(f"{base}/rsvps/{member_id}", json={"status": "going"})
        shared_system.as_id(member_id).put(f"{base}/check-ins/{member_id}")
    meeting = (
        shared_system.as_id(ana)
        .post("/v1/meetings", json={"participant_ids": [ana, ben], "started_at": NOW.isoformat()})
        .json()
    )

    assert shared_system.as_id(ana).delete(f"/v1/members/{ana}").status_code == 204

    # ana's token names no member any more; the events service erases her from what others see
    assert shared_system.as_id(ana).get(f"/v1/members/{ana}/meetings").status_code == 403
    wait_until(
        lambda: (
            shared_system.signed_in().get(f"/v1/meetings/{meeting['meeting_id']}").status_code
            == 404
        )
    )
    assert [a["member_id"] for a in attendees(shared_system, event["event_id"])["items"]] == [ben]
    assert meetings_of(shared_system, ben) == []  # a meeting of one is no meeting


def test_a_meeting_logged_again_with_the_same_idempotency_key_is_logged_once(
    shared_system: System,
):
    ana, ben = members(shared_system, "twice-a", "twice-b")
    key = {"Idempotency-Key": unique("log-meeting")}
    body = {"participant_ids": [ana, ben], "started_at": (NOW - timedelta(hours=1)).isoformat()}
    first = shared_system.as_id(ana).post("/v1/meetings", json=body, headers=key)
    again = shared_system.as_id(ana).post("/v1/meetings", json=body, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert [m["meeting_id"] for m in meetings_of(shared_system, ana)] == [
        first.json()["meeting_id"]
    ]
