"""One winner in every race: concurrent decisions on one connection request, through HTTP
against the running system.

Each trial fires a random mix of accept, decline and withdraw at one pending request, all at
once. Exactly one call succeeds and the others get 409; only the winner's fact is published;
and the connections service and the aggregator end up agreeing on whether the pair is
connected. A retry with the same Idempotency-Key, the race of a client with itself, writes
once.
"""

from __future__ import annotations

import asyncio
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import nats

from shared.contracts.envelope import Envelope
from shared.contracts.events import (
    ConnectionAccepted,
    ConnectionDeclined,
    ConnectionRemoved,
    ConnectionWithdrawn,
    MemberBlocked,
)
from shared.contracts.streams import stream_for_domain
from tests.e2e.system import System, wait_until

TRIALS = 5
DECISIONS = {
    "accept": ConnectionAccepted.type,
    "decline": ConnectionDeclined.type,
    "withdraw": ConnectionWithdrawn.type,
}


def at_once(system: System, calls: list[tuple[str, str, str]]) -> list[httpx.Response]:
    """Send every (member acting, method, path) together (released by one barrier); their
    answers."""
    barrier = threading.Barrier(len(calls))
    clients = [system.as_id(member) for member, _, _ in calls]  # signed in before the race

    def send(call: tuple[int, tuple[str, str, str]]) -> httpx.Response:
        index, (_, method, path) = call
        barrier.wait()
        return clients[index].request(method, path)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, enumerate(calls)))


async def _facts(url: str, subject_of: str, key: str, value: str) -> list[str]:
    """The types of the connections facts whose `key` is `value`, in stream order."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    stream = stream_for_domain("connections")
    last = (await js.stream_info(stream)).state.last_seq
    found = []
    for seq in range(1, last + 1):
        envelope = Envelope.model_validate_json((await js.get_msg(stream, seq)).data)
        if envelope.data.get(key) == value and envelope.type.startswith(subject_of):
            found.append(envelope.type)
    await nc.close()
    return found


def facts(system: System, key: str, value: str, prefix: str = "") -> list[str]:
    return asyncio.run(_facts(system.nats_url, prefix, key, value))


def connected_in_service(system: System, member_id: str, other_id: str) -> bool:
    response = system.as_id(member_id).get(f"/v1/members/{member_id}/connections")
    assert response.status_code == 200, response.text
    return other_id in {item["member_id"] for item in response.json()["items"]}


def connected_in_aggregator(system: System, member_id: str, other_id: str) -> bool:
    tie = system.relationships(member_id).get(other_id)
    return bool(tie and tie["connected"])


def agree(system: System, ana: str, ben: str, expected: bool) -> None:
    """Both services say `expected`, from either side (the aggregator within a deadline)."""
    assert connected_in_service(system, ana, ben) is expected
    assert connected_in_service(system, ben, ana) is expected
    wait_until(
        lambda: (
            connected_in_aggregator(system, ana, ben) is expected
            and connected_in_aggregator(system, ben, ana) is expected
        ),
        timeout=10,
    )


def test_of_concurrent_decisions_on_one_request_exactly_one_wins(shared_system: System):
    rng = random.Random(20261201)
    for trial in range(TRIALS):
        ana, ben = shared_system.registered(f"race-{trial}-asker", f"race-{trial}-asked")
        sent = shared_system.as_id(ana).post("/v1/connection-requests", json={"addressee_id": ben})
        assert sent.status_code == 201, sent.text
        request_id = sent.json()["id"]
        decisions = [rng.choice(list(DECISIONS)) for _ in range(rng.randint(2, 6))]
        calls = [
            (
                ana if decision == "withdraw" else ben,
                "POST",
                f"/v1/connection-requests/{request_id}/{decision}",
            )
            for decision in decisions
        ]

        answers = at_once(shared_system, calls)

        statuses = [answer.status_code for answer in answers]
        winners = [d for d, s in zip(decisions, statuses, strict=True) if 200 <= s < 300]
        assert len(winners) == 1, (decisions, statuses)
        assert sorted(statuses).count(409) == len(decisions) - 1, (decisions, statuses)
        (winner,) = winners
        losers = [answer.json() for answer in answers if answer.status_code == 409]
        assert {problem["errors"][0]["field"] for problem in losers} == {"request_id"}
        state = shared_system.as_id(ana).get(f"/v1/members/{ana}/connection-requests").json()
        assert state["outgoing"] == []
        agree(shared_system, ana, ben, expected=winner == "accept")
        published = facts(shared_system, "request_id", request_id)
        assert [t for t in published if t in DECISIONS.values()] == [DECISIONS[winner]]


def test_of_concurrent_removals_and_blocks_of_one_connection_exactly_one_fact_is_published(
    shared_system: System,
):
    """Both members end one connection at once, and one blocks the other: the connection is
    removed once (one fact), never twice."""
    ana, ben = shared_system.registered("race-remover", "race-removed")
    sent = (
        shared_system.as_id(ana).post("/v1/connection-requests", json={"addressee_id": ben}).json()
    )
    accepted = shared_system.as_id(ben).post(f"/v1/connection-requests/{sent['id']}/accept")
    assert accepted.status_code == 200, accepted.text

    answers = at_once(
        shared_system,
        [
            (ana, "DELETE", f"/v1/members/{ana}/connections/{ben}"),
            (ben, "DELETE", f"/v1/members/{ben}/connections/{ana}"),
            (ana, "PUT", f"/v1/members/{ana}/blocks/{ben}"),
        ],
    )

    statuses = [answer.status_code for answer in answers]
    # a removal that lost the race is a 409 (or a 404 once the other committed); a block
    # may also come after a removal, ending nothing but blocking
    assert set(statuses[:2]) <= {204, 404, 409} and statuses[:2].count(204) <= 1, statuses
    assert statuses[2] in (200, 409), statuses
    agree(shared_system, ana, ben, expected=False)
    removed = wait_until(
        lambda: [
            t
            for member in (ana, ben)
            for t in facts(shared_system, "member_id", member, "connection.")
        ]
    )
    assert removed == [ConnectionRemoved.type]
    blocks = facts(shared_system, "member_id", ana, "member.")
    assert blocks.count(MemberBlocked.type) == (1 if statuses[2] == 200 else 0)


def test_a_request_retried_with_the_same_idempotency_key_is_sent_once(shared_system: System):
    """A client that lost the answer retries: the same key and body return the first answer,
    and the request is sent (and published) once; the key with another body is a 422."""
    ana, ben, chen = shared_system.registered("retry-asker", "retry-asked", "retry-other")
    body = {"addressee_id": ben}
    key = {"Idempotency-Key": f"retry-{ana}"}
    as_ana = shared_system.as_id(ana)

    first = as_ana.post("/v1/connection-requests", json=body, headers=key)
    again = as_ana.post("/v1/connection-requests", json=body, headers=key)
    other = as_ana.post("/v1/connection-requests", json=body | {"addressee_id": chen}, headers=key)

    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Location"] == first.headers["Location"]
    assert other.status_code == 422, other.text
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    outgoing = (
        shared_system.as_id(ana).get(f"/v1/members/{ana}/connection-requests").json()["outgoing"]
    )
    assert [r["id"] for r in outgoing] == [first.json()["id"]]
    requested = wait_until(lambda: facts(shared_system, "request_id", first.json()["id"]))
    assert requested == ["connection.requested"]
