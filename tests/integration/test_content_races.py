"""One winner in every race: random concurrent changes of one group's membership and of one
post's reactions and shares, fired at two replicas of the content service that share one
database (SQLite, PostgreSQL) and the work of each operation (a NATS queue group).

Of conflicting changes exactly one changes anything and publishes its fact; the others get
a 4xx (409 when they lost the race) or, when asking for what is already so, the same answer
without a fact. The facts, replayed in the order the stream holds them, give the final state
the service shows.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator

import pytest

from shared.contracts.api import content as api
from shared.contracts.operations import Operation
from shared.messaging.rpc import RemoteProblem
from tests.conftest import BACKENDS
from tests.integration.content_service import Content, Service, connected, running_content
from tests.support import eventually

SEED = 20260101


@pytest.fixture(scope="module", params=BACKENDS)
def service(request, tmp_path_factory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("content-races")
    with running_content(request.param, root, replicas=2) as running:
        yield running


@pytest.fixture
async def content(service: Service):
    async for client in connected(service):
        yield client


async def at_once(content: Content, calls: list[tuple[Operation, dict]]) -> list[dict | int]:
    """Fire every call at the same time; each answer is the reply, or the problem's status."""

    async def one(operation: Operation, payload: dict) -> dict | int:
        try:
            return await content.ask(operation, payload)
        except RemoteProblem as refused:
            return refused.problem.status

    return await asyncio.gather(*(one(op, payload) for op, payload in calls))


def refused(answers: list[dict | int]) -> Counter:
    return Counter(a for a in answers if isinstance(a, int))


async def _joins(content: Content, group_id: str, count: int) -> list | None:
    facts = [e for e in await content.events_about({group_id}) if e.type != "group.created"]
    return facts if len(facts) >= count else None


# --- group membership -------------------------------------------------------------------


async def test_of_concurrent_membership_changes_one_wins_and_the_facts_tell_the_group(
    content: Content,
):
    owner, stayer, *others = await content.members("owner", "stayer", "m1", "m2", "m3", "m4")
    group = await content.ask(
        api.create_group, {"owner_id": owner, "name": "Race", "privacy": "private"}
    )
    g = group["id"]

    def put(member: str, actor: str) -> tuple[Operation, dict]:
        return api.put_group_member, {"group_id": g, "member_id": member, "actor_id": actor}

    def take(member: str, actor: str) -> tuple[Operation, dict]:
        return api.remove_group_member, {"group_id": g, "member_id": member, "actor_id": actor}

    await content.ask(*put(stayer, owner))
    await content.ask(*put(stayer, stayer))  # the longest-standing member after the owner

    # the owner invites everyone three times over, and they all join three times over
    invited = await at_once(content, [put(m, owner) for m in others for _ in range(3)])
    assert all(isinstance(a, dict) and a["status"] == "invited" for a in invited), invited
    joined = await at_once(content, [put(m, m) for m in others for _ in range(3)])
    assert all(isinstance(a, dict) and a["status"] == "member" for a in joined), joined
    facts = await eventually(lambda: _joins(content, g, 2 + len(others)), timeout=15)
    assert sorted(f.member_id for f in facts) == sorted([owner, stayer, *others])

    # invitations, joins, leaves, removals, and the owner leaving, all at once
    rng = random.Random(SEED)
    changes = [
        rng.choice([put(m, owner), put(m, m), take(m, m), take(m, owner)])
        for m in rng.choices(others, k=40)
    ]
    changes.insert(len(changes) // 2, take(owner, owner))
    answers = await at_once(content, changes)
    assert set(refused(answers)) <= {403, 404, 409}, answers
    done = Counter(
        (op.name, payload["member_id"] == payload["actor_id"])
        for (op, payload), answer in zip(changes, answers, strict=True)
        if isinstance(answer, dict)
    )

    # a last join after the race: once its fact is out, every fact of the race is
    (marker,) = await content.members("marker")
    await content.ask(*put(marker, stayer))
    await content.ask(*put(marker, marker))
    facts = await membership_facts(content, g, until_joined=marker)
    members = replay(facts)
    view = await content.ask(api.get_group, {"group_id": g, "member_id": stayer})
    assert {m["member_id"] for m in view["members"]} == members
    assert view["member_count"] == len(members)
    assert view["owner_id"] == stayer and owner not in members
    assert [m["role"] for m in view["members"] if m["member_id"] == stayer] == ["owner"]
    # no fact without a change answered as done
    raced = facts[2 + len(others) : -1]
    assert Counter(f.type for f in raced)["group.member_joined"] <= done["put_group_member", True]
    assert Counter(f.type for f in raced)["group.member_left"] <= (
        done["remove_group_member", True] + done["remove_group_member", False]
    )


async def membership_facts(content: Content, group_id: str, *, until_joined: str) -> list:
    """group.member_joined and group.member_left of the group, in stream order, once the
    join of `until_joined` is among them."""

    async def found():
        facts = [
            e
            for e in await content.events_about({group_id})
            if e.type in ("group.member_joined", "group.member_left")
        ]
        done = facts and facts[-1].type == "group.member_joined"
        return facts if done and facts[-1].member_id == until_joined else None

    return await eventually(found, timeout=15)


def replay(facts: list) -> set[str]:
    """The members the facts leave, checking that each fact is a change: nobody joins twice
    without leaving, nor leaves without having joined."""
    members: set[str] = set()
    for fact in facts:
        if fact.type == "group.member_joined":
            assert fact.member_id not in members, f"joined twice: {fact}"
            members.add(fact.member_id)
        else:
            assert fact.member_id in members, f"left without being in: {fact}"
            members.remove(fact.member_id)
    return members


# --- reactions and shares of one post --------------------------------------------------


async def test_of_concurrent_reactions_and_shares_one_wins_and_the_facts_tell_the_post(
    content: Content,
):
    author, *readers = await content.members("author", "r1", "r2", "r3", "r4", "r5")
    post = await content.ask(api.create_post, {"author_id": author, "body": "race"})
    p = post["id"]

    # every reader shares it three times at once: one share each, the others 409
    shared = await at_once(
        content, [(api.share_post, {"post_id": p, "member_id": r}) for r in readers for _ in "abc"]
    )
    assert refused(shared) == Counter({409: 2 * len(readers)}), shared
    assert sorted(a["member_id"] for a in shared if isinstance(a, dict)) == sorted(readers)

    # reactions set, changed and taken back, all at once
    rng = random.Random(SEED)
    changes = [
        (api.set_reaction, {"post_id": p, "member_id": r, "kind": rng.choice(api.REACTION_KINDS)})
        if rng.random() < 0.7
        else (api.remove_reaction, {"post_id": p, "member_id": r})
        for r in rng.choices(readers, k=60)
    ]
    answers = await at_once(content, changes)
    assert set(refused(answers)) <= {404, 409}, answers

    # a last reaction after the race: once its fact is out, every fact of the race is
    (marker,) = await content.members("marker")
    await content.ask(api.set_reaction, {"post_id": p, "member_id": marker, "kind": "like"})
    facts = await eventually(lambda: _post_facts_until(content, p, marker), timeout=15)
    assert sorted(f.actor_id for f in facts if f.type == "post.shared") == sorted(readers)
    reactions = replay_reactions([f for f in facts if f.type.startswith("reaction.")])

    seen = await content.ask(api.get_post, {"post_id": p, "member_id": author})
    assert seen["reactions"] == {k: Counter(reactions.values())[k] for k in api.REACTION_KINDS}
    assert seen["shares"] == len(readers)
    for reader in [*readers, marker]:
        mine = await content.ask(api.get_post, {"post_id": p, "member_id": reader})
        assert mine["my_reaction"] == reactions.get(reader)
    # the stored value counts every engagement that stands (none lost to a concurrent one):
    # 1 per member who reacts, 3 per share, over an audience of one
    assert seen["value"] == pytest.approx(len(reactions) + 3 * len(readers), rel=1e-3)


async def _post_facts_until(content: Content, post_id: str, last_actor: str) -> list | None:
    facts = [
        e
        for e in await content.events_about({post_id})
        if e.type in ("post.shared", "reaction.set", "reaction.removed")
    ]
    return facts if facts and facts[-1].actor_id == last_actor else None


def replay_reactions(facts: list) -> dict[str, str]:
    """Each member's reaction the facts leave, checking that each fact changes the one
    before it: a reaction set names the kind it replaces, a removal the kind it removes."""
    kinds: dict[str, str] = {}
    for fact in facts:
        assert fact.target == "post"
        if fact.type == "reaction.set":
            assert fact.previous_kind == kinds.get(fact.actor_id), f"not a change: {fact}"
            assert fact.kind != fact.previous_kind
            kinds[fact.actor_id] = fact.kind
        else:
            assert kinds.pop(fact.actor_id, None) == fact.kind, f"nothing to remove: {fact}"
    return kinds
