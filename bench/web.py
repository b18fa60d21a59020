"""The web app's figure: how fast its pages answer with 8 signed-in members using it at once.

A seeded organisation (members connected in a ring of neighbours, with direct messages and
meetings in person between them, all through the API), then 8 members, each signed in
through the real sign-in flow (the development issuer's code flow with PKCE), load the member
pages (home, relationships, balance, profile, people) one after the other, as fast as they
answer, for a while. Baseline: the gateway's bare `GET /healthz` at the same concurrency.
Budget: a page answers in < 300 ms p95.

    python -m bench.web [--members N] [--users 8] [--seconds 30] [--profile DIR]
                        [--profiled gateway,aggregator]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from bench.profiling import sampled
from tests.e2e.system import System, wait_until

PAGES = ("/", "/relationships", "/balance", "/profile", "/people")
# the API calls behind /relationships and /balance, sent directly with a bearer token
API_CALLS = ("/v1/members/{me}/relationships?limit=50", "/v1/members/{me}/balance")
NEIGHBOURS = 3


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(
        f"  {name:<40} n={len(ms):<5} p50={percentile(ms, 0.5):7.1f} ms  "
        f"p95={percentile(ms, 0.95):7.1f} ms  mean={statistics.fmean(ms):7.1f} ms",
        flush=True,
    )


def seed(system: System, members: int) -> list[str]:
    """Members in a ring, each connected to its next NEIGHBOURS, a message and a meeting
    along each connection."""
    ids = [system.register(f"member{n}")["member_id"] for n in range(members)]
    last = ids[-1]
    for service_operation in (("connections", "list_connections"), ("aggregator", "relationships")):
        system.known_to(service_operation, last)
    started = datetime.now(UTC) - timedelta(days=3)
    for n, a in enumerate(ids):
        for step in range(1, NEIGHBOURS + 1):
            b = ids[(n + step) % members]
            sent = system.as_id(a).post("/v1/connection-requests", json={"addressee_id": b})
            if sent.status_code != 201:
                continue  # already asked the other way round
            system.as_id(b).post(f"/v1/connection-requests/{sent.json()['id']}/accept")
            system.as_id(a).post("/v1/direct-messages", json={"recipient_id": b, "body": "Hi!"})
            system.as_id(a).post(
                "/v1/meetings",
                json={
                    "participant_ids": [a, b],
                    "started_at": started.isoformat(),
                    "ended_at": (started + timedelta(minutes=30)).isoformat(),
                },
            )
        if (n + 1) % 20 == 0:
            print(f"  seeded {n + 1}/{members} members", flush=True)
    wait_until(lambda: len(system.relationships(ids[0])) >= 2 * NEIGHBOURS, timeout=120)
    return ids


def sign_in(system: System, handle: str) -> httpx.Client:
    """A browser's sign-in, by hand: the web, the issuer's sign-in page, the callback."""
    client = httpx.Client(base_url=system.base_url, timeout=30)
    to_issuer = client.get("/signin/start?next=/")
    authorize = urlsplit(to_issuer.headers["location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    issuer = f"{authorize.scheme}://{authorize.netloc}"
    back = httpx.post(
        f"{issuer}/authorize", data=params | {"handle": handle, "role": "member"}, timeout=30
    )
    callback = urlsplit(back.headers["location"])
    landed = client.get(f"{callback.path}?{callback.query}")
    assert landed.status_code == 303 and landed.headers["location"] == "/", landed.text
    return client


async def load(
    system: System,
    users: list[tuple[str, httpx.Cookies, dict[str, str]]],
    paths: tuple[str, ...],
    seconds: float,
) -> list[tuple[str, float]]:
    """Each user (member id, cookies, headers) requests `paths` in turn (`{me}`: their id)."""
    samples: list[tuple[str, float]] = []
    deadline = time.perf_counter() + seconds

    async def user(member_id: str, jar: httpx.Cookies, headers: dict, offset: int) -> None:
        async with httpx.AsyncClient(
            base_url=system.base_url, cookies=jar, headers=headers, timeout=30
        ) as client:
            n = offset
            while time.perf_counter() < deadline:
                path = paths[n % len(paths)]
                started = time.perf_counter()
                answer = await client.get(path.format(me=member_id))
                samples.append((path, time.perf_counter() - started))
                assert answer.status_code == 200, f"{path}: {answer.status_code}"
                n += 1

    await asyncio.gather(*(user(*u, i) for i, u in enumerate(users)))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--profile", help="sample services with py-spy into this folder")
    parser.add_argument(
        "--profiled", default="gateway", help="the services --profile samples, comma separated"
    )
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as root, ThreadPoolExecutor(1) as thread:
        print("starting nats-server and every service ...", flush=True)
        system = thread.submit(System, Path(root), {}).result()
        try:
            system.start_all()
            ids = seed(system, arguments.members)
            browsers = [
                (ids[n], sign_in(system, f"member{n}").cookies, {}) for n in range(arguments.users)
            ]
            bearers = [
                (ids[n], httpx.Cookies(), {"Authorization": f"Bearer {system.mint(f'member{n}')}"})
                for n in range(arguments.users)
            ]
            third = arguments.seconds / 3
            asyncio.run(load(system, browsers, PAGES, 3.0))  # warm up
            with sampled(system, arguments.profiled.split(","), arguments.profile):
                pages = asyncio.run(load(system, browsers, PAGES, arguments.seconds))
            api = asyncio.run(load(system, bearers, API_CALLS, third))
            baseline = asyncio.run(load(system, browsers, ("/healthz",), third))
            print(
                f"\nweb benchmark ({arguments.members} members, {arguments.users} signed-in "
                f"users at once, {arguments.seconds:.0f} s, SQLite)"
            )
            every = [seconds for _, seconds in pages]
            report("every member page", every)
            for page in PAGES:
                report(f"GET {page}", [seconds for path, seconds in pages if path == page])
            for call in API_CALLS:
                report(call.replace("{me}", "{id}"), [t for path, t in api if path == call])
            report("GET /healthz (baseline)", [seconds for _, seconds in baseline])
            p95 = percentile(every, 0.95) * 1000
            verdict = "within" if p95 < 300 else "OVER"
            print(f"  pages p95 {p95:.0f} ms: {verdict} the 300 ms budget", flush=True)
        finally:
            system.shutdown()


if __name__ == "__main__":
    main()
