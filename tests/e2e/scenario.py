"""A short scenario through the gateway that touches every part the dashboards and alerts
watch: members, a connection, a follow, a post and a comment, a meeting, signed webhooks
(one accepted, one duplicate, one refused, one of an unsupported type), and one poison message
that a consumer dead-letters."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import nats

from tests.e2e.system import System, wait_until
from tests.support import WEBHOOK_SECRETS, signed

RAPPORT = WEBHOOK_SECRETS["rapport"][0]


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def event_upserted(external_id: str) -> dict:
    now = datetime.now(UTC)
    return {
        "type": "event.upserted",
        "timestamp": now.isoformat(),
        "data": {
            "external_id": external_id,
            "title": "Badge day",
            "kind": "conference",
            "format": "in_person",
            "starts_at": (now - timedelta(hours=2)).isoformat(),
            "ends_at": (now + timedelta(hours=6)).isoformat(),
            "timezone": "Europe/Paris",
        },
    }


def webhook(system: System, payload: dict, *, secret: str = RAPPORT, **signing):
    body, headers = signed(secret, payload, **signing)
    return system.http.post("/v1/webhooks/rapport", content=body, headers=headers), body, headers


async def _poison(url: str) -> None:
    """An unreadable message on a subject every reader of profiles' facts consumes."""
    nc = await nats.connect(url)
    try:
        await nc.jetstream().publish(
            "rapport.profiles.member.registered",
            b"not an envelope",
            headers={"Nats-Msg-Id": f"poison-{uuid.uuid4().hex}"},
        )
    finally:
        await nc.close()


def drive(system: System) -> None:
    ana, ben, chen = system.registered(*(f"{n}{uuid.uuid4().hex[:6]}" for n in "abc"))
    pair = {"addressee_id": ben}
    request = ok(system.as_id(ana).post("/v1/connection-requests", json=pair), 201)
    ok(system.as_id(ben).post(f"/v1/connection-requests/{request['id']}/accept"))
    ok(system.as_id(chen).put(f"/v1/members/{chen}/follows/{ana}"))
    post = ok(system.as_id(ana).post("/v1/posts", json={"body": "Hello"}), 201)
    ok(
        system.as_id(ben).post(f"/v1/posts/{post['id']}/comments", json={"body": "Hi"}),
        201,
    )
    started = datetime.now(UTC) - timedelta(hours=2)
    ok(
        system.as_id(ana).post(
            "/v1/meetings",
            json={
                "participant_ids": [ana, ben, chen],
                "started_at": started.isoformat(),
                "ended_at": (started + timedelta(minutes=40)).isoformat(),
                "source": "calendar",
            },
        ),
        201,
    )
    system.as_id(ana).get(f"/v1/members/{ana}/relationships")
    system.signed_in().get("/v1/members/not-a-member")  # a 4xx for the error panels

    accepted, body, headers = webhook(system, event_upserted(f"ext-{uuid.uuid4().hex[:8]}"))
    assert accepted.status_code == 202, accepted.text
    duplicate = system.http.post("/v1/webhooks/rapport", content=body, headers=headers)
    assert duplicate.status_code in (200, 202), duplicate.text
    refused, _, _ = webhook(system, event_upserted("x"), secret=WEBHOOK_SECRETS["luma"][0])
    assert refused.status_code == 401, refused.text
    unsupported, _, _ = webhook(system, {"type": "badge.printed", "data": {}})
    assert unsupported.status_code == 202, unsupported.text

    def delivered(status: str, webhook_id: str) -> bool:
        found = system.operator().get("/v1/webhooks/deliveries", params={"status": status}).json()
        return any(d["webhook_id"] == webhook_id for d in found["items"])

    wait_until(lambda: delivered("normalised", accepted.json()["webhook_id"]), timeout=15)
    wait_until(lambda: delivered("failed", unsupported.json()["webhook_id"]), timeout=15)
    asyncio.run(_poison(system.nats_url))
