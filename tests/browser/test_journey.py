"""Two members' journey in a real browser: they sign in, fill their profiles and watch the
strength meter rise, connect through a suggestion, exchange direct messages, log a meeting,
and each sees the relationship's health and the balance chart change; neither can open the
other's relationships page. Every page visited passes axe (no serious or critical
violation) and is kept as a screenshot."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from playwright.sync_api import Page, expect

PROFILES = {
    "ana": {
        "Headline": "Research analyst",
        "Industry": "Software",
        "Keywords": "analytics, python, data pipelines",
        "Skills": "python, statistics, sql, visualisation, writing",
        "Goals": "Learn data engineering with python and spark",
    },
    "ben": {
        "Headline": "Data engineer",
        "Industry": "Software",
        "Keywords": "spark, python, data engineering",
        "Skills": "python, spark, sql, airflow, data engineering",
        "Goals": "Mentor analysts in python",
    },
}


class Visits:
    """Every page visited: checked with axe and saved as a screenshot."""

    def __init__(self, axe: Callable, shot: Callable) -> None:
        self.axe, self.shot, self.count = axe, shot, 0

    def check(self, page: Page, name: str) -> None:
        self.count += 1
        self.shot(page, f"journey-{self.count:02d}-{name}")
        violations = self.axe(page)
        assert violations == [], f"{name} ({page.url}): {violations}"


def reload_until(page: Page, url: str, found: Callable[[], bool], timeout: float = 30.0) -> None:
    """Open `url` again until `found()` (the services learn of changes from events)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if found():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}: not found within {timeout}s")
        page.wait_for_timeout(250)  # the page itself is the poll: no sleep in the test's logic


def strength(page: Page) -> int:
    return int(page.locator(".strength-score").inner_text())


def fill_profile(page: Page, base: str, handle: str, visits: Visits) -> None:
    page.goto(f"{base}/profile")
    before = strength(page)
    visits.check(page, f"profile-{handle}-empty")
    for label, value in PROFILES[handle].items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    assert strength(page) > before, "the strength meter rises with a fuller profile"
    expect(page.locator("#strength-meter")).to_have_attribute("value", str(strength(page)))
    visits.check(page, f"profile-{handle}-filled")


def health(page: Page, other_id: str) -> float:
    return float(
        page.locator(f'.relationship[data-member="{other_id}"] .health-figure').inner_text()
    )


def test_two_members_connect_talk_meet_and_see_their_relationship_grow(page_as, system, axe, shot):
    visits = Visits(axe, shot)
    base = system.base_url
    ana, ben = page_as("ana", team="research"), page_as("ben", team="research")
    visits.check(ana, "home-ana-new")

    # a bad profile field: the API's error, in words, next to the field
    ana.goto(f"{base}/profile")
    ana.get_by_label("Headshot URL").fill("not a url")
    ana.get_by_role("button", name="Save profile").click()
    expect(ana.locator("#headshot_url-error")).to_be_visible()
    expect(ana.get_by_label("Headshot URL")).to_have_attribute("aria-invalid", "true")
    visits.check(ana, "profile-ana-error")
    ana.get_by_label("Headshot URL").fill("")
    ana.get_by_role("button", name="Save profile").click()

    fill_profile(ana, base, "ana", visits)
    fill_profile(ben, base, "ben", visits)

    # ana connects with ben through a suggestion, with its reasons
    connect = ana.get_by_role("button", name="Connect with Ben")
    reload_until(ana, f"{base}/people", lambda: connect.count() > 0)
    card = ana.locator(".suggestion", has=connect)
    expect(card.locator(".reasons li").first).to_be_visible()
    ben_id = card.get_attribute("data-member")
    visits.check(ana, "people-ana-suggestions")
    connect.click()
    expect(ana.get_by_role("status")).to_contain_text("Request sent")
    visits.check(ana, "people-ana-requested")

    ben.goto(f"{base}/people")
    expect(ben.locator(".request")).to_contain_text("Ana")
    visits.check(ben, "people-ben-incoming")
    ben.get_by_role("button", name="Accept").click()
    expect(ben.get_by_role("status")).to_contain_text("Connected")
    ana_id = ben.locator(".connection").first.get_attribute("data-member")
    visits.check(ben, "people-ben-connected")

    # ana follows ben: her people page says so once the relationship knows it
    ana.goto(f"{base}/people")
    ana.get_by_role("button", name="Follow Ben").click()
    expect(ana.get_by_role("status")).to_contain_text("You follow them now")
    following = ana.locator(".connection", has_text="You follow them.")
    reload_until(ana, f"{base}/people", lambda: following.count() == 1)
    expect(ana.get_by_role("button", name="Unfollow Ben")).to_be_visible()
    visits.check(ana, "people-ana-following")

    # the relationship as it stands: trust only
    reload_until(ana, f"{base}/relationships", lambda: ana.locator(".relationship").count() > 0)
    health_before = {"ana": health(ana, ben_id)}
    visits.check(ana, "relationships-ana-connected")
    reload_until(ben, f"{base}/relationships", lambda: ben.locator(".relationship").count() > 0)
    health_before["ben"] = health(ben, ana_id)
    chart_before = {}
    for page, name in ((ana, "ana"), (ben, "ben")):
        page.goto(f"{base}/balance")
        chart_before[name] = page.locator("#balance-chart svg").inner_html()
        visits.check(page, f"balance-{name}-before")

    # direct messages, both ways
    ana.goto(f"{base}/messages/{ben_id}")
    ana.get_by_label("Message to Ben").fill("Hello Ben, could you show me your spark pipelines?")
    ana.get_by_role("button", name="Send").click()
    expect(ana.locator("#conversation")).to_contain_text("spark pipelines")
    visits.check(ana, "messages-ana")
    ben.goto(f"{base}/messages/{ana_id}")
    expect(ben.locator("#conversation")).to_contain_text("spark pipelines")
    ben.get_by_label("Message to Ana").fill("Gladly: coffee on Thursday?")
    ben.get_by_role("button", name="Send").click()
    expect(ben.locator("#conversation")).to_contain_text("coffee on Thursday")
    visits.check(ben, "messages-ben")

    # a meeting in person, logged by ana with ben
    ana.goto(f"{base}/events")
    ana.get_by_label("Ben").check()
    ana.get_by_label("Length in minutes").fill("45")
    ana.get_by_role("button", name="Log the meeting").click()
    expect(ana.locator("#meetings ~ *").first).to_be_visible()
    expect(ana.get_by_text("You have logged no meetings yet.")).to_have_count(0)
    visits.check(ana, "events-ana-meeting")

    # each sees the relationship's health and the balance chart change
    for page, other, name in ((ana, ben_id, "ana"), (ben, ana_id, "ben")):
        reload_until(
            page,
            f"{base}/relationships",
            lambda p=page, o=other, n=name: health(p, o) > health_before[n] + 5,
        )
        card = page.locator(f'.relationship[data-member="{other}"]')
        expect(card.locator(".explanation")).to_contain_text("direct messages")
        expect(card.locator("svg[role=img] title")).to_have_count(1)
        visits.check(page, f"relationships-{name}-after")
        reload_until(
            page,
            f"{base}/balance",
            lambda p=page: (
                re.search(r"[1-9]\d*% of your networking", p.inner_text("main")) is not None
            ),
        )
        assert page.locator("#balance-chart svg").inner_html() != chart_before[name]
        visits.check(page, f"balance-{name}-after")
        page.goto(f"{base}/")
        visits.check(page, f"home-{name}-after")

    # the status filter
    ana.goto(f"{base}/relationships?status=dormant")
    expect(ana.locator(".relationship")).to_have_count(0)
    visits.check(ana, "relationships-ana-dormant")

    # nobody opens another member's relationships page
    response = ana.goto(f"{base}/members/{ben_id}/relationships")
    assert response is not None and response.status == 403
    expect(ana.get_by_role("heading", level=1)).to_have_text("Not yours to see")
    visits.check(ana, "relationships-ana-forbidden")

    # on a phone-sized screen too
    phone = page_as("ben", phone=True)
    phone.goto(f"{base}/relationships")
    visits.check(phone, "relationships-ben-phone")
