"""Throughput through the gateway, each figure beside its baseline in the same run: the
gateway's bare route (`GET /healthz`, the ceiling of the HTTP stack with this client) at the
same number of clients, so that the machine's noise cancels in the ratios.

Closed loop: `clients` tasks each send a request as soon as the previous one answered, for
`--seconds` per step. Runs on SQLite, and on PostgreSQL too when `--postgres URL` or
TEST_DATABASE_URL names a server (a database per service is created and dropped).

    python -m bench.throughput [--seconds S] [--clients N] [--postgres URL] [--members N]

On PostgreSQL it also measures POST /v1/posts with a second content process beside the
first (two replicas / one). `--members N` instead registers N members through the API.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.settings import SERVICES
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.e2e.system import System

Request = tuple[str, str, dict | None, dict | None]  # method, path, JSON body, headers


def say(message: str) -> None:
    print(f"  {message}", flush=True)


@dataclass
class Step:
    name: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    wall: float = 0.0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if status < 400)

    @property
    def rate(self) -> float:
        return self.ok / self.wall if self.wall else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0

    def line(self, baseline: Step | None = None, of: str = "bare") -> str:
        ratio = f"  {self.rate / baseline.rate:5.2f}x {of}" if baseline and baseline.rate else ""
        refused = {s: n for s, n in self.statuses.items() if s >= 400}
        return (
            f"{self.name:<34} {self.clients:>3} clients {self.rate:8.1f}/s  "
            f"p50 {self.percentile(0.5) * 1000:7.1f} ms  p95 {self.percentile(0.95) * 1000:7.1f} ms"
            f"{ratio}{'  errors ' + str(refused) if refused else ''}"
        )


async def load(
    base_url: str,
    name: str,
    make: Callable[[int], Request],
    clients: int,
    seconds: float | None,
    count: int | None = None,
) -> Step:
    """`clients` closed loops for `seconds`, or until `count` requests were sent."""
    step = Step(name, clients)
    counter = itertools.count()
    deadline = time.perf_counter() + seconds if seconds is not None else float("inf")
    left = itertools.count(count, -1) if count is not None else itertools.repeat(1)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline and next(left) > 0:
                method, path, body, headers = make(next(counter))
                started = time.perf_counter()
                try:
                    status = (
                        await client.request(method, path, json=body, headers=headers)
                    ).status_code
                except httpx.TransportError:  # counted as a failure, not the end of the run
                    status = 599
                step.latencies.append(time.perf_counter() - started)
                step.statuses[status] = step.statuses.get(status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        step.wall = time.perf_counter() - started
    return step


def measure(system: System, seconds: float, clients: int) -> list[tuple[Step, Step | None]]:
    base = str(system.http.base_url)
    run = lambda *a: asyncio.run(load(base, *a, seconds))  # noqa: E731
    tag = uuid.uuid4().hex[:6]
    handles = itertools.count()

    def register(n: int) -> Request:
        handle = f"t{tag}{next(handles)}"
        # each registers as themself: a token for the handle, signed here (not timed)
        signed_in = {"Authorization": f"Bearer {system.mint(handle)}"}
        return ("POST", "/v1/members", {"handle": handle, "name": "T"}, signed_in)

    say("seeding authors ...")
    authors = system.registered(*(f"a{tag}{n}" for n in range(8)))
    as_author = [dict(system.as_id(a).headers) for a in authors]

    def post(n: int) -> Request:
        return ("POST", "/v1/posts", {"body": f"post {n}"}, as_author[n % 8])

    def member(n: int) -> Request:
        return ("GET", f"/v1/members/{authors[n % 8]}", None, as_author[n % 8])

    bare = lambda n: ("GET", "/healthz", None, None)  # noqa: E731
    results = []
    say("measuring ...")
    bare_1 = run("GET /healthz (bare route)", bare, 1)
    bare_n = run("GET /healthz (bare route)", bare, clients)
    results += [(bare_1, None), (bare_n, None)]
    for name, make in (
        ("POST /v1/members", register),
        ("GET /v1/members/{id}", member),
        ("POST /v1/posts", post),
    ):
        one = run(name, make, 1)
        many = run(name, make, clients)
        results += [(one, bare_1), (many, bare_n)]
        say(f"{name}: {many.rate / one.rate if one.rate else 0:.2f}x with {clients} clients")
    return results


def register_members(system: System, count: int, clients: int) -> list[tuple[Step, Step | None]]:
    """Register `count` members through the API at `clients` (open-ended: until all are
    answered), beside the bare route for as long."""
    base = str(system.http.base_url)
    tag = uuid.uuid4().hex[:6]

    def register(n: int) -> Request:
        handle = f"r{tag}{n}"
        signed_in = {"Authorization": f"Bearer {system.mint(handle)}"}
        return ("POST", "/v1/members", {"handle": handle, "name": "R"}, signed_in)

    say(f"registering {count} members ...")
    step = asyncio.run(load(base, f"POST /v1/members x {count}", register, clients, None, count))
    bare = asyncio.run(
        load(
            base,
            "GET /healthz (bare route)",
            lambda n: ("GET", "/healthz", None, None),
            clients,
            step.wall,
        )
    )
    return [(bare, None), (step, bare)]


def two_replicas(system: System, seconds: float, clients: int) -> list[tuple[Step, Step | None]]:
    """POST /v1/posts at `clients` with one content process, then with a second beside it
    (a NATS queue group shares the requests; both on the same PostgreSQL)."""
    from tests.e2e.test_replicas import Replica

    base = str(system.http.base_url)
    tag = uuid.uuid4().hex[:6]
    authors = system.registered(*(f"p{tag}{n}" for n in range(8)))
    as_author = [dict(system.as_id(a).headers) for a in authors]

    def post(n: int) -> Request:
        return ("POST", "/v1/posts", {"body": f"post {n}"}, as_author[n % 8])

    one = asyncio.run(load(base, "POST /v1/posts, 1 content replica", post, clients, seconds))
    replica = Replica(system, "content")
    try:
        two = asyncio.run(load(base, "POST /v1/posts, 2 content replicas", post, clients, seconds))
    finally:
        replica.stop()
    say(f"two replicas / one: {two.rate / one.rate if one.rate else 0:.2f}x")
    return [(one, None), (two, one)]


def run_on(
    backend: str, seconds: float, clients: int, postgres: str | None, members: int = 0
) -> None:
    print(f"\n== {backend}", flush=True)
    databases = {}
    if backend == "postgresql":
        os.environ["TEST_DATABASE_URL"] = postgres or ""
        databases = {name: asyncio.run(create_postgres_database()) for name in SERVICES}
    with tempfile.TemporaryDirectory() as root:
        system = System(Path(root), databases)
        try:
            say("starting nats-server and every service ...")
            system.start_all()
            results = (
                register_members(system, members, clients)
                if members
                else measure(system, seconds, clients)
            )
            if backend == "postgresql" and not members:
                results += two_replicas(system, seconds, clients)
            for step, baseline in results:
                of = "bare" if baseline is None or "healthz" in baseline.name else "1 replica"
                print("  " + step.line(baseline, of), flush=True)
        finally:
            system.shutdown()
            for url in databases.values():
                asyncio.run(drop_postgres_database(url))
    print(f"  load average after: {os.getloadavg()[0]:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument(
        "--members", type=int, default=0, help="only register this many members, at --clients"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"bench.throughput: {args.seconds:g} s per step, load {os.getloadavg()[0]:.2f}")
    if "sqlite" in args.backends:
        run_on("sqlite", args.seconds, args.clients, None, args.members)
    if args.postgres and "postgresql" in args.backends:
        run_on("postgresql", args.seconds, args.clients, args.postgres, args.members)


if __name__ == "__main__":
    main()
