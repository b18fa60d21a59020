"""The people team's insights in the browser: the org's figures as charts, a team large
enough to show, and a team below the minimum shown as suppressed with the reason."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.e2e.system import System, wait_until

CHARTS = (
    "Pairs by status",
    "Members by online/offline balance",
    "Members without a steady or thriving relationship",
    re.compile(r"^Online and offline networking, last \d+ weeks"),
)


def thriving_pairs(system: System, team: str) -> int:
    answer = system.analyst().get(f"/v1/insights/teams/{team}")
    return answer.json()["pairs_by_status"]["thriving"] if answer.status_code == 200 else 0


def met_in_person(system: System, one: str, other: str) -> None:
    """Connected, and a two-hour meeting yesterday: a thriving pair, offline networking."""
    for member in (one, other):
        system.known_to(("connections", "list_connections"), member)
        system.known_to(("events", "list_member_meetings"), member)
    request = system.as_id(one).post("/v1/connection-requests", json={"addressee_id": other})
    assert request.status_code == 201, request.text
    accepted = system.as_id(other).post(f"/v1/connection-requests/{request.json()['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    started = datetime.now(UTC) - timedelta(days=1)
    meeting = {
        "participant_ids": [one, other],
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(hours=2)).isoformat(),
    }
    logged = system.as_id(one).post("/v1/meetings", json=meeting)
    assert logged.status_code == 201, logged.text


def charts_in(page: Page, section: str) -> None:
    """Each insights chart is an image named by its title, described in words."""
    region = page.get_by_role("region", name=re.compile(section))
    for name in CHARTS:
        chart = region.get_by_role("img", name=name)
        expect(chart).to_have_count(1)
        expect(chart.locator("desc")).not_to_be_empty()


def test_an_analyst_sees_insights_and_a_suppressed_small_team(page_as, system, axe, shot):
    large, small = f"platform-{uuid.uuid4().hex[:4]}", f"tiny-{uuid.uuid4().hex[:4]}"
    team = [system.register(f"{large}-{n}", team=large)["member_id"] for n in range(5)]
    for n in range(2):
        system.register(f"{small}-{n}", team=small)
    met_in_person(system, team[0], team[1])
    # a team's figures are released once 5 of its members are active: the others post
    for member in team[2:]:
        for n in range(2):
            posted = system.as_id(member).post("/v1/posts", json={"body": f"note {n}"})
            assert posted.status_code == 201, posted.text
    wait_until(lambda: thriving_pairs(system, large) >= 1, timeout=30)
    members = system.analyst().get("/v1/insights/org").json()["members"]

    page = page_as("people-lead", role="analyst", team="people")
    page.goto(f"{system.base_url}/insights")
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights")
    expect(page.get_by_role("heading", name=re.compile("The organisation"))).to_contain_text(
        f"{members} members"
    )
    charts_in(page, "The organisation")
    pairs = page.get_by_role("img", name="Pairs by status").first
    expect(pairs.locator("desc")).to_contain_text(re.compile(r"Thriving: [1-9]\d* pairs?"))
    assert axe(page) == []
    shot(page, "people-team-org-insights")

    page.get_by_label("Team name").fill(small)
    page.get_by_role("button", name="Show the team").click()
    suppressed = page.get_by_role("status")
    expect(suppressed).to_contain_text(f"Team “{small}”: not shown")
    expect(suppressed).to_contain_text("5 or more members")
    team_field = page.get_by_label("Team name")
    expect(team_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#team-error")).to_contain_text("5 or more members")
    expect(page.get_by_role("region", name="A team").get_by_role("img")).to_have_count(0)
    assert axe(page) == []
    shot(page, "people-team-suppressed-small-team")

    page.get_by_label("Team name").fill(large)
    page.get_by_role("button", name="Show the team").click()
    expect(page.get_by_role("heading", name=re.compile(f"Team “{large}”"))).to_contain_text(
        "5 members"
    )
    charts_in(page, "A team")
    assert axe(page) == []
    shot(page, "people-team-team-insights")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: charts scale down
    width = page.get_by_role("img", name="Pairs by status").first.bounding_box()["width"]
    assert width <= 390
    shot(page, "people-team-insights-phone")


def test_a_member_cannot_open_the_insights(page_as, system):
    page = page_as(f"curious-{uuid.uuid4().hex[:4]}")
    response = page.goto(f"{system.base_url}/insights")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("analyst")
