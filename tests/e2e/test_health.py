"""Through the gateway, with every service running: what members do moves a pair's health
and both members' balance exactly as docs/health-model.md says (model v2, the default)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.system import System, wait_until

HALF_LIFE = 30 * 86400.0


def decay(at: datetime, t: datetime) -> float:
    return 2 ** (-(at - t).total_seconds() / HALF_LIFE)


def pair(system: System, a: str, b: str, at: datetime) -> dict:
    response = system.as_id(a).get(f"/v1/relationships/{a}/{b}", params={"at": at.isoformat()})
    assert response.status_code == 200, response.text
    return response.json()["relationship"]


def balance(system: System, member: str, at: datetime) -> dict:
    response = system.as_id(member).get(
        f"/v1/members/{member}/balance", params={"at": at.isoformat()}
    )
    assert response.status_code == 200, response.text
    return response.json()


def health_from(view: dict) -> float:
    """Model v2's formula, recomputed from the sums the API reports, for two members who
    interact only with each other (each one's attention total is the pair's I)."""
    sums, trust = view["sums"], view["components"]["trust"]
    total = sums["from_member"] + sums["to_member"]
    s = 1 - math.exp(-total / 10)
    c = total / max(total, 10)  # (I / max(A_a, 10) + I / max(A_b, 10)) / 2, A_a = A_b = I
    k = s / 2 + min(1, c / 0.2) / 2
    r = 2 * min(sums["from_member"], sums["to_member"]) / total if total else 0
    d = 2 * min(sums["online"], sums["offline"]) / total if total else 0
    assert view["components"]["attention"] == pytest.approx(c, rel=1e-9)
    assert view["components"]["closeness"] == pytest.approx(k, rel=1e-9)
    return 100 * (0.75 * k * (0.4 + 0.6 * r) + 0.15 * trust + 0.10 * d)


def settled(system: System, a: str, b: str, at: datetime, count: int) -> dict:
    """The pair once the aggregator has applied `count` interactions."""
    return wait_until(
        lambda: (v := pair(system, a, b, at))["interaction_count"] == count and v, timeout=10
    )


def test_a_meeting_and_an_event_check_in_move_health_and_balance_as_the_model_says(
    system: System,
):
    ana, ben = system.registered("ana", "ben")
    request = system.as_id(ana).post("/v1/connection-requests", json={"addressee_id": ben}).json()
    system.as_id(ben).post(f"/v1/connection-requests/{request['id']}/accept")
    now = datetime.now(UTC)
    at = now + timedelta(days=2)
    before = settled(system, ana, ben, at, count=2)  # the request and the acceptance
    ana_before, ben_before = balance(system, ana, at), balance(system, ben, at)
    assert before["components"]["trust"] == 1.0
    assert before["sums"]["offline"] == 0

    # a 50-minute meeting that ended an hour ago: weight 10 (50 / 5), each way, offline
    ended = now - timedelta(hours=1)
    logged = system.as_id(ana).post(
        "/v1/meetings",
        json={
            "participant_ids": [ana, ben],
            "started_at": (ended - timedelta(minutes=50)).isoformat(),
            "ended_at": ended.isoformat(),
        },
    )
    assert logged.status_code == 201, logged.text
    after_meeting = settled(system, ana, ben, at, count=4)
    meeting = 10 * decay(at, ended)
    assert after_meeting["sums"]["offline"] == pytest.approx(2 * meeting, rel=1e-9)
    assert after_meeting["sums"]["from_member"] == pytest.approx(
        before["sums"]["from_member"] + meeting, rel=1e-9
    )
    assert after_meeting["health"] == pytest.approx(health_from(after_meeting), rel=1e-9)
    assert after_meeting["health"] > before["health"]
    assert balance(system, ana, at)["offline"] == pytest.approx(
        ana_before["offline"] + 2 * meeting, rel=1e-9
    )

    # both check in to an in-person event: co-attendance (2 each way, at the later check-in)
    # and 3 offline activity each in their own balance
    event = (
        system.signed_in()
        .post(
            "/v1/events",
            json={
                "title": "DataConf",
                "kind": "conference",
                "format": "in_person",
                "starts_at": (now - timedelta(hours=3)).isoformat(),
                "ends_at": (now + timedelta(hours=3)).isoformat(),
            },
        )
        .json()
    )
    ana_in, ben_in = now - timedelta(minutes=30), now - timedelta(minutes=20)
    for member, when in ((ana, ana_in), (ben, ben_in)):
        checked = system.as_id(member).put(
            f"/v1/events/{event['event_id']}/check-ins/{member}",
            json={"checked_in_at": when.isoformat()},
        )
        assert checked.status_code == 200, checked.text
    after_event = settled(system, ana, ben, at, count=6)
    co_attendance = 2 * decay(at, ben_in)
    assert after_event["sums"]["offline"] == pytest.approx(
        2 * meeting + 2 * co_attendance, rel=1e-9
    )
    assert after_event["health"] == pytest.approx(health_from(after_event), rel=1e-9)
    assert after_event["components"]["diversity"] > 0
    for member, before_balance, own in ((ana, ana_before, ana_in), (ben, ben_before, ben_in)):
        now_balance = wait_until(
            lambda m=member, b=before_balance, o=own: (
                (v := balance(system, m, at))["offline"]
                == pytest.approx(
                    b["offline"] + 2 * meeting + 2 * co_attendance + 3 * decay(at, o), rel=1e-9
                )
                and v
            ),
            timeout=10,
        )
        assert now_balance["online"] == pytest.approx(before_balance["online"], rel=1e-9)
        assert now_balance["status"] == "offline_heavy"


def test_a_comment_and_a_direct_message_move_health_and_balance_as_the_model_says(
    system: System,
):
    ana, ben = system.registered("ana", "ben")
    at = datetime.now(UTC) + timedelta(days=1)
    post = system.as_id(ben).post("/v1/posts", json={"body": "Hiring data folks"})
    assert post.status_code == 201, post.text
    post_id = post.json()["id"]
    wait_until(lambda: balance(system, ben, at)["online"] > 0, timeout=10)  # the post: 1
    ben_before = balance(system, ben, at)

    started = datetime.now(UTC)
    comment = system.as_id(ana).post(f"/v1/posts/{post_id}/comments", json={"body": "Count me in"})
    assert comment.status_code == 201, comment.text
    message = system.as_id(ben).post(
        "/v1/direct-messages", json={"recipient_id": ana, "body": "Coffee?"}
    )
    assert message.status_code == 201, message.text
    finished = datetime.now(UTC)

    view = settled(system, ana, ben, at, count=2)
    # a comment on Ben's post weighs 2 (Ana to Ben), a direct message 3 (Ben to Ana), both
    # online, each decayed from when it happened (between `started` and `finished`)
    assert decay(at, started) * 2 <= view["sums"]["from_member"] <= decay(at, finished) * 2
    assert decay(at, started) * 3 <= view["sums"]["to_member"] <= decay(at, finished) * 3
    assert view["sums"]["offline"] == 0
    assert view["components"]["diversity"] == 0 and view["components"]["trust"] == 0
    assert view["components"]["reciprocity"] == pytest.approx(
        2 * view["sums"]["from_member"] / view["sums"]["total"], rel=1e-9
    )
    assert view["health"] == pytest.approx(health_from(view), rel=1e-9)
    assert [part["kind"] for part in view["explanation"]] == ["direct_message", "comment"]
    # each is all of the other's interactions: the explanation names it
    assert view["attention"]["of_member"] == pytest.approx(1.0, rel=1e-9)
    assert view["attention"]["of_other"] == pytest.approx(1.0, rel=1e-9)
    assert view["attention"]["reason"].startswith("You are 100% of ben's recent interactions")
    ben_after = balance(system, ben, at)
    assert ben_after["online"] == pytest.approx(
        ben_before["online"] + view["sums"]["total"], rel=1e-9
    )
    assert ben_after["offline"] == 0 and ben_after["status"] == "online_heavy"
