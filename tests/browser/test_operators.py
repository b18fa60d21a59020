"""An operator sees the failed webhook deliveries with their reasons and replays them: one
that succeeds once its event exists, one whose type is still unsupported."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.scenario import event_upserted, webhook
from tests.e2e.system import System, wait_until


def delivered(system: System, webhook_id: str, status: str) -> dict | None:
    found = system.operator().get("/v1/webhooks/deliveries", params={"status": status})
    assert found.status_code == 200, found.text
    return next((d for d in found.json()["items"] if d["webhook_id"] == webhook_id), None)


def failed_delivery(system: System, payload: dict) -> dict:
    """Send a signed delivery that the events service cannot normalise; wait until it is
    kept as failed."""
    answer, _, _ = webhook(system, payload)
    assert answer.status_code == 202, answer.text
    webhook_id = answer.json()["webhook_id"]
    return wait_until(lambda: delivered(system, webhook_id, "failed"), timeout=15)


def check_in_at(external_id: str) -> dict:
    return {
        "type": "attendee.checked_in",
        "timestamp": datetime.now(UTC).isoformat(),
        "data": {
            "event_external_id": external_id,
            "email": "someone@example.org",
            "checked_in_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        },
    }


def test_an_operator_replays_failed_deliveries(page_as, system, axe, shot):
    unsupported = failed_delivery(system, {"type": "badge.printed", "data": {}})
    external_id = f"ext-{uuid.uuid4().hex[:8]}"
    too_early = failed_delivery(system, check_in_at(external_id))  # its event is not known yet

    page = page_as("site-ops", role="operator")
    page.goto(f"{system.base_url}/deliveries")
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhook deliveries")
    for delivery in (unsupported, too_early):
        row = page.locator(f"#delivery-{delivery['delivery_id']}")
        expect(row).to_contain_text(delivery["webhook_id"])
        expect(row).to_contain_text(delivery["reason"])  # why it failed, in words
    assert axe(page) == []
    shot(page, "operators-failed-deliveries")

    # the event arrives: the check-in can now be normalised
    arrived, _, _ = webhook(system, event_upserted(external_id))
    assert arrived.status_code == 202, arrived.text
    wait_until(lambda: delivered(system, arrived.json()["webhook_id"], "normalised"), timeout=15)
    row = page.locator(f"#delivery-{too_early['delivery_id']}")
    row.get_by_role("button", name=re.compile("^Replay")).click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Delivery {too_early['delivery_id']} replayed: normalised"
    )
    expect(page.locator(f"#delivery-{too_early['delivery_id']}")).to_have_count(0)
    assert delivered(system, too_early["webhook_id"], "normalised") is not None
    shot(page, "operators-replayed-normalised")

    # a type nobody supports fails again, and says why
    row = page.locator(f"#delivery-{unsupported['delivery_id']}")
    row.get_by_role("button", name=re.compile("^Replay")).click()
    expect(page.get_by_role("status")).to_contain_text("failed again")
    expect(page.locator(f"#delivery-{unsupported['delivery_id']}")).to_contain_text("unsupported")
    assert axe(page) == []

    page.get_by_label("Source").fill("No Such Source!")  # the API's refusal, by the field
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_label("Source")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#source-error")).not_to_be_empty()
    assert axe(page) == []
    shot(page, "operators-source-refused")

    page.get_by_label("Source").fill("")
    page.get_by_label("Status").select_option("normalised")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Normalised deliveries")).to_be_visible()
    expect(page.locator(f"#delivery-{too_early['delivery_id']}")).to_be_visible()
    shot(page, "operators-normalised-deliveries")


def test_a_member_cannot_open_the_deliveries(page_as, system):
    page = page_as("not-an-operator")
    response = page.goto(f"{system.base_url}/deliveries")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not yours to see")
    expect(page.get_by_role("alert")).to_contain_text("operator")
