"""Webhook ingestion figures: signed deliveries accepted per second through HTTP, beside the
gateway's bare `/healthz` rate in the same run (the ratio is what signature checking,
schema checking and the JetStream store cost), and the time until the events service has
normalised them all. Every service is its own process on SQLite, over loopback.

    python -m bench.webhooks [--deliveries N] [--concurrency C]

The ratio that matters: deliveries normalised per second over deliveries accepted per
second, measured twice: end to end (from the first POST until the events service has
handled the last, the service normalising while the gateway accepts on the same cores), and
from a backlog (a second burst accepted while the events service is stopped, timed from its
start until it has handled the last).

The per-source rate limit is raised for the run, so that the edge itself is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats

from bench.profiling import sampled
from services.events.app import WEBHOOKS
from tests.e2e.system import System, wait_until
from tests.support import WEBHOOK_SECRETS, signed

SECRET = WEBHOOK_SECRETS["rapport"][0]


def http_request(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> bytes:
    """One HTTP/1.1 request, prepared once (the client's cost stays out of the figures)."""
    lines = [f"{method} {path} HTTP/1.1", "host: 127.0.0.1", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def hammer(port: int, requests: list[bytes], concurrency: int) -> tuple[float, dict]:
    """Send every request over `concurrency` keep-alive connections (a minimal client:
    httpx's own overhead would dominate); returns the seconds taken and status counts."""
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                writer.write(queue.get_nowait())
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                await reader.readexactly(length)
                statuses[status] = statuses.get(status, 0) + 1
                if sum(statuses.values()) % 1000 == 0:
                    print(f"    {sum(statuses.values())}/{len(requests)}", flush=True)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return time.perf_counter() - started, statuses


async def pending(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info("WEBHOOKS", WEBHOOKS)
        return info.num_pending + info.num_ack_pending
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", help="directory for py-spy samples of events")
    args = parser.parse_args()
    n, concurrency = args.deliveries, args.concurrency

    with tempfile.TemporaryDirectory() as root:
        print("starting nats-server and every service ...", flush=True)
        system = System(Path(root), {})
        system.env["RAPPORT_WEBHOOK_RATE"] = str(n * 100)
        system.env["RAPPORT_WEBHOOK_BURST"] = str(n * 10)
        try:
            system.start_all()
            port = system.ports["gateway"]
            now = datetime.now(UTC)
            body, headers = signed(
                SECRET,
                {
                    "type": "event.upserted",
                    "data": {
                        "external_id": "bench",
                        "title": "Benchmark conference",
                        "kind": "conference",
                        "format": "in_person",
                        "starts_at": (now - timedelta(hours=1)).isoformat(),
                        "ends_at": (now + timedelta(hours=8)).isoformat(),
                    },
                },
            )
            assert system.http.post("/v1/webhooks/rapport", content=body, headers=headers)
            wait_until(lambda: asyncio.run(pending(system.nats_url)) == 0, timeout=30)

            def check_ins(first: int) -> list[bytes]:
                requests = []
                for i in range(first, first + n):
                    payload = {
                        "type": "attendee.checked_in",
                        "data": {
                            "event_external_id": "bench",
                            "email": f"guest{i}@example.org",
                            "checked_in_at": now.isoformat(),
                        },
                    }
                    body, headers = signed(SECRET, payload)
                    requests.append(http_request("POST", "/v1/webhooks/rapport", body, headers))
                return requests

            print(f"  signing {2 * n} check-ins ...", flush=True)
            deliveries, backlog = check_ins(0), check_ins(n)

            print(f"  GET /healthz x {n} ...", flush=True)
            health_time, health = asyncio.run(
                hammer(port, [http_request("GET", "/healthz")] * n, concurrency)
            )
            assert health == {200: n}, health
            print(f"  POST /v1/webhooks/rapport x {n} ...", flush=True)
            started = time.perf_counter()
            accept_time, accepted = asyncio.run(hammer(port, deliveries, concurrency))
            assert accepted == {202: n}, accepted
            print("  waiting until the events service has normalised them all ...", flush=True)
            with sampled(system, ["events"], args.profile):
                wait_until(
                    lambda: asyncio.run(pending(system.nats_url)) == 0, timeout=600, interval=0.5
                )
            normalised_after = time.perf_counter() - started

            print(f"  a backlog: events stopped, {n} more accepted, events started ...", flush=True)
            system.stop("events")
            _, accepted = asyncio.run(hammer(port, backlog, concurrency))
            assert accepted == {202: n}, accepted
            started = time.perf_counter()
            system.start("events")
            wait_until(
                lambda: asyncio.run(pending(system.nats_url)) == 0, timeout=600, interval=0.5
            )
            drained_after = time.perf_counter() - started

            health_rate, accept_rate = n / health_time, n / accept_time
            normalise_rate = n / normalised_after
            print(f"\nwebhook benchmark ({n} signed deliveries, {concurrency} connections, SQLite)")
            print(f"  GET /healthz (bare gateway)       {health_rate:8.0f} requests/s")
            print(f"  POST /v1/webhooks/rapport (202)   {accept_rate:8.0f} deliveries/s")
            print(f"  ratio accepted / healthz          {accept_rate / health_rate:8.2f}")
            print(
                f"  all {n} normalised after          {normalised_after:8.1f} s "
                f"({normalise_rate:.0f} deliveries/s end to end)"
            )
            print(f"  ratio normalised / accepted       {normalise_rate / accept_rate:8.2f}")
            drain_rate = n / drained_after
            print(
                f"  a backlog of {n} normalised in     {drained_after:8.1f} s "
                f"({drain_rate:.0f} deliveries/s, the service's start included)"
            )
            print(f"  ratio backlog drained / accepted  {drain_rate / accept_rate:8.2f}")
            print(f"  load average after                {os.getloadavg()[0]:8.2f}")
        finally:
            system.shutdown()


if __name__ == "__main__":
    main()
