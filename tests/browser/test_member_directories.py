"""Members in the browser: unblocking from People, joining an open group from the directory
(without JavaScript), the list of conversations, and organising an event (create, edit,
cancel; errors in words next to the field); every page checked by axe and kept as a
screenshot."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.browser.test_member_pages_content import connected


def test_a_member_sees_whom_they_block_and_unblocks_them(page_as, system, axe, shot):
    tag = uuid.uuid4().hex[:4]
    ana, ben = connected(system, f"ana-{tag}", f"ben-{tag}")
    ben_name = f"ben-{tag}".title()
    page = page_as(f"ana-{tag}")
    page.goto(f"{system.base_url}/people")
    page.get_by_role("button", name=f"Block {ben_name}").click()
    expect(page.get_by_role("status")).to_contain_text("Blocked")

    blocks = page.locator("section", has=page.get_by_role("heading", name="Members you block"))
    expect(blocks.get_by_role("listitem")).to_contain_text(ben_name)
    assert axe(page) == []
    shot(page, "people-blocks")

    blocks.get_by_role("button", name=f"Unblock {ben_name}").click()
    expect(page.get_by_role("status")).to_contain_text("Unblocked.")
    expect(blocks).to_contain_text("You block nobody.")
    listed = system.as_id(ana).get(f"/v1/members/{ana}/blocks").json()["items"]
    assert listed == [] and ben


def test_a_member_joins_an_open_group_from_the_directory_without_javascript(
    page_as, system, axe, shot
):
    tag = uuid.uuid4().hex[:4]
    owner, _ = system.registered(f"gus-{tag}", f"hal-{tag}")
    name = f"Rust readers {tag}"
    created = system.as_id(owner).post("/v1/groups", json={"name": name, "topic": "books"})
    assert created.status_code == 201, created.text
    hidden = system.as_id(owner).post(
        "/v1/groups", json={"name": f"Board {tag}", "privacy": "private"}
    )
    assert hidden.status_code == 201, hidden.text

    seen = page_as(f"hal-{tag}")
    seen.goto(f"{system.base_url}/groups")
    listed = seen.locator("section", has=seen.get_by_role("heading", name="Open groups"))
    expect(listed.get_by_role("listitem").filter(has_text=name)).to_contain_text("1 member")
    expect(listed).not_to_contain_text(f"Board {tag}")
    assert axe(seen) == []
    shot(seen, "groups-directory")

    page = page_as(f"hal-{tag}", scripts=False)  # axe needs scripts: checked above
    page.goto(f"{system.base_url}/groups")
    directory = page.locator("section", has=page.get_by_role("heading", name="Open groups"))
    directory.get_by_role("button", name=f"Join {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.goto(f"{system.base_url}/groups")
    expect(directory.get_by_role("listitem").filter(has_text=name)).to_contain_text(
        "You are a member."
    )
    expect(page.get_by_role("heading", name="Your groups")).to_be_visible()


def test_a_member_sees_their_conversations_with_the_latest_message(page_as, system, axe, shot):
    tag = uuid.uuid4().hex[:4]
    ivy, jon, kim = connected(system, f"ivy-{tag}", f"jon-{tag}", f"kim-{tag}")
    for sender, recipient, body in (
        (ivy, jon, "Lunch on Friday?"),
        (ivy, kim, "Welcome to the team"),
        (jon, ivy, "Friday works, see you at noon"),
    ):
        sent = system.as_id(sender).post(
            "/v1/direct-messages", json={"recipient_id": recipient, "body": body}
        )
        assert sent.status_code == 201, sent.text

    page = page_as(f"ivy-{tag}", phone=True)
    page.goto(f"{system.base_url}/messages")
    talks = page.locator("ul.conversations > li")
    expect(talks).to_have_count(2)
    expect(talks.first).to_contain_text(f"jon-{tag}".title())
    expect(talks.first).to_contain_text("Friday works, see you at noon")
    expect(talks.nth(1)).to_contain_text("You,")
    expect(talks.nth(1)).to_contain_text("Welcome to the team")
    assert axe(page) == []
    shot(page, "messages-conversations")

    talks.first.get_by_role("link").click()
    expect(page.get_by_text("Lunch on Friday?")).to_be_visible()


def test_an_organiser_creates_edits_and_cancels_an_event(page_as, system, axe, shot):
    tag = uuid.uuid4().hex[:4]
    system.registered(f"lea-{tag}", f"max-{tag}")
    title = f"Design critique {tag}"
    page = page_as(f"lea-{tag}")
    page.goto(f"{system.base_url}/events")
    page.get_by_role("link", name="Create an event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an event")
    assert axe(page) == []

    page.get_by_label("Title").fill(title)
    page.get_by_label("Kind").select_option("workshop")
    page.get_by_label("Time zone of these times").fill("Mars/Olympus")
    page.get_by_role("button", name="Create the event").click()
    expect(page.get_by_label("Time zone of these times")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#timezone-error")).to_contain_text("time zone such as UTC")
    expect(page.get_by_label("Title")).to_have_value(title)  # what was typed stays
    assert axe(page) == []
    shot(page, "event-form-error-next-to-the-field")

    page.get_by_label("Time zone of these times").fill("Europe/Lisbon")
    page.get_by_label("Where").fill("Studio 2")
    page.get_by_role("button", name="Create the event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("status")).to_contain_text("Event created")
    expect(page.locator("dl")).to_contain_text("Studio 2")
    event_path = re.sub(r"\?.*", "", page.url)

    page.get_by_role("link", name="Edit or cancel this event").click()
    expect(page.get_by_label("Where")).to_have_value("Studio 2")
    assert axe(page) == []
    shot(page, "event-edit")
    page.get_by_label("Where").fill("Studio 3")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_role("status")).to_contain_text("Changes saved.")
    expect(page.locator("dl")).to_contain_text("Studio 3")

    other = page_as(f"max-{tag}")
    other.goto(f"{event_path}/edit")
    expect(other.get_by_role("heading", level=1)).to_have_text("Not yours to see")
    expect(other.get_by_text("Only the event's organiser")).to_be_visible()
    expect(other.get_by_role("link", name="Edit or cancel this event")).to_have_count(0)

    page.get_by_role("link", name="Edit or cancel this event").click()
    page.get_by_role("button", name=f"Cancel {title}").click()
    expect(page.get_by_role("status")).to_contain_text("Event cancelled.")
    expect(page.locator("dl")).to_contain_text("Cancelled")
    assert axe(page) == []
    shot(page, "event-cancelled")
