"""Team insights cannot be gamed into showing one member: the victim-plus-four-sybils attack.

The attack of issue 10: register four members with the victim's team so that the team reaches
the minimum of 5, then read the team's weekly trend, which is then the victim's own balance.
A team now comes only from the identity provider's team claim (copied at registration): a
member cannot name one in their registration or change it in their profile, so the four
sybils, signed in with their own tokens, never join the victim's team, and the team stays
below the minimum: no figure at all is released for it.

The same attack by four members the provider did put in the victim's team (colluding
colleagues, or idle accounts) meets the second rule: a team's figures are released only when
at least the minimum of its members are active, and each week of its trend only when that many
were active that week; otherwise idle teammates would leave the victim's own figures bare.
"""

from __future__ import annotations

import uuid

from tests.e2e.system import System, wait_until

TEAM = "victims-team"


def active(system: System, member_id: str, posts: int = 2) -> None:
    """Some online activity of a member's own (each post weighs 1)."""
    for n in range(posts):
        posted = system.as_id(member_id).post("/v1/posts", json={"body": f"post {n}"})
        assert posted.status_code == 201, posted.text


def test_four_sybils_cannot_join_a_victims_team_and_no_figure_of_it_is_released(
    shared_system: System,
):
    system = shared_system
    victim = system.register("victim", team=TEAM)
    assert victim["team"] == TEAM
    system.known_to(("aggregator", "relationships"), victim["member_id"])
    analyst = system.analyst()

    for n in range(4):
        handle = f"sybil-{n}"
        refused = system.as_member(handle).post(
            "/v1/members", json={"handle": handle, "name": "Sybil", "team": TEAM}
        )
        assert refused.status_code == 422, refused.text
        assert "team" in [e["field"] for e in refused.json()["errors"]]
        sybil = system.register(handle)
        assert sybil["team"] == ""
        changed = system.as_id(sybil["member_id"]).patch(
            f"/v1/members/{sybil['member_id']}", json={"team": TEAM}
        )
        assert changed.status_code == 422, changed.text
        system.known_to(("aggregator", "relationships"), sybil["member_id"])

    # the sybils' balance activity is there, the team still has one member: refused, no figure
    (peer,) = system.registered("victim-peer")
    request = system.as_id(victim["member_id"]).post(
        "/v1/connection-requests", json={"addressee_id": peer}
    )
    assert request.status_code == 201, request.text

    def answer():
        response = analyst.get(f"/v1/insights/teams/{TEAM}")
        return response if response.status_code != 503 else None

    response = wait_until(answer)
    assert response.status_code == 403, response.text
    assert "weekly_trend" not in response.text
    assert response.json()["errors"][0]["field"] == "team"


def test_only_analysts_read_insights(shared_system: System):
    member = shared_system.register("curious")
    as_member = shared_system.as_id(member["member_id"])
    assert as_member.get("/v1/insights/org").status_code == 403
    assert as_member.get(f"/v1/insights/teams/{TEAM}").status_code == 403
    assert shared_system.operator().get("/v1/insights/org").status_code == 403
    assert shared_system.analyst().get("/v1/insights/org").status_code == 200


def test_idle_teammates_leave_no_figure_of_the_one_active_member(shared_system: System):
    system = shared_system
    team = f"quiet-{uuid.uuid4().hex[:6]}"
    victim, *teammates = (system.register(f"{team}-{n}", team=team)["member_id"] for n in range(5))
    for member in (victim, *teammates):
        system.known_to(("aggregator", "relationships"), member)
    active(system, victim)
    wait_until(
        lambda: system.as_id(victim).get(f"/v1/members/{victim}/balance").json()["online"] > 1.5
    )
    analyst = system.analyst()

    refused = analyst.get(f"/v1/insights/teams/{team}")
    assert refused.status_code == 403, refused.text
    assert "active" in refused.json()["detail"]
    assert "weekly_trend" not in refused.text and "members_by_balance" not in refused.text

    # once the whole team is active, the team's figures and this week's trend are released
    for member in teammates:
        active(system, member)

    def released():
        response = analyst.get(f"/v1/insights/teams/{team}")
        return response.json() if response.status_code == 200 else None

    figures = wait_until(released)
    assert figures["members"] == 5
    assert figures["members_by_balance"]["inactive"] == 0
    *earlier, this_week = figures["weekly_trend"]
    assert this_week["active_members"] == 5 and this_week["suppressed"] is None
    assert this_week["online"] >= 5  # at least one post each (the rest may be on its way)
    # the earlier weeks had nobody active: withheld, with the reason
    assert all(w["suppressed"] and w["online"] is None for w in earlier)
