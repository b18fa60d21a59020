"""The foundation's scenario through HTTP, with every service as its own process."""

from __future__ import annotations

from tests.e2e.system import System, wait_until

FIVE_SECONDS = 5.0


def reflects(system: System, member_id: str, expected: dict[str, dict]) -> None:
    """Wait (at most 5 s) until the member's relationships are exactly `expected`."""

    def matches():
        current = system.relationships(member_id)
        view = {
            other: {k: current[other][k] for k in expected[other]}
            for other in current
            if other in expected
        }
        return current.keys() == expected.keys() and view == expected

    wait_until(matches, timeout=FIVE_SECONDS)


def test_relationships_reflect_a_request_an_acceptance_a_follow_and_a_block(system: System):
    ana, ben, chen = system.registered("ana", "ben", "chen")

    request = system.as_id(ana).post("/v1/connection-requests", json={"addressee_id": ben})
    assert request.status_code == 201, request.text
    # a request is an interaction (online, weight 1) but no connection yet
    reflects(system, ana, {ben: {"trust": 0.0, "connected": False}})

    accepted = system.as_id(ben).post(f"/v1/connection-requests/{request.json()['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    reflects(system, ana, {ben: {"trust": 1.0, "connected": True}})
    reflects(system, ben, {ana: {"trust": 1.0, "connected": True}})

    assert system.as_id(chen).put(f"/v1/members/{chen}/follows/{ana}").status_code == 200
    reflects(system, ana, {ben: {"trust": 1.0}, chen: {"trust": 0.5, "followed_by": True}})
    reflects(system, chen, {ana: {"trust": 0.5, "following": True}})

    assert system.as_id(ana).put(f"/v1/members/{ana}/blocks/{ben}").status_code == 200
    reflects(system, ana, {chen: {"trust": 0.5}})
    reflects(system, ben, {})
    connections = system.as_id(ana).get(f"/v1/members/{ana}/connections").json()["items"]
    assert connections == []

    assert system.as_id(ana).delete(f"/v1/members/{ana}/blocks/{ben}").status_code == 204
    # the pair is visible again with its history, but the block's ends stay ended
    reflects(system, ana, {ben: {"trust": 0.0, "connected": False}, chen: {"trust": 0.5}})


def test_commands_get_503_while_connections_is_down_and_work_once_it_is_back(system: System):
    ana, ben = system.registered("ana", "ben")
    system.stop("connections")

    refused = system.as_id(ana).post("/v1/connection-requests", json={"addressee_id": ben})
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert "connections" in refused.json()["detail"]
    assert system.http.get("/readyz").status_code == 503

    system.start("connections")
    system.wait_ready()
    sent = system.as_id(ana).post("/v1/connection-requests", json={"addressee_id": ben})
    assert sent.status_code == 201, sent.text


def test_the_aggregator_catches_up_after_a_stop_without_losing_or_double_counting(
    system: System,
):
    ana, ben, chen = system.registered("ana", "ben", "chen")
    system.stop("aggregator")

    request = system.as_id(ana).post("/v1/connection-requests", json={"addressee_id": ben}).json()
    system.as_id(ben).post(f"/v1/connection-requests/{request['id']}/accept")
    system.as_id(chen).put(f"/v1/members/{chen}/follows/{ana}")
    system.as_id(ana).put(f"/v1/members/{ana}/follows/{chen}")
    system.as_id(ana).delete(f"/v1/members/{ana}/follows/{chen}")

    system.start("aggregator")
    system.wait_ready()
    reflects(
        system,
        ana,
        {
            ben: {"trust": 1.0, "connected": True},
            chen: {"trust": 0.5, "following": False, "followed_by": True},
        },
    )
    # restarting again replays nothing twice
    system.stop("aggregator")
    system.start("aggregator")
    system.wait_ready()
    assert len(system.relationships(ana)) == 2


def test_an_erased_member_disappears_from_every_service(system: System):
    ana, ben = system.registered("ana", "ben")
    request = system.as_id(ana).post("/v1/connection-requests", json={"addressee_id": ben}).json()
    system.as_id(ben).post(f"/v1/connection-requests/{request['id']}/accept")
    reflects(system, ben, {ana: {"connected": True}})

    assert system.as_id(ana).delete(f"/v1/members/{ana}").status_code == 204
    assert system.as_id(ana).get(f"/v1/members/{ana}").status_code == 404
    reflects(system, ben, {})
    wait_until(
        lambda: system.as_id(ben).get(f"/v1/members/{ben}/connections").json()["items"] == []
    )
    # ana's token names no member any more; the aggregator forgets her pairs too
    assert system.as_id(ana).get(f"/v1/members/{ana}/relationships").status_code == 403
    wait_until(lambda: system.as_id(ben).get(f"/v1/relationships/{ben}/{ana}").status_code == 404)
    again = system.as_id(ben).post("/v1/connection-requests", json={"addressee_id": ana})
    assert again.status_code == 404
    assert again.json()["errors"][0]["field"] == "addressee_id"
