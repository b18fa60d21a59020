"""The foundation's figures: command latency through the HTTP API and the time for events to
reach the event-fed services, with every service as its own process on SQLite (or on
the RAPPORT_*_DATABASE_URL variables are not used here).

    python -m bench.foundation [--members N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

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
    members = parser.parse_args().members

    with tempfile.TemporaryDirectory() as root:
        print("starting nats-server and every service ...", flush=True)
        system = System(Path(root), {})
        try:
            system.start_all()
            register, request, accept = [], [], []
            ids = []
            started = time.perf_counter()
            for n in range(members):
                elapsed, response = timed(
                    lambda n=n: system.http.post(
                        "/v1/members",
                        json={
                            "handle": f"member{n}",
                            "name": f"M {n}",
                            "email": f"m{n}@example.org",
                        },
                    )
                )
                register.append(elapsed)
                assert response.status_code == 201, response.text
                ids.append(response.json()["member_id"])
                if (n + 1) % 100 == 0:
                    print(f"  registered {n + 1}/{members}", flush=True)
            last = ids[-1]
            wait_until(
                lambda: system.http.get(f"/v1/members/{last}/relationships").status_code == 200,
                timeout=120,
            )
            propagated = time.perf_counter() - started

            for a, b in zip(ids[::2], ids[1::2], strict=False):
                elapsed, sent = timed(
                    lambda a=a, b=b: system.http.post(
                        "/v1/connection-requests", json={"requester_id": a, "addressee_id": b}
                    )
                )
                request.append(elapsed)
                elapsed, _ = timed(
                    lambda b=b, sent=sent: system.http.post(
                        f"/v1/connection-requests/{sent.json()['id']}/accept",
                        json={"member_id": b},
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
        finally:
            system.shutdown()


if __name__ == "__main__":
    main()
