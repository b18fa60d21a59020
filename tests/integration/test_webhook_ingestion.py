"""Webhook ingestion against a real nats-server and both databases: the gateway in-process
(through its ASGI app) stores signed deliveries in JetStream, the events service in-process
normalises them. Deliveries are signed with the reference implementation, `standardwebhooks`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest
from fastapi import FastAPI
from faststream.asgi import AsgiFastStream

from services.events.app import WEBHOOKS
from services.events.app import create_app as create_events
from services.gateway.app import create_app as create_gateway
from shared.contracts.envelope import Envelope
from shared.messaging.provisioning import provision
from shared.settings import Settings
from tests.support import (
    WEBHOOK_SECRETS,
    WEBHOOK_SOURCE_ADAPTERS,
    as_identity,
    deep_merge,
    eventually,
    signed,
    test_settings,
)
from tests.tokens import DevIssuer, dev_issuer

SECRET = WEBHOOK_SECRETS["rapport"][0]
NOW = datetime.now(UTC)


@dataclass
class Harness:
    settings: Settings
    http: httpx.AsyncClient
    nats_url: str
    events_app: AsgiFastStream
    gateway: FastAPI

    async def deliver(self, payload: dict | bytes, **signing) -> httpx.Response:
        body, headers = signed(SECRET, payload, **signing)
        return await self.http.post("/v1/webhooks/rapport", content=body, headers=headers)

    @contextlib.asynccontextmanager
    async def events_running(self) -> AsyncIterator[None]:
        async with self.events_app:
            yield

    async def deliveries(self, status: str) -> list[dict]:
        found, cursor = [], None
        while True:
            params = {"status": status, "limit": 200} | ({"cursor": cursor} if cursor else {})
            response = await self.http.get("/v1/webhooks/deliveries", params=params)
            assert response.status_code == 200, response.text
            found += response.json()["items"]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                return found

    async def drained(self) -> bool:
        """The events service has handled every stored delivery."""
        nc = await nats.connect(self.nats_url)
        try:
            info = await nc.jetstream().consumer_info("WEBHOOKS", WEBHOOKS)
        finally:
            await nc.close()
        return info.num_pending == 0 and info.num_ack_pending == 0

    async def facts(self, event_type: str) -> list[dict]:
        """The payloads of `event_type` on the EVENTS stream."""
        nc = await nats.connect(self.nats_url)
        try:
            js = nc.jetstream()
            state = (await js.stream_info("EVENTS")).state
            found = []
            for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
                envelope = Envelope.model_validate_json((await js.get_msg("EVENTS", seq)).data)
                if envelope.type == event_type:
                    found.append(envelope.data)
            return found
        finally:
            await nc.close()


# The operator's view of deliveries needs a token: one development issuer for the module.
ISSUER: DevIssuer | None = None


@pytest.fixture(scope="module", autouse=True)
def _issuer(tmp_path_factory) -> Iterator[None]:
    global ISSUER
    with dev_issuer(tmp_path_factory.mktemp("issuer")) as served:
        ISSUER = served
        yield
    ISSUER = None


async def make_harness(clean_nats: str, database_factory, **overrides) -> Harness:
    assert ISSUER is not None
    defaults = dict(
        auth={"issuer": ISSUER.url, "development": True},
        events={"database_url": await database_factory("events")},
        webhook={
            "secrets": WEBHOOK_SECRETS,
            "source_adapters": WEBHOOK_SOURCE_ADAPTERS,
            "rate": 100_000.0,
            "burst": 100_000,
        },
    )
    settings = test_settings(clean_nats, **deep_merge(defaults, overrides))
    # each part connects as its own identity, with the permissions it has in production
    gateway = create_gateway(as_identity(settings, "gateway"))
    operator = {"Authorization": f"Bearer {ISSUER.token('ops', roles=('operator',))}"}
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway), base_url="http://gw", headers=operator
    )
    events = create_events(as_identity(settings, "events"))
    return Harness(settings, http, clean_nats, events, gateway)


@pytest.fixture
async def harness(clean_nats, database_factory) -> AsyncIterator[Harness]:
    harness = await make_harness(clean_nats, database_factory)
    async with harness.gateway.router.lifespan_context(harness.gateway):
        yield harness
    await harness.http.aclose()


def upsert(external_id: str = "pycon", **changes) -> dict:
    return {
        "type": "event.upserted",
        "data": {
            "external_id": external_id,
            "title": "PyCon",
            "kind": "conference",
            "format": "in_person",
            "starts_at": (NOW - timedelta(hours=1)).isoformat(),
            "ends_at": (NOW + timedelta(hours=8)).isoformat(),
        }
        | changes,
    }


def check_in(email: str, external_id: str = "pycon") -> dict:
    return {
        "type": "attendee.checked_in",
        "data": {
            "event_external_id": external_id,
            "email": email,
            "checked_in_at": NOW.isoformat(),
        },
    }


async def test_a_burst_of_1000_deliveries_is_normalised_exactly_once(harness: Harness):
    async with harness.events_running():
        assert (await harness.deliver(upsert())).status_code == 202
        await eventually(harness.drained)
        bodies = [signed(SECRET, check_in(f"guest{n}@example.org")) for n in range(1000)]

        async def send(body: bytes, headers: dict) -> httpx.Response:
            return await harness.http.post("/v1/webhooks/rapport", content=body, headers=headers)

        answers = []
        for start in range(0, len(bodies), 100):
            answers += await asyncio.gather(*(send(b, h) for b, h in bodies[start : start + 100]))
        assert [a.json()["status"] for a in answers] == ["accepted"] * 1000
        # the sender retries them all: JetStream drops every copy
        again = await asyncio.gather(*(send(b, h) for b, h in bodies[:100]))
        assert {a.json()["status"] for a in again} == {"duplicate"}

        await eventually(harness.drained, timeout=120)
        normalised = await harness.deliveries("normalised")
        assert len(normalised) == 1001
        assert len({d["webhook_id"] for d in normalised}) == 1001
        assert await harness.deliveries("failed") == []
        event_id = (await harness.http.get("/v1/events")).json()["items"][0]["event_id"]
        attendees = (await harness.http.get(f"/v1/events/{event_id}/attendees")).json()
        assert attendees["pending_attendees"] == 1000  # none of them is a member yet


async def test_a_redelivery_after_the_duplicate_window_has_no_second_effect(
    clean_nats, database_factory
):
    nc = await nats.connect(clean_nats)
    await provision(nc.jetstream(), test_settings(clean_nats, duplicate_window=1.0))
    await nc.close()
    harness = await make_harness(clean_nats, database_factory)
    async with (
        harness.gateway.router.lifespan_context(harness.gateway),
        harness.events_running(),
    ):
        body, headers = signed(SECRET, upsert())
        first = await harness.http.post("/v1/webhooks/rapport", content=body, headers=headers)
        assert first.json()["status"] == "accepted"
        inside = await harness.http.post("/v1/webhooks/rapport", content=body, headers=headers)
        assert inside.json()["status"] == "duplicate"

        async def stored_again() -> bool:
            # inside the window JetStream drops it ("duplicate"); after it, stores it
            response = await harness.http.post(
                "/v1/webhooks/rapport", content=body, headers=headers
            )
            assert response.status_code == 202, response.text
            return response.json()["status"] == "accepted"

        await eventually(stored_again, timeout=10, interval=0.2)
        await eventually(harness.drained)

        assert len(await harness.deliveries("normalised")) == 1
        assert len(await harness.facts("event.created")) == 1
        assert await harness.facts("event.updated") == []
    await harness.http.aclose()


async def test_deliveries_accepted_while_events_is_stopped_are_processed_after_it_starts(
    harness: Harness,
):
    answers = [await harness.deliver(upsert())]
    answers += [await harness.deliver(check_in(f"p{n}@example.org")) for n in range(20)]
    assert {a.status_code for a in answers} == {202}
    assert not await harness.drained()

    async with harness.events_running():
        await eventually(harness.drained, timeout=30)
        assert len(await harness.deliveries("normalised")) == 21


async def test_a_delivery_that_cannot_be_normalised_is_kept_and_replayed_after_the_fix(
    harness: Harness,
):
    async with harness.events_running():
        accepted = await harness.deliver(check_in("ana@example.org", external_id="later"))
        assert accepted.status_code == 202
        (failed,) = await eventually(lambda: harness.deliveries("failed"))
        assert failed["webhook_id"] == accepted.json()["webhook_id"]
        assert "no event with external id 'later'" in failed["reason"]

        assert (await harness.deliver(upsert(external_id="later"))).status_code == 202
        await eventually(harness.drained)
        replay = f"/v1/webhooks/deliveries/{failed['delivery_id']}/replay"
        replayed = await harness.http.post(replay)
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["status"] == "normalised"
        assert replayed.json()["attempts"] == 2
        assert await harness.deliveries("failed") == []

        again = await harness.http.post(replay)
        assert again.status_code == 409
        assert again.json()["errors"][0]["field"] == "delivery_id"
        unknown = await harness.http.post("/v1/webhooks/deliveries/nope/replay")
        assert unknown.status_code == 404


async def test_an_unsupported_type_is_accepted_and_kept_as_failed_with_its_reason(
    harness: Harness,
):
    async with harness.events_running():
        response = await harness.deliver({"type": "ticket.refunded", "data": {}})
        assert response.status_code == 202
        (failed,) = await eventually(lambda: harness.deliveries("failed"))
        assert failed["reason"] == "unsupported type 'ticket.refunded'"


async def test_a_stored_delivery_breaking_the_schema_is_kept_with_the_field_in_its_reason(
    harness: Harness,
):
    """A delivery the edge would refuse, stored by an older or newer gateway."""
    async with harness.events_running():
        nc = await nats.connect(harness.nats_url)
        await nc.jetstream().publish(
            "rapport.webhooks.rapport",
            b'{"type": "attendee.checked_in", "data": {"email": "x"}}',
            headers={
                "Nats-Msg-Id": "rapport:msg_bypass",
                "Rapport-Webhook-Source": "rapport",
                "Rapport-Webhook-Id": "msg_bypass",
                "Rapport-Webhook-Timestamp": str(int(NOW.timestamp())),
                "Rapport-Received-At": NOW.isoformat(),
            },
        )
        await nc.close()
        (failed,) = await eventually(lambda: harness.deliveries("failed"))
        assert failed["reason"].startswith("schema: ")
        assert "data.event_external_id" in failed["reason"]


async def test_a_source_over_its_rate_gets_429_with_retry_after(clean_nats, database_factory):
    harness = await make_harness(clean_nats, database_factory, webhook={"rate": 0.5, "burst": 2})
    async with harness.gateway.router.lifespan_context(harness.gateway):
        answers = [await harness.deliver(check_in(f"r{n}@example.org")) for n in range(3)]
        assert [a.status_code for a in answers] == [202, 202, 429]
        limited = answers[2]
        assert limited.headers["content-type"] == "application/problem+json"
        assert int(limited.headers["retry-after"]) == 2
        # the limit is per source
        body, headers = signed(WEBHOOK_SECRETS["luma"][0], {"type": "guest.deleted", "data": {}})
        other = await harness.http.post("/v1/webhooks/luma", content=body, headers=headers)
        assert other.status_code == 202
    await harness.http.aclose()


async def test_a_message_that_is_not_a_stored_delivery_is_dead_lettered_at_once(
    harness: Harness,
):
    async with harness.events_running():
        nc = await nats.connect(harness.nats_url)
        js = nc.jetstream()
        await js.publish("rapport.webhooks.rapport", b"{}", headers={"Nats-Msg-Id": "stray"})
        await eventually(harness.drained)
        info = await js.stream_info("DEADLETTER")
        letter = await js.get_msg("DEADLETTER", info.state.last_seq)
        await nc.close()
        assert letter.headers["Rapport-Consumer"] == WEBHOOKS
        assert letter.headers["Rapport-Deliveries"] == "1"
        assert "not a delivery stored by the gateway" in letter.headers["Rapport-Error"]
        assert await harness.deliveries("failed") == []
