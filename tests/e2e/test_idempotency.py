"""Writes retried with the same Idempotency-Key have one effect, whatever restarts between."""

from __future__ import annotations

import subprocess
import uuid

from tests.e2e.system import System, wait_until


def _member(handle: str) -> dict:
    return {"handle": handle, "name": handle.title()}


def _post_member(system: System, body: dict, key: str):
    # each registers as themself: signed in with their handle as the token's subject
    client = system.as_member(body["handle"])
    return client.post("/v1/members", json=body, headers={"Idempotency-Key": key})


def _post_member_unkeyed(system: System, body: dict):
    return system.as_member(body["handle"]).post("/v1/members", json=body)


def _handles(system: System) -> list[str]:
    response = system.outsider().get("/v1/members", params={"limit": 200})
    assert response.status_code == 200, response.text
    return [m["handle"] for m in response.json()["items"]]


def _restart_nats(system: System) -> None:
    """Stop the message server and start it again on the same port with the same store."""
    args = system.nats.process.args
    system.nats.stop()
    system.nats.process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def test_a_retried_registration_returns_the_first_answer_and_registers_once(system: System):
    key = str(uuid.uuid4())
    first = _post_member(system, _member("idem1"), key)
    assert first.status_code == 201, first.text

    again = _post_member(system, _member("idem1"), key)

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert _handles(system).count("idem1") == 1


def test_the_same_key_with_another_body_is_refused_and_stores_nothing(system: System):
    key = str(uuid.uuid4())
    assert _post_member(system, _member("idem2"), key).status_code == 201

    other = _post_member(system, _member("idem3"), key)

    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "idem3" not in _handles(system)


def test_without_a_key_a_retry_is_a_new_request(system: System):
    assert _post_member_unkeyed(system, _member("idem4")).status_code == 201
    assert _post_member_unkeyed(system, _member("idem4")).status_code == 409


def test_retries_across_a_restart_of_the_service_and_of_the_message_server_have_one_effect(
    system: System,
):
    key = str(uuid.uuid4())
    first = _post_member(system, _member("idem5"), key)
    assert first.status_code == 201, first.text

    system.stop("profiles")
    system.start("profiles")
    system.wait_ready()
    after_service_restart = _post_member(system, _member("idem5"), key)

    _restart_nats(system)
    system.wait_ready(timeout=60)
    # a write sent while the services reconnect may answer 503: the client retries it
    late_key = str(uuid.uuid4())
    answers = [
        wait_until(
            lambda: (
                (r := _post_member(system, _member("idem6"), late_key)).status_code != 503 and r
            ),
            timeout=30,
        )
        for _ in range(2)
    ]
    after_nats_restart = _post_member(system, _member("idem5"), key)

    assert after_service_restart.json() == first.json()
    assert after_nats_restart.status_code == 201
    assert after_nats_restart.json() == first.json()
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    handles = _handles(system)
    assert handles.count("idem5") == 1
    assert handles.count("idem6") == 1


def test_concurrent_retries_with_one_key_all_get_the_first_answer(system: System):
    import asyncio

    import httpx

    key = str(uuid.uuid4())

    async def send_all() -> list[httpx.Response]:
        signed_in = {"Authorization": f"Bearer {system.token('idem7')}"}
        async with httpx.AsyncClient(
            base_url=str(system.http.base_url), timeout=30, headers=signed_in
        ) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/v1/members", json=_member("idem7"), headers={"Idempotency-Key": key}
                    )
                    for _ in range(8)
                )
            )

    answers = asyncio.run(send_all())

    assert [a.status_code for a in answers] == [201] * 8
    assert len({a.text for a in answers}) == 1
    assert _handles(system).count("idem7") == 1
