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
