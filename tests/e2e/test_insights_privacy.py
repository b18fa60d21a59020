"""Team insights cannot be gamed into showing one member: the victim-plus-four-sybils attack.

The attack of issue 10: register four members with the victim's team so that the team reaches
the minimum of 5, then read the team's weekly trend, which is then the victim's own balance.
A team now comes only from the identity provider's team claim (copied at registration): a
member cannot name one in their registration or change it in their profile, so the four
sybils, signed in with their own tokens, never join the victim's team, and the team stays
below the minimum: no figure at all is released for it.
"""

from __future__ import annotations

from tests.e2e.system import System, wait_until

TEAM = "victims-team"


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
