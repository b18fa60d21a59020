"""The bus's authentication and permissions, enforced by a real nats-server started with the
generated configuration (shared.messaging.permissions): the table is what the server does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import nats
import nats.errors
import pytest

from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import ConnectionAccepted, MeetingLogged, MemberDeleted
from shared.contracts.streams import STREAMS, WEBHOOK_DEAD_LETTER_READER, stream_for_domain
from shared.contracts.subjects import event_subject
from shared.messaging.permissions import (
    GATEWAY,
    IDENTITIES,
    PROVISIONING,
    Permissions,
    inbox_prefix,
    permission_table,
)
from shared.messaging.provisioning import provision
from shared.natsserver import NatsServer
from tests.support import bus_passwords, eventually, test_settings

PERSONAL_DATA = "rapport.rpc.profiles.personal_data"
# Subjects nobody in the table may use: the rest of the JetStream API, every fact and every
# RPC subject at once, everyone's replies.
FORBIDDEN_PUBLISH = (
    "$JS.API.STREAM.DELETE.PROFILES",
    "$JS.API.STREAM.PURGE.PROFILES",
    "$JS.API.STREAM.MSG.GET.PROFILES",
    "$JS.API.STREAM.MSG.DELETE.PROFILES",
    "$JS.API.STREAM.NAMES",
    "$JS.API.CONSUMER.DELETE.PROFILES.connections-members-v1",
    "_INBOX.gateway.stolen",
    "rapport.anything",
)
FORBIDDEN_SUBSCRIBE = ("rapport.>", "_INBOX.>", "$JS.API.>", ">", "rapport.rpc.>")


def matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, `>` one or more at the end."""
    want, have = pattern.split("."), subject.split(".")
    for index, token in enumerate(want):
        if token == ">":
            return len(have) > index
        if index >= len(have) or (token != "*" and token != have[index]):
            return False
    return len(want) == len(have)


def concrete(pattern: str) -> str:
    """A subject that a pattern allows."""
    return ".".join("probe" if token in ("*", ">") else token for token in pattern.split("."))


def allowed(patterns: tuple[str, ...], subject: str) -> bool:
    return any(matches(p.split(" ")[0], subject) for p in patterns)


def may_publish(entry: Permissions, subject: str) -> bool:
    return allowed(entry.publish, subject) and not allowed(entry.deny_publish, subject)


class Client:
    """A connection as one identity that records the server's permission errors (nats-py
    reports them in lower case, asynchronously: a refusal is waited for, and what was
    allowed is checked once every expected refusal has arrived)."""

    def __init__(self, nc: nats.NATS, errors: list[str]) -> None:
        self.nc = nc
        self.errors = errors

    def _reported(self, what: str) -> bool:
        return any(what.lower() in error for error in self.errors)

    async def publish(self, subject: str) -> None:
        await self.nc.publish(subject, b"{}")
        await self.nc.flush()

    async def subscribe(self, entry: str) -> None:
        subject, _, queue = entry.partition(" ")
        await self.nc.subscribe(subject, queue=queue)
        await self.nc.flush()

    async def publish_refused(self, subject: str) -> bool:
        await self.publish(subject)
        return await self._refusal(f'publish to "{subject}"')

    async def subscribe_refused(self, entry: str) -> bool:
        await self.subscribe(entry)
        return await self._refusal(f'subscription to "{entry.partition(" ")[0]}"')

    async def _refusal(self, what: str) -> bool:
        async def reported() -> bool:
            return self._reported(what)

        with contextlib.suppress(AssertionError):  # not within the deadline: not refused
            return await eventually(reported, timeout=5)
        return False

    def was_refused_publishing(self, subject: str) -> bool:
        return self._reported(f'publish to "{subject}"')

    def was_refused_subscribing(self, entry: str) -> bool:
        return self._reported(f'subscription to "{entry.partition(" ")[0]}"')


@contextlib.asynccontextmanager
async def connected(server: NatsServer, identity: str) -> AsyncIterator[Client]:
    errors: list[str] = []

    async def record(error: Exception) -> None:
        errors.append(str(error))

    nc = await nats.connect(
        server.url,
        user=identity,
        password=bus_passwords()[identity],
        inbox_prefix=inbox_prefix(identity),
        error_cb=record,
        allow_reconnect=False,
    )
    try:
        yield Client(nc, errors)
    finally:
        await nc.close()


async def test_an_anonymous_client_or_a_wrong_password_cannot_connect(nats_server):
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(nats_server.url, allow_reconnect=False, max_reconnect_attempts=0)
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(
            nats_server.url,
            user="profiles",
            password="guessed",
            allow_reconnect=False,
            max_reconnect_attempts=0,
        )


@pytest.mark.parametrize("entry", permission_table(), ids=lambda entry: entry.identity)
async def test_each_identity_may_do_what_the_table_says_and_nothing_else(
    entry: Permissions, nats_server, clean_nats
):
    others = [e for e in permission_table() if e.identity != entry.identity]
    async with connected(nats_server, entry.identity) as client:
        for pattern in entry.publish:
            await client.publish(concrete(pattern))
        for pattern in entry.subscribe:
            await client.subscribe(pattern)

        foreign_publish = {concrete(p) for other in others for p in other.publish}
        for subject in sorted(
            s for s in foreign_publish | set(FORBIDDEN_PUBLISH) if not may_publish(entry, s)
        ):
            assert await client.publish_refused(subject), subject
        foreign_subscribe = {p for other in others for p in other.subscribe}
        for pattern in sorted(foreign_subscribe | set(FORBIDDEN_SUBSCRIBE)):
            assert await client.subscribe_refused(pattern), pattern

        # every refusal has arrived (in order): none was about what the table allows
        assert not [p for p in entry.publish if client.was_refused_publishing(concrete(p))]
        assert not [p for p in entry.subscribe if client.was_refused_subscribing(p)]


def test_the_table_names_every_identity_and_only_the_provisioning_job_manages_streams():
    table = {entry.identity: entry for entry in permission_table()}
    assert tuple(table) == IDENTITIES
    # besides: the events service reads its webhook consumer's dead letters through one
    # consumer of its own (erasure), filtered on that one subject
    reader = f"$JS.API.CONSUMER.CREATE.DEADLETTER.{WEBHOOK_DEAD_LETTER_READER}."
    for identity, entry in table.items():
        manages = [
            p
            for p in entry.publish
            if (".CREATE." in p or ".UPDATE." in p) and not p.startswith(reader)
        ]
        assert bool(manages) == (identity == PROVISIONING), identity
    readers = [i for i, e in table.items() if any(p.startswith(reader) for p in e.publish)]
    assert readers == ["events"]
    requests = {
        identity: [p for p in entry.publish if p.startswith("rapport.rpc.")]
        for identity, entry in table.items()
    }
    assert all(p.endswith(".>") for p in requests.pop(GATEWAY))
    # besides the gateway, the services that keep personal data may ask profiles for it,
    # and for nothing else
    assert {i: r for i, r in requests.items() if r} == {
        service: [PERSONAL_DATA] for service in ("connections", "content", "events")
    }
    assert table[GATEWAY].deny_publish == (PERSONAL_DATA,)


async def test_only_the_gateway_sends_requests_and_a_service_answers_its_own_in_its_group(
    nats_server, clean_nats
):
    async with (
        connected(nats_server, "profiles") as profiles,
        connected(nats_server, GATEWAY) as gateway,
        connected(nats_server, "content") as content,
    ):

        async def answer(msg) -> None:
            await msg.respond(b"pong")

        await profiles.nc.subscribe("rapport.rpc.profiles.ping", queue="profiles", cb=answer)
        await profiles.nc.flush()
        assert not profiles.was_refused_subscribing("rapport.rpc.profiles.ping")

        reply = await gateway.nc.request("rapport.rpc.profiles.ping", b"{}", timeout=5)
        assert reply.data == b"pong"

        # content may neither ask profiles nor stand in for it, nor listen outside its group
        assert await content.publish_refused("rapport.rpc.profiles.ping")
        assert await content.subscribe_refused("rapport.rpc.profiles.ping profiles")
        assert await profiles.subscribe_refused("rapport.rpc.profiles.ping")
        # a reply goes only to a request received: no unsolicited message into an inbox
        assert await profiles.publish_refused("_INBOX.gateway.unsolicited")


async def test_only_the_services_keeping_personal_data_may_ask_profiles_for_it(
    nats_server, clean_nats
):
    async with (
        connected(nats_server, "profiles") as profiles,
        connected(nats_server, "events") as events,
        connected(nats_server, "aggregator") as aggregator,
        connected(nats_server, GATEWAY) as gateway,
    ):

        async def answer(msg) -> None:
            await msg.respond(b"personal")

        await profiles.nc.subscribe(PERSONAL_DATA, queue="profiles", cb=answer)
        await profiles.nc.flush()

        reply = await events.nc.request(PERSONAL_DATA, b"{}", timeout=5)
        assert reply.data == b"personal"
        # the gateway (so no HTTP route) and a service that keeps nothing personal may not
        assert await gateway.publish_refused(PERSONAL_DATA)
        assert await aggregator.publish_refused(PERSONAL_DATA)
        # and asking is all: events may not ask profiles anything else
        assert await events.publish_refused("rapport.rpc.profiles.list_members")
        # the gateway still asks profiles everything else
        await profiles.nc.subscribe("rapport.rpc.profiles.ping", queue="profiles", cb=answer)
        await profiles.nc.flush()

        async def answered() -> bytes | None:
            # once, in a loaded CI run, the server answered "no responders" right after the
            # flush: polled with a deadline (a refusal would still fail the test)
            with contextlib.suppress(nats.errors.NoRespondersError):
                reply = await gateway.nc.request("rapport.rpc.profiles.ping", b"{}", timeout=5)
                return reply.data
            return None

        assert await eventually(answered, timeout=10)


async def test_the_provisioning_job_provisions_and_a_service_cannot(nats_server, clean_nats):
    settings = test_settings(nats_server.url)
    async with connected(nats_server, PROVISIONING) as job:
        await provision(job.nc.jetstream(), settings)  # updates every stream, checks consumers
        assert job.errors == []
    async with connected(nats_server, "aggregator") as aggregator:
        for stream in STREAMS:
            assert await aggregator.publish_refused(f"$JS.API.STREAM.UPDATE.{stream.name}")


def forged(event: Event) -> Envelope:
    return Envelope.wrap(event, source=f"/rapport/{event.domain}")


async def stored(js, stream: str) -> int:
    return (await js.stream_info(stream)).state.messages


@pytest.mark.parametrize(
    "event",
    [
        MemberDeleted(member_id="ana"),
        ConnectionAccepted(request_id="r1", requester_id="ana", addressee_id="ben"),
        MeetingLogged(
            meeting_id="m1",
            participant_ids=["ana", "ben"],
            started_at=datetime.now(UTC) - timedelta(hours=11),
            ended_at=datetime.now(UTC) - timedelta(hours=1),
        ),
    ],
    ids=lambda event: event.type,
)
async def test_a_fact_forged_by_another_service_never_reaches_the_stream(
    event: Event, nats_server, clean_nats
):
    stream = stream_for_domain(event.domain)
    harness = await nats.connect(clean_nats)
    try:
        before = await stored(harness.jetstream(), stream)
        async with connected(nats_server, "content") as content:
            envelope = forged(event)
            with pytest.raises((nats.errors.TimeoutError, asyncio.TimeoutError)):
                await content.nc.jetstream().publish(
                    event_subject(event),
                    envelope.model_dump_json().encode(),
                    headers={"Nats-Msg-Id": envelope.id},
                    timeout=1.0,
                )
            assert content.was_refused_publishing(event_subject(event))
        assert await stored(harness.jetstream(), stream) == before

        # its owner publishes the same fact, acknowledged and stored
        async with connected(nats_server, event.domain) as owner:
            ack = await owner.nc.jetstream().publish(
                event_subject(event), forged(event).model_dump_json().encode()
            )
            assert ack.stream == stream
        assert await stored(harness.jetstream(), stream) == before + 1
    finally:
        await harness.close()
