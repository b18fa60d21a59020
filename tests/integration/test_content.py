"""The content service against a real nats-server and real databases (SQLite, PostgreSQL).

The service runs as its own process, as `make run` starts it. The tests feed it the events of
profiles and connections directly (so they choose their order and time), give it commands
over NATS request/reply as the gateway does, and read what it published from the CONTENT
stream. One service runs per module and backend; every test registers its own members.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import create_async_engine

from services.content.schema import Base
from shared.contracts.api import content as api
from shared.contracts.events import (
    ConnectionRemoved,
    MemberBlocked,
    MemberDeleted,
    MemberFollowed,
    MemberRegistered,
    MemberUnblocked,
    MemberUpdated,
)
from shared.messaging.rpc import RemoteProblem
from tests.conftest import BACKENDS
from tests.integration.content_service import (
    Content,
    Service,
    connected,
    running_content,
    strings,
)
from tests.support import eventually


@pytest.fixture(scope="module", params=BACKENDS)
def service(request, tmp_path_factory) -> Iterator[Service]:
    with running_content(request.param, tmp_path_factory.mktemp("content")) as running:
        yield running


@pytest.fixture
async def content(service: Service):
    async for client in connected(service):
        yield client


def post_ids(items: list[dict]) -> list[str]:
    return [item["post"]["id"] for item in items]


# --- every event once, naming every member concerned ------------------------------------


async def test_every_content_event_is_published_once_naming_the_members_it_concerns(
    content: Content,
):
    ana, ben, chen = await content.members("ana", "ben", "chen")
    handles = content.handles
    await content.connect(ana, ben)
    secret = f"secret-{uuid.uuid4().hex}"

    post = await content.ask(
        api.create_post,
        {"author_id": ana, "body": f"{secret} hello @{handles[ben]}", "link": "https://x.org"},
    )
    await content.ask(
        api.edit_post,
        {
            "post_id": post["id"],
            "changes": {"member_id": ana, "body": f"{secret} @{handles[ben]} @{handles[chen]}"},
        },
    )
    comment = await content.ask(
        api.create_comment, {"post_id": post["id"], "author_id": ben, "body": f"{secret} nice"}
    )
    reply = await content.ask(
        api.create_comment,
        {
            "post_id": post["id"],
            "author_id": chen,
            "body": f"{secret} indeed",
            "reply_to_comment_id": comment["id"],
        },
    )
    for kind in ("like", "celebrate"):
        await content.ask(api.set_reaction, {"post_id": post["id"], "member_id": ben, "kind": kind})
    await content.ask(api.remove_reaction, {"post_id": post["id"], "member_id": ben})
    share = await content.ask(
        api.share_post, {"post_id": post["id"], "member_id": chen, "comment": secret}
    )
    await content.ask(
        api.delete_comment, {"post_id": post["id"], "comment_id": comment["id"], "member_id": ben}
    )
    group = await content.ask(api.create_group, {"owner_id": ana, "name": "Py", "topic": "python"})
    await content.ask(
        api.put_group_member, {"group_id": group["id"], "member_id": ben, "actor_id": ben}
    )
    message = await content.ask(
        api.post_group_message,
        {"group_id": group["id"], "author_id": ben, "body": f"{secret} @{handles[ana]}"},
    )
    answer = await content.ask(
        api.post_group_message,
        {
            "group_id": group["id"],
            "author_id": ana,
            "body": secret,
            "reply_to_message_id": message["id"],
        },
    )
    await content.ask(
        api.remove_group_member, {"group_id": group["id"], "member_id": ben, "actor_id": ben}
    )
    dm = await content.ask(
        api.send_direct_message, {"sender_id": ana, "recipient_id": chen, "body": secret}
    )
    await content.ask(api.delete_post, {"post_id": post["id"], "member_id": ana})

    expected = 18
    events = await eventually(
        lambda: _at_least(content.events_about({ana, ben, chen}), expected), timeout=15
    )
    assert len(events) == expected, [e.type for e in events]
    by_type: dict[str, list] = {}
    for event in events:
        by_type.setdefault(event.type, []).append(event.model_dump())
    p, g = post["id"], group["id"]
    assert by_type == {
        "post.created": [
            {
                "post_id": p,
                "author_id": ana,
                "visibility": "org",
                "group_id": None,
                "mentioned_ids": [ben],
                "has_link": True,
            }
        ],
        "post.edited": [
            {
                "post_id": p,
                "author_id": ana,
                "mentioned_ids": [ben, chen],
                "added_mention_ids": [chen],
            }
        ],
        "comment.created": [
            {
                "comment_id": comment["id"],
                "post_id": p,
                "author_id": ben,
                "post_author_id": ana,
                "reply_to_comment_id": None,
                "reply_to_author_id": None,
                "mentioned_ids": [],
            },
            {
                "comment_id": reply["id"],
                "post_id": p,
                "author_id": chen,
                "post_author_id": ana,
                "reply_to_comment_id": comment["id"],
                "reply_to_author_id": ben,
                "mentioned_ids": [],
            },
        ],
        "reaction.set": [
            {
                "target": "post",
                "post_id": p,
                "comment_id": None,
                "actor_id": ben,
                "target_author_id": ana,
                "post_author_id": ana,
                "kind": "like",
                "previous_kind": None,
            },
            {
                "target": "post",
                "post_id": p,
                "comment_id": None,
                "actor_id": ben,
                "target_author_id": ana,
                "post_author_id": ana,
                "kind": "celebrate",
                "previous_kind": "like",
            },
        ],
        "reaction.removed": [
            {
                "target": "post",
                "post_id": p,
                "comment_id": None,
                "actor_id": ben,
                "target_author_id": ana,
                "post_author_id": ana,
                "kind": "celebrate",
            }
        ],
        "post.shared": [
            {
                "share_id": share["id"],
                "post_id": p,
                "actor_id": chen,
                "post_author_id": ana,
                "with_comment": True,
            }
        ],
        "comment.deleted": [
            {
                "comment_id": cid,
                "post_id": p,
                "author_id": author,
                "post_author_id": ana,
                "actor_id": ben,
            }
            for cid, author in ((comment["id"], ben), (reply["id"], chen))
        ],
        "group.created": [
            {"group_id": g, "owner_id": ana, "name": "Py", "topic": "python", "privacy": "open"}
        ],
        "group.member_joined": [
            {"group_id": g, "member_id": ana, "role": "owner", "invited_by": None},
            {"group_id": g, "member_id": ben, "role": "member", "invited_by": None},
        ],
        "group.message_posted": [
            {
                "message_id": message["id"],
                "group_id": g,
                "author_id": ben,
                "reply_to_author_id": None,
                "mentioned_ids": [ana],
            },
            {
                "message_id": answer["id"],
                "group_id": g,
                "author_id": ana,
                "reply_to_author_id": ben,
                "mentioned_ids": [],
            },
        ],
        "group.member_left": [{"group_id": g, "member_id": ben, "reason": "left"}],
        "direct_message.sent": [{"message_id": dm["id"], "sender_id": ana, "recipient_id": chen}],
        "post.deleted": [{"post_id": p, "author_id": ana, "reason": "deleted"}],
    }
    assert not any(secret in s for e in events for s in strings(e.model_dump()))


async def _at_least(found, count: int):
    events = await found
    return events if len(events) >= count else None


# --- erasure ----------------------------------------------------------------------------


async def test_member_deleted_removes_the_members_content_and_personal_data(
    content: Content, service: Service
):
    ana, ben = await content.members("ana", "ben")
    await content.connect(ana, ben)
    post = await content.ask(api.create_post, {"author_id": ana, "body": "hello"})
    await content.ask(api.create_comment, {"post_id": post["id"], "author_id": ben, "body": "nice"})
    await content.ask(api.set_reaction, {"post_id": post["id"], "member_id": ben, "kind": "like"})
    await content.ask(api.share_post, {"post_id": post["id"], "member_id": ben})
    bens_post = await content.ask(api.create_post, {"author_id": ben, "body": "mine"})
    await content.ask(
        api.set_reaction, {"post_id": bens_post["id"], "member_id": ana, "kind": "support"}
    )
    bens_group = await content.ask(api.create_group, {"owner_id": ben, "name": "Ben's"})
    await content.ask(
        api.put_group_member, {"group_id": bens_group["id"], "member_id": ana, "actor_id": ana}
    )
    await content.ask(
        api.post_group_message, {"group_id": bens_group["id"], "author_id": ben, "body": "hi"}
    )
    await content.ask(
        api.send_direct_message, {"sender_id": ana, "recipient_id": ben, "body": "hey"}
    )
    await content.ask(api.mute, {"member_id": ana, "target_id": ben})
    assert (await content.ask(api.get_post, {"post_id": post["id"], "member_id": ana}))["value"] > 0

    await content.publish(MemberDeleted(member_id=ben))
    await eventually(lambda: _not(content.knows(ben)), timeout=15)

    seen = await content.ask(api.get_post, {"post_id": post["id"], "member_id": ana})
    assert (seen["comments"], seen["shares"], seen["value"]) == (0, 0, 0)
    assert seen["reactions"]["like"] == 0
    assert (
        await content.problem(api.get_post, {"post_id": bens_post["id"], "member_id": ana})
    ).status == 404
    group = await content.ask(api.get_group, {"group_id": bens_group["id"], "member_id": ana})
    assert (group["owner_id"], group["member_count"]) == (ana, 1)
    chat = await content.ask(
        api.list_group_messages, {"group_id": bens_group["id"], "member_id": ana}
    )
    assert chat["items"] == []
    assert (await content.ask(api.list_mutes, {"member_id": ana}))["items"] == []
    assert ben not in str(await content.feed(ana, limit=100))
    left = [e for e in await content.events_about({ben}) if e.type == "group.member_left"]
    assert [e.reason for e in left] == ["member_deleted"]

    # a late profile event does not bring the member back
    # (even were profiles, by mistake, still to answer for them: the tombstone wins)
    await content.publish(
        MemberUpdated(member_id=ben, handle="ben-late", changed=["name"]),
        time=datetime.now(UTC) + timedelta(days=1),
    )
    (marker,) = await content.members("marker")
    assert await content.knows(marker) and not await content.knows(ben)
    assert await _rows_naming(service.database_url, ben) == {"members": 1}


async def _not(probe) -> bool:
    return not await probe


async def _rows_naming(database_url: str, member_id: str) -> dict[str, int]:
    """Rows of the content database (outbox and inbox aside) holding the id anywhere."""
    engine = create_async_engine(database_url)
    found: dict[str, int] = {}
    try:
        async with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                if table.name in ("outbox", "inbox"):
                    continue
                columns = [c for c in table.columns if isinstance(c.type, String)]
                for row in await connection.execute(select(*columns)):
                    if member_id in row:
                        found[table.name] = found.get(table.name, 0) + 1
    finally:
        await engine.dispose()
    return found


# --- members' names, from profiles --------------------------------------------------------


async def test_content_shows_the_name_profiles_gives_and_keeps_nothing_of_an_erased_member(
    content: Content, service: Service
):
    (ana,) = await content.members("ana")
    post = await content.ask(api.create_post, {"author_id": ana, "body": "hello"})
    assert post["author"]["name"] == "Ana"  # the fact carried no name: profiles gave it
    assert any(ana in request.member_ids for request in content.profiles.requests)

    # a renamed member: the fact says what changed, profiles says the new name
    content.profiles.hold(ana, name="Ana Lima")
    await content.publish(
        MemberUpdated(member_id=ana, handle=content.handles[ana], changed=["name"])
    )

    async def renamed() -> bool:
        seen = await content.ask(api.get_post, {"post_id": post["id"], "member_id": ana})
        return seen["author"]["name"] == "Ana Lima"

    await eventually(renamed)

    # the registration of a member profiles has erased, replayed before their member.deleted
    gone = str(uuid.uuid4())
    await content.publish(MemberRegistered(member_id=gone, handle=f"gone-{gone[:8]}"))
    await content.members("marker")  # facts are handled in order: gone's was before
    assert not await content.knows(gone)
    assert await _rows_naming(service.database_url, gone) == {}


# --- blocks -----------------------------------------------------------------------------


async def test_a_block_hides_both_members_from_each_others_feeds_and_refuses_direct_messages(
    content: Content,
):
    ana, ben = await content.members("ana", "ben")
    await content.connect(ana, ben)
    await content.publish(MemberFollowed(member_id=ben, other_id=ana))
    anas = await content.ask(
        api.create_post, {"author_id": ana, "body": "a", "visibility": "connections"}
    )
    bens = await content.ask(api.create_post, {"author_id": ben, "body": "b"})
    await eventually(lambda: _contains(content.feed(ana), bens["id"]))
    await eventually(lambda: _contains(content.feed(ben), anas["id"]))

    # the block alone hides them, whatever the copy still says about connection and follow
    blocked = await content.publish(MemberBlocked(member_id=ana, other_id=ben))
    await eventually(lambda: _not(_contains(content.feed(ben), anas["id"])))
    assert bens["id"] not in post_ids(await content.feed(ana))
    for sender, recipient in ((ana, ben), (ben, ana)):
        problem = await content.problem(
            api.send_direct_message, {"sender_id": sender, "recipient_id": recipient, "body": "hi"}
        )
        assert (problem.status, problem.errors[0].field) == (403, "recipient_id")
    assert (
        await content.problem(api.get_post, {"post_id": anas["id"], "member_id": ben})
    ).status == 404
    conversation = await content.ask(api.list_conversation, {"member_id": ana, "other_id": ben})
    assert conversation["items"] == []

    await content.publish(
        MemberUnblocked(member_id=ana, other_id=ben), time=blocked.time + timedelta(seconds=1)
    )
    await eventually(lambda: _sends(content, ben, ana))


async def _contains(feed, post_id: str) -> bool:
    return post_id in post_ids(await feed)


async def _sends(content: Content, sender: str, recipient: str) -> bool:
    try:
        await content.ask(
            api.send_direct_message, {"sender_id": sender, "recipient_id": recipient, "body": "hi"}
        )
    except RemoteProblem:
        return False
    return True


# --- order independence -----------------------------------------------------------------


async def test_the_copies_do_not_depend_on_the_order_events_arrive_in(content: Content):
    ana, ben = await content.members("ana", "ben")
    now = datetime.now(UTC)
    post = await content.ask(
        api.create_post, {"author_id": ana, "body": "for connections", "visibility": "connections"}
    )
    # the removal (later) arrives before the acceptance (earlier): they end unconnected
    await content.publish(
        ConnectionRemoved(member_id=ana, other_id=ben, reason="removed"), time=now
    )
    await content.connect(ana, ben, time=now - timedelta(seconds=5))
    # a rename (later) arrives before the registration (earlier) of a new member
    chen = str(uuid.uuid4())
    content.profiles.hold(chen, name="C")
    await content.publish(
        MemberUpdated(member_id=chen, handle=f"new-{chen[:8]}", changed=["handle"]), time=now
    )
    await content.publish(
        MemberRegistered(member_id=chen, handle=f"old-{chen[:8]}"), time=now - timedelta(seconds=5)
    )
    # an erasure arrives before the registration (profiles no longer knows them either)
    dev = str(uuid.uuid4())
    await content.publish(MemberDeleted(member_id=dev), time=now)
    await content.publish(
        MemberRegistered(member_id=dev, handle=f"dev-{dev[:8]}"), time=now - timedelta(seconds=5)
    )
    (marker,) = await content.members("marker")
    # connection events are handled in order: once a later one shows, the earlier did too
    await content.connect(ana, marker)
    await eventually(lambda: _contains(content.feed(marker), post["id"]))

    assert post["id"] not in post_ids(await content.feed(ben))
    mention = await content.ask(
        api.create_post,
        {"author_id": ana, "body": f"@new-{chen[:8]} @old-{chen[:8]} @dev-{dev[:8]}"},
    )
    assert [m["member_id"] for m in mention["mentions"]] == [chen]
    assert not await content.knows(dev)
    assert await content.knows(marker)


# --- the feed ---------------------------------------------------------------------------


async def test_the_feed_follows_connections_follows_and_groups_minus_blocks_and_mutes(
    content: Content,
):
    viewer, friend, friend2, followed, stranger, muted = await content.members(
        "viewer", "friend", "friend2", "followed", "stranger", "muted"
    )
    for other in (friend, friend2, muted):
        await content.connect(viewer, other)
    await content.publish(MemberFollowed(member_id=viewer, other_id=followed))
    group = await content.ask(api.create_group, {"owner_id": stranger, "name": "G"})
    await content.ask(
        api.put_group_member, {"group_id": group["id"], "member_id": viewer, "actor_id": viewer}
    )
    await content.ask(api.mute, {"member_id": viewer, "target_id": muted})

    async def post(author: str, visibility: str = "org", **more) -> str:
        body = {"author_id": author, "body": "x", "visibility": visibility} | more
        return (await content.ask(api.create_post, body))["id"]

    own = await post(viewer, "connections")
    friend_connections = await post(friend, "connections")
    friend_org = await post(friend, "org")
    followed_org = await post(followed, "org")
    followed_connections = await post(followed, "connections")
    stranger_org = await post(stranger, "org")
    in_group = await post(stranger, "group", group_id=group["id"])
    muted_org = await post(muted, "org")
    share = await content.ask(api.share_post, {"post_id": stranger_org, "member_id": friend2})
    refused = await content.problem(
        api.share_post, {"post_id": followed_connections, "member_id": friend2}
    )
    assert refused.status == 404

    expected = [
        ("share", stranger_org),
        ("post", in_group),
        ("post", followed_org),
        ("post", friend_org),
        ("post", friend_connections),
        ("post", own),
    ]
    everything = await eventually(lambda: _feed_if(content, viewer, expected))
    assert everything[0]["id"] == share["id"]
    assert everything[0]["shared_by"]["member_id"] == friend2
    assert muted_org not in post_ids(everything)
    assert await _all_pages(content, viewer, "recent", 2) == entries(everything)

    # by value: the most engaged first, each other member counting once per kind
    reactions = ((friend, "like"), (friend2, "like"), (stranger, "insightful"), (viewer, "like"))
    for member, kind in reactions:
        await content.ask(
            api.set_reaction, {"post_id": followed_org, "member_id": member, "kind": kind}
        )
    await content.ask(api.create_comment, {"post_id": friend_org, "author_id": viewer, "body": "!"})
    by_value = await content.feed(viewer, limit=100, order="value")
    assert post_ids(by_value)[:3] == [followed_org, stranger_org, friend_org]
    assert await _all_pages(content, viewer, "value", 2) == entries(by_value)

    await content.ask(api.mute, {"member_id": viewer, "target_id": group["id"]})
    assert in_group not in post_ids(await content.feed(viewer, limit=100))
    await content.ask(api.unmute, {"member_id": viewer, "target_id": group["id"]})
    assert in_group in post_ids(await content.feed(viewer, limit=100))
    stale = await content.ask(api.feed, {"member_id": viewer, "limit": 1})
    problem = await content.problem(
        api.feed, {"member_id": friend, "limit": 1, "cursor": stale["next_cursor"]}
    )
    assert (problem.status, problem.errors[0].field) == (400, "cursor")


async def _feed_if(content: Content, member_id: str, expected: list[tuple[str, str]]):
    items = await content.feed(member_id, limit=100)
    return items if [(i["kind"], i["post"]["id"]) for i in items] == expected else None


def entries(items: list[dict]) -> list[tuple[str, str]]:
    """What a page lists (its values change with time: engagement decays)."""
    return [(item["kind"], item["id"]) for item in items]


async def _all_pages(content: Content, member_id: str, order: str, limit: int) -> list:
    items, cursor = [], None
    while True:
        query = {"member_id": member_id, "order": order, "limit": limit}
        page = await content.ask(api.feed, query | ({"cursor": cursor} if cursor else {}))
        items += entries(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


# --- a member's groups ------------------------------------------------------------------


async def test_a_members_groups_are_those_they_are_in_or_invited_to_by_name(content: Content):
    owner, member, invitee, outsider = await content.members("owner", "member", "invitee", "out")
    open_group = await content.ask(api.create_group, {"owner_id": owner, "name": "b open"})
    private = await content.ask(
        api.create_group, {"owner_id": owner, "name": "A private", "privacy": "private"}
    )
    await content.ask(
        api.put_group_member,
        {"group_id": open_group["id"], "member_id": member, "actor_id": member},
    )
    await content.ask(
        api.put_group_member,
        {"group_id": private["id"], "member_id": invitee, "actor_id": owner},
    )

    async def groups_of(member_id: str) -> list[tuple[str, str, int]]:
        answer = await content.ask(api.list_member_groups, {"member_id": member_id})
        return [(g["name"], g["status"], g["member_count"]) for g in answer["items"]]

    assert await groups_of(owner) == [("A private", "member", 1), ("b open", "member", 2)]
    assert await groups_of(member) == [("b open", "member", 2)]
    assert await groups_of(invitee) == [("A private", "invited", 1)]
    assert await groups_of(outsider) == []
    await content.ask(
        api.remove_group_member,
        {"group_id": open_group["id"], "member_id": member, "actor_id": member},
    )
    assert await groups_of(member) == []
    unknown = await content.problem(api.list_member_groups, {"member_id": str(uuid.uuid4())})
    assert unknown.status == 404
