"""The running system on a bus with authentication: a fact that would move the aggregator's
watermark into the future is dead-lettered, published by its rightful owner or not."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import nats

from shared.contracts.envelope import Envelope
from shared.contracts.events import MeetingLogged
from shared.contracts.subjects import event_subject
from tests.e2e.system import System, wait_until
from tests.support import connect_as


async def _publish_as(system: System, identity: str, envelope: Envelope, subject: str) -> None:
    nc = await connect_as(system.nats.url, identity)
    try:
        await nc.jetstream().publish(
            subject, envelope.model_dump_json().encode(), headers={"Nats-Msg-Id": envelope.id}
        )
    finally:
        await nc.close()


async def _dead_letter_of(system: System, event_id: str, consumer: str):
    nc = await nats.connect(system.nats_url)
    try:
        js = nc.jetstream()
        state = (await js.stream_info("DEADLETTER")).state
        for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
            letter = await js.get_msg("DEADLETTER", seq)
            if (
                letter.headers.get("Rapport-Consumer") == consumer
                and Envelope.model_validate_json(letter.data).id == event_id
            ):
                return letter
        return None
    finally:
        await nc.close()


def test_a_meeting_ending_ten_hours_ahead_is_dead_lettered_and_reads_at_now_still_answer(
    shared_system: System,
):
    system = shared_system
    suffix = uuid.uuid4().hex[:6]
    ana, ben = system.registered(f"early{suffix}", f"late{suffix}")
    now = datetime.now(UTC)
    meeting = MeetingLogged(
        meeting_id=f"m-{suffix}",
        participant_ids=[ana, ben],
        started_at=now,
        ended_at=now + timedelta(hours=10),
    )
    envelope = Envelope.wrap(meeting, source="/rapport/events", time=now)

    asyncio.run(_publish_as(system, "events", envelope, event_subject(meeting)))

    letter = wait_until(
        lambda: asyncio.run(_dead_letter_of(system, envelope.id, "aggregator-events-v1")),
        timeout=20,
    )
    assert "ended_at" in letter.headers["Rapport-Error"]
    assert "ahead of its arrival" in letter.headers["Rapport-Error"]
    # the watermark did not move: a read at this moment is answered, without the meeting
    response = system.as_id(ana).get(
        f"/v1/relationships/{ana}/{ben}", params={"at": datetime.now(UTC).isoformat()}
    )
    assert response.status_code == 200, response.text
    assert response.json()["relationship"]["interaction_count"] == 0


async def _profiles_facts(system: System) -> bytes:
    """Every message the PROFILES stream holds, as stored."""
    nc = await nats.connect(system.nats_url)
    try:
        js = nc.jetstream()
        state = (await js.stream_info("PROFILES")).state
        found = b""
        for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
            found += (await js.get_msg("PROFILES", seq)).data
        return found
    finally:
        await nc.close()


def test_names_emails_and_profile_text_never_reach_the_streams_yet_every_copy_has_them(
    shared_system: System,
):
    system = shared_system
    marker = f"zq{uuid.uuid4().hex[:10]}"
    handle = f"priv{marker[2:8]}"
    member_id = system.register(
        handle,
        email=f"{marker}@example.org",
        name=f"Name {marker}",
        headline=f"Headline {marker}",
        about=f"About {marker}",
        skills=[f"skill{marker}"],
    )["member_id"]
    client = system.as_id(member_id)
    assert client.patch(f"/v1/members/{member_id}", json={"name": f"Renamed {marker}"}).is_success
    # the other services got the name from profiles: content shows the new one on a post
    post = client.post("/v1/posts", json={"body": "hello"})

    def renamed() -> bool:
        seen = client.get(f"/v1/posts/{post.json()['id']}").json()
        return seen["author"]["name"] == f"Renamed {marker}"

    assert post.status_code == 201, post.text
    wait_until(renamed, timeout=15)
    facts = asyncio.run(_profiles_facts(system))
    assert member_id.encode() in facts and handle.encode() in facts
    assert marker.encode() not in facts
