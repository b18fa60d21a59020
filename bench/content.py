"""Content's figures through the HTTP API, with every service as its own process on SQLite:
posts, comments and reactions written per second, and the feed's latency for a member with
500 connections in an org of 10,000 members.

The org is seeded straight into the content service's database before it starts (its copy
of members and relations, posts, comments, reactions and shares, with each post's anchored
value computed by `services.content.value`): registering 10,000 members through the API
would measure profiles, not content. Everything measured goes through the gateway.

    python -m bench.content [--members N] [--connections N] [--writes N] [--reads N]
                            [--clients C] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from bench.throughput import load
from services.content.copies.tables import AudienceRow, FactRow, MemberRow
from services.content.engagement.tables import CommentRow, ReactionRow, ShareRow
from services.content.groups.tables import GroupMemberRow, GroupRow
from services.content.posts.tables import PostRow
from services.content.startup import StateRow
from services.content.value import (
    COMMENT,
    REACTION,
    SHARE,
    Engagement,
    ValueRules,
    anchor,
    audience_log2,
    credits,
)
from shared.engines import make_engine
from shared.migrations import upgrade
from tests.e2e.system import System, wait_until

from .identities import SignedIn, bind

KINDS = ("like", "celebrate", "insightful", "support")
CHUNK = 5_000


def say(message: str) -> None:
    print(f"  {message}", flush=True)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, samples: list[float], wall: float | None = None) -> None:
    ms = [s * 1000 for s in samples]
    rate = f"  {len(ms) / wall:7.1f} /s" if wall else ""
    print(
        f"  {name:<44} n={len(ms):<5} p50={percentile(ms, 0.5):7.2f} ms  "
        f"p95={percentile(ms, 0.95):7.2f} ms{rate}",
        flush=True,
    )


# --- seeding ----------------------------------------------------------------------------


class Org:
    """A synthetic org: members, who is connected to whom, posts and engagement."""

    def __init__(self, members: int, connections: int, posts_each: int, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.rng = rng
        self.now = datetime.now(UTC)
        self.ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(members)]
        self.viewer = self.ids[0]
        self.friends = self.ids[1 : connections + 1]
        pairs = {tuple(sorted((self.viewer, f))) for f in self.friends}
        while len(pairs) < connections + members * 5:  # about 10 connections each
            a, b = rng.sample(self.ids[1:], 2)
            pairs.add(tuple(sorted((a, b))))
        self.pairs = sorted(pairs)
        self.follows = {(self.viewer, f) for f in rng.sample(self.ids[connections + 1 :], 50)}
        self.groups = [str(uuid.uuid4()) for _ in range(5)]
        self.group_members = {g: {self.viewer, *rng.sample(self.ids[1:], 200)} for g in self.groups}
        self.posts_each = posts_each

    def audiences(self) -> dict[str, int]:
        size = dict.fromkeys(self.ids, 0)
        for a, b in self.pairs:
            size[a] += 1
            size[b] += 1
        for _, followed in self.follows:
            size[followed] += 1
        return size


async def seed(database_url: str, org: Org) -> None:
    engine = make_engine(database_url)
    await upgrade(engine, "content")  # its migrations, as the service itself would run
    rng, now, rules = org.rng, org.now, ValueRules()
    audiences = org.audiences()
    async with engine.begin() as db:

        async def rows(table, values: list[dict]) -> None:
            for start in range(0, len(values), CHUNK):
                await db.execute(insert(table), values[start : start + CHUNK])

        at = now - timedelta(days=60)
        await rows(
            MemberRow,
            [
                {
                    "id": m,
                    "handle": f"m{n}",
                    "name": f"Member {n}",
                    "deleted": False,
                    "as_of": at,
                    "event_id": uuid.uuid4().hex,
                }
                for n, m in enumerate(org.ids)
            ],
        )
        facts = [(a, b, "connected") for pair in org.pairs for a, b in (pair, pair[::-1])] + [
            (a, b, "follows") for a, b in org.follows
        ]
        await rows(
            FactRow,
            [
                {
                    "member_id": a,
                    "other_id": b,
                    "aspect": aspect,
                    "active": True,
                    "as_of": at,
                    "event_id": uuid.uuid4().hex,
                }
                for a, b, aspect in facts
            ],
        )
        await rows(
            AudienceRow,
            [
                {"member_id": m, "size": size, "size_log2": audience_log2(size)}
                for m, size in audiences.items()
            ],
        )
        await rows(
            GroupRow,
            [
                {
                    "id": g,
                    "name": f"Group {n}",
                    "topic": "",
                    "privacy": "open",
                    "owner_id": org.viewer,
                    "created_at": at,
                }
                for n, g in enumerate(org.groups)
            ],
        )
        await rows(
            GroupMemberRow,
            [
                {
                    "group_id": g,
                    "member_id": m,
                    "role": "owner" if m == org.viewer else "member",
                    "joined_at": at,
                }
                for g, members in org.group_members.items()
                for m in members
            ],
        )
        posts, reactions, comments, shares = [], [], [], []
        for author in org.ids:
            for _ in range(org.posts_each):
                created = now - timedelta(days=rng.uniform(0, 30))
                group = rng.choice(org.groups) if rng.random() < 0.05 else None
                post_id = str(uuid.uuid4())
                acts = []
                for member in rng.sample(org.ids, rng.choice((0, 0, 1, 2, 3, 5, 8))):
                    when = created + timedelta(hours=rng.uniform(0, 48))
                    reactions.append(
                        {
                            "target_id": post_id,
                            "actor_id": member,
                            "post_id": post_id,
                            "comment_id": None,
                            "kind": rng.choice(KINDS),
                            "created_at": when,
                            "updated_at": when,
                        }
                    )
                    acts.append(Engagement(member, REACTION, when))
                for member in rng.sample(org.ids, rng.choice((0, 0, 0, 1, 2))):
                    when = created + timedelta(hours=rng.uniform(0, 48))
                    comments.append(
                        {
                            "id": str(uuid.uuid4()),
                            "post_id": post_id,
                            "author_id": member,
                            "body": "Interesting, thanks for sharing.",
                            "thread_id": None,
                            "reply_to_comment_id": None,
                            "reply_to_author_id": None,
                            "created_at": when,
                        }
                    )
                    acts.append(Engagement(member, COMMENT, when))
                if group is None and rng.random() < 0.05:
                    sharer = rng.choice(org.ids)
                    if sharer != author:
                        when = created + timedelta(hours=rng.uniform(0, 48))
                        shares.append(
                            {
                                "id": str(uuid.uuid4()),
                                "post_id": post_id,
                                "sharer_id": sharer,
                                "comment": None,
                                "created_at": when,
                            }
                        )
                        acts.append(Engagement(sharer, SHARE, when))
                posts.append(
                    {
                        "id": post_id,
                        "author_id": author,
                        "body": f"Post {len(posts)}: notes from the week, links and lessons.",
                        "visibility": "group" if group else rng.choice(("connections", "org")),
                        "group_id": group,
                        "link": None,
                        "created_at": created,
                        "edited_at": None,
                        "anchor": anchor(credits(author, acts), rules),
                    }
                )
        for table, values in (
            (PostRow, posts),
            (ReactionRow, reactions),
            (CommentRow, comments),
            (ShareRow, shares),
        ):
            await rows(table, values)
            say(f"seeded {len(values):>7} {table.__tablename__}")
        await rows(StateRow, [{"name": "value_rules", "value": rules.signature()}])
    await engine.dispose()


# --- measuring --------------------------------------------------------------------------


async def concurrently(base_url: str, requests: list[tuple], workers: int) -> tuple[list, float]:
    """Send (method, path, json, headers) requests with `workers` in flight; latencies and
    wall time."""
    latencies: list[float] = []
    queue = list(reversed(requests))
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:

        async def worker() -> None:
            while queue:
                method, path, body, headers = queue.pop()
                started = time.perf_counter()
                response = await client.request(method, path, json=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                assert response.status_code in (200, 201), response.text

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        return latencies, time.perf_counter() - started


def writes(system: System, org: Org, count: int, workers: int, signed_in: SignedIn) -> None:
    """Each kind of write with one client (latency), then with `workers` (throughput)."""
    rng = random.Random(11)
    base = str(system.http.base_url)
    targets = [
        system.http.post(
            "/v1/posts", json={"body": "target", "visibility": "org"}, headers=signed_in(a)
        ).json()["id"]
        for a in org.ids[1:21]
    ]

    def post(n: int) -> tuple:
        author = rng.choice(org.ids)
        body = {"body": f"Benchmark post {n} @m{n}", "visibility": "org"}
        return ("POST", "/v1/posts", body, signed_in(author))

    def comment(n: int) -> tuple:
        author = rng.choice(org.ids)
        body = {"body": f"Comment {n}"}
        return ("POST", f"/v1/posts/{rng.choice(targets)}/comments", body, signed_in(author))

    def reaction(n: int) -> tuple:
        member = rng.choice(org.ids)
        path = f"/v1/posts/{rng.choice(targets)}/reactions/{member}"
        return ("PUT", path, {"kind": rng.choice(KINDS)}, signed_in(member))

    for name, request in (
        ("POST /v1/posts", post),
        ("POST /v1/posts/{id}/comments", comment),
        ("PUT /v1/posts/{id}/reactions/{m}", reaction),
    ):
        for clients, n in ((1, count // 3), (workers, count)):
            latencies, wall = asyncio.run(
                concurrently(base, [request(i) for i in range(n)], clients)
            )
            report(f"{name} ({clients} client{'s' if clients > 1 else ''})", latencies, wall)


def feed_reads(system: System, org: Org, count: int, signed_in: SignedIn) -> None:
    path = f"/v1/members/{org.viewer}/feed"
    for order in ("recent", "value"):
        first, deeper = [], []
        for n in range(count):
            started = time.perf_counter()
            page = system.http.get(
                path, params={"order": order, "limit": 20}, headers=signed_in(org.viewer)
            )
            first.append(time.perf_counter() - started)
            assert page.status_code == 200 and len(page.json()["items"]) == 20, page.text
            if n % 4 == 0:  # follow the cursor four pages down
                cursor = page.json()["next_cursor"]
                for _ in range(4):
                    started = time.perf_counter()
                    page = system.http.get(
                        path,
                        params={"order": order, "limit": 20, "cursor": cursor},
                        headers=signed_in(org.viewer),
                    )
                    deeper.append(time.perf_counter() - started)
                    cursor = page.json()["next_cursor"]
        report(f"GET feed ({order}), first page", first)
        report(f"GET feed ({order}), pages 2-5", deeper)


def feed_under_load(
    system: System, org: Org, clients: int, seconds: float, signed_in: SignedIn
) -> None:
    """The feed at `clients` concurrent readers beside the gateway's bare route at as many,
    in the same run (closed loop, `seconds` per step): the ratio cancels the machine's noise."""
    base = str(system.http.base_url)
    path = f"/v1/members/{org.viewer}/feed"
    bare = asyncio.run(
        load(
            base,
            "GET /healthz (bare route)",
            lambda n: ("GET", "/healthz", None, None),
            clients,
            seconds,
        )
    )
    print("  " + bare.line(), flush=True)
    for order in ("recent", "value"):
        step = asyncio.run(
            load(
                base,
                f"GET feed ({order})",
                lambda n, o=order: (
                    "GET",
                    f"{path}?order={o}&limit=20",
                    None,
                    signed_in(org.viewer),
                ),
                clients,
                seconds,
            )
        )
        print("  " + step.line(bare), flush=True)
    print(f"  load average after: {os.getloadavg()[0]:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--posts-each", type=int, default=3)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--reads", type=int, default=100)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as root:
        print("starting nats-server ...", flush=True)
        system = System(Path(root), {})
        try:
            started = time.perf_counter()
            print(
                f"seeding content with {args.members} members, {args.connections} connections "
                f"for the reader, {args.posts_each} posts each ...",
                flush=True,
            )
            org = Org(args.members, args.connections, args.posts_each)
            database = f"sqlite+aiosqlite:///{Path(root) / 'var' / 'content.sqlite3'}"
            asyncio.run(seed(database, org))
            say(f"seeded in {time.perf_counter() - started:.1f} s")
            print("starting every service ...", flush=True)
            try:
                system.start_all()
            except AssertionError:
                print(system.log_tail("content"), flush=True)
                raise
            # the org's members sign in as m<n>, their handles (bench/identities.py)
            handles = {m: f"m{n}" for n, m in enumerate(org.ids)}
            profiles = f"sqlite+aiosqlite:///{Path(root) / 'var' / 'profiles.sqlite3'}"
            asyncio.run(bind(profiles, handles))
            signed_in = SignedIn(system.mint, handles)
            wait_until(
                lambda: (
                    system.http.get(
                        f"/v1/members/{org.viewer}/content-stats", headers=signed_in(org.viewer)
                    ).status_code
                    == 200
                ),
                timeout=60,
            )
            print(
                f"\ncontent benchmark (SQLite, every service its own process; "
                f"{args.workers} clients in flight for writes)",
                flush=True,
            )
            writes(system, org, args.writes, args.workers, signed_in)
            print(
                f"\nfeed of a member with {args.connections} connections, 50 follows and 5 "
                f"groups, in an org of {args.members} members ({args.posts_each} posts each)",
                flush=True,
            )
            feed_reads(system, org, args.reads, signed_in)
            print(f"\nthe same feed at {args.clients} concurrent readers", flush=True)
            feed_under_load(system, org, args.clients, args.seconds, signed_in)
        finally:
            system.shutdown()


if __name__ == "__main__":
    main()
