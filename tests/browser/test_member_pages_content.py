"""Members in the browser: the feed (post, react, comment, share, order by value, mute) and a
group with its chat, every page checked by axe and kept as a screenshot."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.e2e.system import System


def connected(system: System, *handles: str) -> list[str]:
    """Register members through the API (the web finds them at sign-in) and connect the first
    with each other one."""
    ids = system.registered(*handles)
    for other in ids[1:]:
        request = system.as_id(ids[0]).post("/v1/connection-requests", json={"addressee_id": other})
        assert request.status_code == 201, request.text
        accept = system.as_id(other).post(f"/v1/connection-requests/{request.json()['id']}/accept")
        assert accept.status_code == 200, accept.text
    return ids


def post_card(page: Page, text: str):
    return page.locator("article.post").filter(has_text=text).first


def test_members_post_react_comment_share_and_mute_in_the_feed(page_as, system, axe, shot):
    tag = uuid.uuid4().hex[:4]
    ana, ben = f"ana-{tag}", f"ben-{tag}"
    connected(system, ana, ben)
    page = page_as(ana)
    page.goto(f"{system.base_url}/feed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Feed")
    assert axe(page) == []

    # the API's refusal, in words, next to the field (white space passes the browser's check)
    page.get_by_label("Post", exact=True).fill("   ")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_label("Post", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#body-error")).to_contain_text("at least 1 character")
    assert axe(page) == []
    shot(page, "feed-error-next-to-the-field")

    page.get_by_label("Post", exact=True).fill(f"Notes from the data guild {tag}")
    page.get_by_label("Link").fill("https://example.org/notes")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(post_card(page, f"data guild {tag}")).to_be_visible()

    other = page_as(ben)
    other.goto(f"{system.base_url}/feed")
    card = post_card(other, f"data guild {tag}")
    card.get_by_role("button", name=re.compile("^Insightful 0")).click()
    pressed = post_card(other, f"data guild {tag}").get_by_role(
        "button", name=re.compile("^Insightful 1")
    )
    expect(pressed).to_have_attribute("aria-pressed", "true")
    post_card(other, f"data guild {tag}").get_by_role("link", name=re.compile("^Comments")).click()
    expect(other.get_by_role("heading", level=1)).to_contain_text("Post by")
    other.get_by_label("Your comment").fill("Thanks, very useful")
    other.get_by_role("button", name="Comment").click()
    expect(other.get_by_role("listitem").filter(has_text="Thanks, very useful")).to_be_visible()
    other.get_by_label("Add a comment").fill("Worth a read")
    other.get_by_role("button", name="Share with your network").click()
    expect(other.get_by_role("status")).to_contain_text("You shared this post")
    assert axe(other) == []
    shot(other, "feed-post-with-comment")

    page.goto(f"{system.base_url}/feed?order=value")
    card = post_card(page, f"data guild {tag}")
    expect(card).to_contain_text("Insightful 1")
    expect(card.get_by_role("link", name=re.compile("^Comments"))).to_contain_text("(1)")
    expect(card).to_contain_text("value")
    assert axe(page) == []
    shot(page, "feed-by-value")

    other.goto(f"{system.base_url}/feed")
    post_card(other, f"data guild {tag}").get_by_role("button", name=re.compile("^Mute")).click()
    expect(other.locator("article.post").filter(has_text=f"data guild {tag}")).to_have_count(0)
    muted = other.get_by_role("listitem").filter(has_text="member, muted")
    expect(muted).to_contain_text(ana.title())
    muted.get_by_role("button", name=re.compile("^Unmute")).click()
    expect(post_card(other, f"data guild {tag}")).to_be_visible()


def test_a_member_starts_a_group_and_chats_in_it(page_as, system, axe, shot):
    tag = uuid.uuid4().hex[:4]
    cho, dev = f"cho-{tag}", f"dev-{tag}"
    connected(system, cho, dev)
    page = page_as(cho)
    page.goto(f"{system.base_url}/groups")
    assert axe(page) == []
    page.get_by_label("Name").fill(f"Data guild {tag}")
    page.get_by_label("Topic").fill("Pipelines, warehouses and the people who run them")
    page.get_by_role("button", name="Start the group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Data guild {tag}")
    expect(page.get_by_text("You are the owner.")).to_be_visible()
    page.get_by_label("Message to the group").fill("Welcome, everyone")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat").get_by_text("Welcome, everyone")).to_be_visible()
    expect(page.get_by_label("Message to the group")).to_have_value("")  # htmx swapped the chat
    page.get_by_label("Post", exact=True).fill(f"First meetup of the guild {tag} next week")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Posted")
    group_url = page.url.split("?")[0]
    page.goto(f"{system.base_url}/groups")
    mine = page.locator("section", has=page.get_by_role("heading", name="Your groups"))
    expect(mine.get_by_role("listitem").filter(has_text=f"Data guild {tag}")).to_contain_text(
        "1 member"
    )
    page.goto(group_url)
    assert axe(page) == []
    shot(page, "group-with-chat")

    other = page_as(dev)
    other.goto(group_url)  # the link cho shared
    other.get_by_role("button", name="Join the group").click()
    expect(other.get_by_text("You are a member.")).to_be_visible()
    expect(other.locator("#chat").get_by_text("Welcome, everyone")).to_be_visible()
    other.get_by_label("Message to the group").fill("Glad to be here")
    other.get_by_role("button", name="Send").click()
    expect(other.locator("#chat").get_by_text("Glad to be here")).to_be_visible()
    assert axe(other) == []

    other.goto(f"{system.base_url}/groups")
    theirs = other.locator("section", has=other.get_by_role("heading", name="Your groups"))
    expect(theirs.get_by_role("link", name=f"Data guild {tag}")).to_be_visible()
    assert axe(other) == []
    shot(other, "groups-list")

    page.reload()
    expect(page.locator("#chat").get_by_text("Glad to be here")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Members").locator("xpath=following-sibling::ul[1]")
    ).to_contain_text(dev.title())


def test_posting_reacting_and_chatting_work_without_javascript(browser, system, shot):
    """htmx only improves the forms: with scripts off they post and redirect."""
    tag = uuid.uuid4().hex[:4]
    _, jon = connected(system, f"ida-{tag}", f"jon-{tag}")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, system, f"ida-{tag}", "member", None)
        page.goto(f"{system.base_url}/feed")
        page.get_by_label("Post", exact=True).fill(f"No scripts needed {tag}")
        page.get_by_role("button", name="Post", exact=True).click()
        card = post_card(page, f"No scripts needed {tag}")
        card.get_by_role("button", name=re.compile("^Celebrate 0")).click()
        card = post_card(page, f"No scripts needed {tag}")
        expect(card.get_by_role("button", name=re.compile("^Celebrate 1"))).to_have_attribute(
            "aria-pressed", "true"
        )
        card.get_by_role("button", name=re.compile("^Celebrate 1")).click()  # taken back
        expect(post_card(page, f"No scripts needed {tag}")).to_contain_text("Celebrate 0")

        page.goto(f"{system.base_url}/messages/{jon}")
        page.get_by_label(re.compile("^Message to")).fill("Sent without a script")
        page.get_by_role("button", name="Send").click()
        expect(
            page.get_by_role("listitem").filter(has_text="Sent without a script")
        ).to_be_visible()

        page.goto(f"{system.base_url}/groups")
        page.get_by_label("Name").fill(f"Quiet room {tag}")
        page.get_by_role("button", name="Start the group").click()
        page.get_by_label("Message to the group").fill("Plain forms work")
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#chat").get_by_text("Plain forms work")).to_be_visible()
        shot(page, "group-without-javascript")
    finally:
        context.close()
