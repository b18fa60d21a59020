"""The foundation's figures: command latency through the HTTP API and the time for events to
reach the event-fed services, with every service as its own process on SQLite (or on
the RAPPORT_*_DATABASE_URL variables are not used here), and what checking bearer tokens adds
to a read through the gateway: the same `GET /v1/members/{id}` sent, interleaved, to the
gateway and to a second gateway of the same run that reads tokens without checking them
(RAPPORT_AUTH_UNVERIFIED_FOR_BENCH, the baseline's only use).

    python -m bench.foundation [--members N] [--reads N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from shared.natsserver import free_port
from tests.e2e.system import System, wait_until


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(
        f"  {name:<28} n={len(ms):<5} p50={percentile(ms, 0.5):7.2f} ms  "
        f"p95={percentile(ms, 0.95):7.2f} ms  mean={statistics.fmean(ms):7.2f} ms"
    )


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--reads", type=int, default=1000)
    arguments = parser.parse_args()
    members = arguments.members

    with tempfile.TemporaryDirectory() as root:
        print("starting nats-server and every service ...", flush=True)
        system = System(Path(root), {})
        try:
            system.start_all()
            register, request, accept = [], [], []
            ids = []
            started = time.perf_counter()
            for n in range(members):
                client = system.as_member(f"member{n}")  # signed in before the clock starts
                elapsed, response = timed(
                    lambda n=n, client=client: client.post(
                        "/v1/members", json={"handle": f"member{n}", "name": f"M {n}"}
                    )
                )
                register.append(elapsed)
                assert response.status_code == 201, response.text
                ids.append(response.json()["member_id"])
                system.handles[ids[-1]] = f"member{n}"
                if (n + 1) % 100 == 0:
                    print(f"  registered {n + 1}/{members}", flush=True)
            last = ids[-1]
            wait_until(
                lambda: (
                    system.as_id(last).get(f"/v1/members/{last}/relationships").status_code == 200
                ),
                timeout=120,
            )
            propagated = time.perf_counter() - started

            for a, b in zip(ids[::2], ids[1::2], strict=False):
                asker, asked = system.as_id(a), system.as_id(b)
                elapsed, sent = timed(
                    lambda asker=asker, b=b: asker.post(
                        "/v1/connection-requests", json={"addressee_id": b}
                    )
                )
                request.append(elapsed)
                elapsed, _ = timed(
                    lambda asked=asked, sent=sent: asked.post(
                        f"/v1/connection-requests/{sent.json()['id']}/accept"
                    )
                )
                accept.append(elapsed)
            pair_started = time.perf_counter()
            a, b = ids[-2], ids[-1]
            wait_until(lambda: system.relationships(a).get(b), timeout=120)
            lag = time.perf_counter() - pair_started

            print(f"\nfoundation benchmark ({members} members, SQLite, 2 cores)")
            report("POST /v1/members", register)
            report("POST /v1/connection-requests", request)
            report("POST .../accept", accept)
            print(
                f"  registrations until the aggregator knew all: {propagated:.2f} s "
                f"({members / propagated:.0f} members/s, commands and events together)"
            )
            print(f"  last acceptance to relationship visible: {lag * 1000:.0f} ms")
            auth_overhead(system, ids, arguments.reads)
        finally:
            system.shutdown()


def auth_overhead(system: System, ids: list[str], reads: int) -> None:
    """p50 of GET /v1/members/{id} with tokens checked, and on a baseline gateway of the same
    run that reads them unchecked; requests interleaved so that both see the same load."""
    port = free_port()
    # the gateway's own NATS identity, as the first gateway's
    env = (
        system.env
        | system.process_env["gateway"]
        | {
            "RAPPORT_GATEWAY_PORT": str(port),
            "RAPPORT_AUTH_UNVERIFIED_FOR_BENCH": "true",
        }
    )
    log = open(system.logs / "gateway-baseline.log", "ab")  # noqa: SIM115 - closed below
    baseline = subprocess.Popen(
        system.specs["gateway"].command, env=env, stdout=log, stderr=log, start_new_session=True
    )
    token = system.token("member0")
    headers = {"Authorization": f"Bearer {token}"}
    checked = system.as_member("member0")
    unchecked = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, headers=headers)
    try:
        wait_until(lambda: _answers(unchecked), timeout=30)
        with_auth, without_auth = [], []
        for n in range(reads):
            path = f"/v1/members/{ids[n % len(ids)]}"
            for client, samples in ((checked, with_auth), (unchecked, without_auth)):
                elapsed, response = timed(lambda client=client, path=path: client.get(path))
                assert response.status_code == 200, response.text
                samples.append(elapsed)
        print(f"\nauthentication on a read through the gateway ({reads} reads each, interleaved)")
        report("GET /v1/members/{id} token", with_auth)
        report("  the same, unchecked", without_auth)
        added = percentile(with_auth, 0.5) / percentile(without_auth, 0.5) - 1
        print(f"  authentication adds {added * 100:+.1f}% to the p50 (budget: at most +10%)")
    finally:
        unchecked.close()
        baseline.terminate()
        baseline.wait(30)
        log.close()


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


if __name__ == "__main__":
    main()
