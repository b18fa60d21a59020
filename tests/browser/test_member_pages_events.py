"""Members in the browser: events (upcoming and past, RSVP, check in), logging a meeting with
an error in words next to the field, and direct messages, on a phone-sized screen too; every
page checked by axe and kept as a screenshot."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.system import System


def event(system: System, organiser: str, title: str, starts: timedelta, hours: float) -> dict:
    start = datetime.now(UTC) + starts
    body = {
        "title": title,
        "kind": "meetup",
        "format": "in_person",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
        "venue": "Lisbon office, 3rd floor",
    }
    created = system.as_id(organiser).post("/v1/events", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def test_a_member_answers_checks_in_and_logs_a_meeting(page_as, system, axe, shot):
    tag = uuid.uuid4().hex[:4]
    eva, fin = system.registered(f"eva-{tag}", f"fin-{tag}")
    fin_name = f"fin-{tag}".title()  # as registered: the handle, titled
    request = system.as_id(eva).post("/v1/connection-requests", json={"addressee_id": fin})
    system.as_id(fin).post(f"/v1/connection-requests/{request.json()['id']}/accept")
    later = event(system, eva, f"Data meetup {tag}", timedelta(days=3), 2)
    now = event(system, eva, f"Guild evening {tag}", -timedelta(hours=1), 3)
    past = event(system, eva, f"Spring social {tag}", -timedelta(days=2), 2)

    page = page_as(f"eva-{tag}")
    page.goto(f"{system.base_url}/events")
    upcoming = page.get_by_role("heading", name="Upcoming").locator(
        "xpath=following-sibling::ul[1]"
    )
    expect(upcoming).to_contain_text(later["title"])
    expect(upcoming.get_by_role("listitem").filter(has_text=now["title"])).to_contain_text(
        "happening now"
    )
    gone = page.get_by_role("heading", name="Past").locator("xpath=following-sibling::ul[1]")
    expect(gone).to_contain_text(past["title"])
    expect(gone).not_to_contain_text(later["title"])
    assert axe(page) == []
    shot(page, "events-list")

    page.get_by_role("link", name=later["title"]).click()
    expect(page.get_by_text("Check-in opens when the event starts")).to_be_visible()
    page.get_by_role("button", name="Maybe").click()
    expect(page.get_by_role("button", name="Maybe")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Going", exact=True).click()
    expect(page.get_by_role("button", name="Going", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_role("row").filter(has_text="going")).to_contain_text(f"eva-{tag}".title())
    assert axe(page) == []
    shot(page, "event-going")

    page.goto(f"{system.base_url}/events/{now['event_id']}")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("You checked in")).to_contain_text("in person")
    assert axe(page) == []
    shot(page, "event-checked-in")

    # a meeting needs someone else: the API's refusal, next to the field that caused it
    page.goto(f"{system.base_url}/events")
    page.get_by_role("button", name="Log the meeting").click()
    expect(page.locator("#participant_ids-error")).to_contain_text("at least one colleague")
    assert axe(page) == []
    shot(page, "meeting-error-next-to-the-field")
    page.get_by_label(fin_name).check()
    page.get_by_label("Length in minutes").fill("50")
    page.get_by_label("At an event").select_option(value=now["event_id"])
    page.get_by_role("button", name="Log the meeting").click()
    expect(page.get_by_role("status")).to_contain_text("Meeting logged")
    meetings = page.get_by_role("heading", name="In-person meetings")
    expect(meetings.locator("xpath=following-sibling::ul[1]")).to_contain_text(f"With {fin_name}")
    expect(meetings.locator("xpath=following-sibling::ul[1]")).to_contain_text("50 minutes")


def test_direct_messages_on_a_phone(page_as, system, axe, shot):
    tag = uuid.uuid4().hex[:4]
    gus, hal = system.registered(f"gus-{tag}", f"hal-{tag}")
    hal_name = f"hal-{tag}".title()  # as registered: the handle, titled
    request = system.as_id(gus).post("/v1/connection-requests", json={"addressee_id": hal})
    system.as_id(hal).post(f"/v1/connection-requests/{request.json()['id']}/accept")

    page = page_as(f"gus-{tag}", phone=True)
    page.goto(f"{system.base_url}/messages")
    assert axe(page) == []
    shot(page, "messages-phone")
    page.get_by_role("link", name=hal_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Messages with {hal_name}")
    page.get_by_label(f"Message to {hal_name}").fill("   ")  # passes the browser, not the API
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#body-error")).to_contain_text("at least 1 character")
    page.get_by_label(f"Message to {hal_name}").fill("Lunch at the guild evening?")
    page.get_by_role("button", name="Send").click()
    expect(
        page.get_by_role("listitem").filter(has_text="Lunch at the guild evening?")
    ).to_contain_text("You")
    expect(page.get_by_label(f"Message to {hal_name}")).to_have_value("")
    assert axe(page) == []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    shot(page, "conversation-phone")

    other = page_as(f"hal-{tag}")
    other.goto(f"{system.base_url}/messages/{gus}")
    expect(
        other.get_by_role("listitem").filter(has_text="Lunch at the guild evening?")
    ).to_contain_text(f"gus-{tag}".title())
