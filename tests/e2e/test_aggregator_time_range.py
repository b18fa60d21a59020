"""Every aggregator query at the edges of the accepted time range (1970..2100), through the
gateway: a time outside it is a 422 naming `at`, a time inside it a correct answer (or a
422 naming `at` when it lies before the projection's watermark), never a 5xx.

The half-life is a week here, so that the exponents span the whole float range: sums
anchored to a fixed epoch would overflow long before 2100."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from shared.contracts.events import (
    ConnectionAccepted,
    DirectMessageSent,
    MeetingLogged,
    MemberRegistered,
    PostCreated,
)
from tests.conftest import BACKENDS
from tests.e2e.conftest import _running_system
from tests.e2e.projection import Projection
from tests.e2e.system import System
from tests.e2e.test_aggregator import caught_up, publish

HALF_LIFE_DAYS = 7.0
FIRST = datetime(1970, 1, 1, tzinfo=UTC)
NEAR_END = datetime(2099, 12, 31, tzinfo=UTC)
TEAM = [f"edge-{n}" for n in range(5)]
ANA, BEN = TEAM[0], TEAM[1]
OUTSIDE = [
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00",
    "1000-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
]


@pytest.fixture(params=BACKENDS)
def weekly_system(request, tmp_path, monkeypatch) -> Iterator[System]:
    monkeypatch.setenv("RAPPORT_HEALTH_HALF_LIFE_DAYS", str(HALF_LIFE_DAYS))
    monkeypatch.setenv("RAPPORT_HEALTH_MODEL", "v1")  # the figures below are model v1's
    yield from _running_system(request.param, tmp_path)


def queries() -> list[str]:
    """Every aggregator query the gateway routes."""
    return [
        f"/v1/members/{ANA}/relationships",
        f"/v1/relationships/{ANA}/{BEN}",
        f"/v1/members/{ANA}/balance",
        f"/v1/members/{ANA}/nudges",
        "/v1/insights/org",
        "/v1/insights/teams/edge",
    ]


def facts_at(t: datetime) -> list:
    """Five members of team edge; Ana and Ben connect, Ana writes, they meet (no duration:
    the meeting ends at `t`, weight 1); the other three post (the team's figures need five
    active members)."""
    return [
        *((MemberRegistered(member_id=m, handle=m, team="edge"), t) for m in TEAM),
        *((PostCreated(post_id=f"p-{m}", author_id=m, visibility="org"), t) for m in TEAM[2:]),
        (ConnectionAccepted(request_id="r", requester_id=ANA, addressee_id=BEN), t),
        (DirectMessageSent(message_id="d", sender_id=ANA, recipient_id=BEN), t),
        (
            MeetingLogged(meeting_id="g", participant_ids=[ANA, BEN], started_at=t, ended_at=t),
            t,
        ),
    ]


def health(ab: float, ba: float, online: float, offline: float, decay: float) -> float:
    """The model's formula; the ratios do not depend on decay."""
    total = (ab + ba) * decay
    s = 1 - math.exp(-total / 10)
    r = 2 * min(ab, ba) / (ab + ba)
    d = 2 * min(online, offline) / (ab + ba)
    return 100 * (0.75 * s * (0.4 + 0.6 * r) + 0.15 * 1.0 + 0.10 * d)


def get(system: System, path: str, at: str):
    # the members are injected facts, named by no token: read as the gateway's routes do
    client = system.analyst() if path.startswith("/v1/insights") else Projection(system)
    response = client.get(path, params={"at": at})
    assert response.status_code < 500, (path, at, response.text)
    return response


def assert_refused_naming_at(response) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["at"], response.text


def assert_every_query_refuses_times_outside_the_range(system: System) -> None:
    for path in queries():
        for value in OUTSIDE:
            assert_refused_naming_at(get(system, path, value))


def test_facts_at_the_start_of_the_range_read_at_its_start_and_end(weekly_system: System):
    system = weekly_system
    publish(system, facts_at(FIRST), "first")
    caught_up(system)

    # Ana to Ben: the message (3) and the meeting (1); Ben to Ana: the acceptance (1) and
    # the meeting (1). Online 3 + 1 + ..., offline the meeting both ways.
    ab, ba, online, offline = 4.0, 2.0, 4.0, 2.0
    for at in ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00"):  # no offset: UTC
        for path in queries():
            assert get(system, path, at).status_code == 200, path
        view = get(system, f"/v1/relationships/{ANA}/{BEN}", at).json()["relationship"]
        assert view["sums"] == pytest.approx(
            {"from_member": ab, "to_member": ba, "online": online, "offline": offline, "total": 6}
        )
        assert view["health"] == pytest.approx(health(ab, ba, online, offline, 1.0), rel=1e-9)

    # 130 years later, 6,783 half-lives: every sum has decayed to nothing, the ratios stay;
    # nobody is active any more, so the team's figures are withheld
    at = NEAR_END.isoformat()
    for path in queries():
        expected = 403 if path.startswith("/v1/insights/teams/") else 200
        assert get(system, path, at).status_code == expected, path
    view = get(system, f"/v1/relationships/{ANA}/{BEN}", at).json()["relationship"]
    assert view["sums"]["total"] == pytest.approx(0.0, abs=1e-300)
    assert view["health"] == pytest.approx(health(ab, ba, online, offline, 0.0), rel=1e-9)
    assert view["components"]["diversity"] == pytest.approx(2 / 3, rel=1e-9)
    assert view["status"] == "fading"
    balance = get(system, f"/v1/members/{ANA}/balance", at).json()
    assert balance["status"] == "inactive"
    assert balance["offline_share"] == pytest.approx(1 / 3, rel=1e-9)
    org = get(system, "/v1/insights/org", at).json()
    assert org["pairs_by_status"]["fading"] == 1
    assert org["members"] == 5

    assert_every_query_refuses_times_outside_the_range(system)
