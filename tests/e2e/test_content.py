"""Content through HTTP, with every service as its own process: posts, comments, reactions,
shares, groups, chats, the feed, mutes, content stats, erasure, and the bad input the API
refuses (a 4xx problem naming the field, with nothing stored).

One system runs for the module (per backend); every test registers its own members.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.system import System, wait_until

PROBLEM = "application/problem+json"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def members(system: System, *prefixes: str) -> list[str]:
    return system.registered(*(unique(p) for p in prefixes))


def handle_of(system: System, member_id: str) -> str:
    return system.as_id(member_id).get(f"/v1/members/{member_id}").json()["handle"]


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def problem(response: httpx.Response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert field in [e["field"] for e in body["errors"]], body
    return body


def connect(system: System, one: str, other: str) -> None:
    request = ok(
        system.as_id(one).post("/v1/connection-requests", json={"addressee_id": other}),
        201,
    )
    ok(system.as_id(other).post(f"/v1/connection-requests/{request['id']}/accept"))


def publish(system: System, author: str, body: str = "hello", **fields) -> dict:
    return ok(system.as_id(author).post("/v1/posts", json={"body": body} | fields), 201)


def feed(system: System, member_id: str, **params) -> list[dict]:
    return ok(system.as_id(member_id).get(f"/v1/members/{member_id}/feed", params=params))["items"]


def feed_posts(system: System, member_id: str, **params) -> list[str]:
    return [item["post"]["id"] for item in feed(system, member_id, limit=100, **params)]


def stats(system: System, member_id: str) -> dict:
    return ok(system.as_id(member_id).get(f"/v1/members/{member_id}/content-stats"))


def post_view(system: System, post_id: str, reader: str) -> dict:
    return ok(system.as_id(reader).get(f"/v1/posts/{post_id}"))


# --- the happy paths --------------------------------------------------------------------


def test_members_post_comment_react_and_share_and_their_feeds_and_stats_show_it(
    shared_system: System,
):
    system = shared_system
    ana, ben, chen = members(system, "ana", "ben", "chen")
    connect(system, ana, ben)
    ok(system.as_id(ben).put(f"/v1/members/{ben}/follows/{chen}"))

    post = publish(
        system, ana, f"hello @{handle_of(system, ben)} and @nobody-here", visibility="connections"
    )
    assert [m["member_id"] for m in post["mentions"]] == [ben]
    chens = publish(system, chen, "an org-wide post")
    wait_until(lambda: feed_posts(system, ben) == [chens["id"], post["id"]])
    assert feed_posts(system, chen) == [chens["id"]]  # ana's post is for her connections

    comment = ok(
        system.as_id(ben).post(f"/v1/posts/{post['id']}/comments", json={"body": "nice"}),
        201,
    )
    reply = ok(
        system.as_id(ana).post(
            f"/v1/posts/{post['id']}/comments",
            json={"body": "thanks", "reply_to_comment_id": comment["id"]},
        ),
        201,
    )
    assert (reply["thread_id"], reply["reply_to"]["member_id"]) == (comment["id"], ben)
    ok(system.as_id(ben).put(f"/v1/posts/{post['id']}/reactions/{ben}", json={"kind": "like"}))
    ok(system.as_id(ben).put(f"/v1/posts/{post['id']}/reactions/{ben}", json={"kind": "celebrate"}))
    ok(
        system.as_id(ana).put(
            f"/v1/posts/{post['id']}/comments/{comment['id']}/reactions/{ana}",
            json={"kind": "support"},
        )
    )
    ok(system.as_id(ben).post(f"/v1/posts/{chens['id']}/shares"), 201)

    seen = post_view(system, post["id"], ben)
    assert seen["reactions"]["celebrate"] == 1 and sum(seen["reactions"].values()) == 1
    assert (seen["comments"], seen["my_reaction"]) == (2, "celebrate")
    # ben reacted (1) and commented (2); ana's audience is one connection
    assert seen["value"] == pytest.approx(3, rel=1e-3)
    comments = ok(system.as_id(ana).get(f"/v1/posts/{post['id']}/comments"))["items"]
    assert [c["id"] for c in comments] == [comment["id"], reply["id"]]
    assert comments[0]["reactions"]["support"] == 1

    anas = stats(system, ana)
    assert anas["posts"] == 1
    assert anas["engagement_received"] == {
        "reactions": 1,
        "comments": 1,
        "shares": 0,
        "members": 1,
    }
    assert anas["content_value"] == pytest.approx(3, rel=1e-3)
    assert stats(system, ben)["engagement_given"] == {
        "reactions": 1,
        "comments": 1,
        "shares": 1,
        "members": 2,
    }

    edited = ok(system.as_id(ana).patch(f"/v1/posts/{post['id']}", json={"body": "hello again"}))
    assert edited["body"] == "hello again" and edited["edited_at"]
    by_value = feed(system, ben, order="value")
    assert [i["post"]["id"] for i in by_value][:1] == [chens["id"]]  # shared by ben: 3 / 1

    ok(system.as_id(ben).put(f"/v1/members/{ben}/mutes/{chen}"))
    assert feed_posts(system, ben) == [post["id"]]
    assert system.as_id(ben).delete(f"/v1/members/{ben}/mutes/{chen}").status_code == 204

    deleted = system.as_id(ana).request("DELETE", f"/v1/posts/{post['id']}")
    assert deleted.status_code == 204
    assert system.as_id(ana).get(f"/v1/posts/{post['id']}").status_code == 404
    assert post["id"] not in feed_posts(system, ben)


def test_a_private_group_its_chat_and_direct_messages_through_the_api(shared_system: System):
    system = shared_system
    owner, guest, outsider = members(system, "owner", "guest", "outsider")
    group = ok(
        system.as_id(owner).post(
            "/v1/groups",
            json={"name": "Data folk", "topic": "data", "privacy": "private"},
        ),
        201,
    )
    path = f"/v1/groups/{group['id']}"
    invited = ok(system.as_id(owner).put(f"{path}/members/{guest}"))
    assert invited["status"] == "invited"
    assert ok(system.as_id(guest).put(f"{path}/members/{guest}"))["status"] == "member"
    group_post = publish(system, guest, "for the group", group_id=group["id"])
    assert group_post["visibility"] == "group"
    assert group_post["id"] in feed_posts(system, owner)
    assert system.as_id(outsider).get(path).status_code == 404

    first = ok(
        system.as_id(guest).post(
            f"{path}/messages",
            json={"body": f"hi @{handle_of(system, owner)}"},
        ),
        201,
    )
    answer = ok(
        system.as_id(owner).post(
            f"{path}/messages",
            json={"body": "welcome", "reply_to_message_id": first["id"]},
        ),
        201,
    )
    assert answer["reply_to_author_id"] == guest
    chat = ok(system.as_id(guest).get(f"{path}/messages", params={"limit": 1}))
    assert [m["id"] for m in chat["items"]] == [answer["id"]]
    older = ok(
        system.as_id(guest).get(
            f"{path}/messages",
            params={"limit": 1, "cursor": chat["next_cursor"]},
        )
    )
    assert [m["id"] for m in older["items"]] == [first["id"]]
    assert older["next_cursor"] is None

    assert system.as_id(owner).delete(f"{path}/members/{owner}").status_code == 204
    after = ok(system.as_id(guest).get(path))
    assert (after["owner_id"], after["member_count"]) == (guest, 1)

    sent = ok(
        system.as_id(owner).post(
            "/v1/direct-messages",
            json={"recipient_id": outsider, "body": "coffee?"},
        ),
        201,
    )
    for reader, other in ((owner, outsider), (outsider, owner)):
        conversation = ok(system.as_id(reader).get(f"/v1/members/{reader}/conversations/{other}"))
        assert [m["id"] for m in conversation["items"]] == [sent["id"]]

    ok(system.as_id(outsider).put(f"/v1/members/{outsider}/blocks/{owner}"))
    wait_until_content_knows_the_block(system, outsider, owner)
    refused = system.as_id(owner).post(
        "/v1/direct-messages",
        json={"recipient_id": outsider, "body": "still there?"},
    )
    problem(refused, 403, "recipient_id")


def wait_until_content_knows_the_block(system: System, blocker: str, blocked: str) -> None:
    """The block reaches content through an event: wait until a post of the blocker is
    hidden from the blocked member (a probe that changes nothing)."""
    probe = publish(system, blocker, "probe")
    wait_until(lambda: system.as_id(blocked).get(f"/v1/posts/{probe['id']}").status_code == 404)


def test_an_erased_member_leaves_no_content_behind(shared_system: System):
    system = shared_system
    ana, ben = members(system, "ana", "ben")
    connect(system, ana, ben)
    post = publish(system, ana)
    ok(
        system.as_id(ben).post(f"/v1/posts/{post['id']}/comments", json={"body": "hi"}),
        201,
    )
    bens = publish(system, ben, "mine")
    wait_until(lambda: bens["id"] in feed_posts(system, ana))

    assert system.as_id(ben).delete(f"/v1/members/{ben}").status_code == 204
    wait_until(lambda: bens["id"] not in feed_posts(system, ana))
    assert post_view(system, post["id"], ana)["comments"] == 0
    # ben's token names no member any more: nothing of ben's can be read or written with it
    assert system.as_id(ben).get(f"/v1/members/{ben}/content-stats").status_code == 403


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"visibility": "everyone"}, "visibility"),
        ({"visibility": "group"}, "group_id"),
        ({"link": "ftp://example.org"}, "link"),
        ({"colour": "red"}, "colour"),
    ],
    ids=["empty", "blank", "over-10000", "unknown-visibility", "group-without-id", "ftp", "extra"],
)
def test_a_bad_post_is_refused_naming_the_field_and_stores_nothing(
    shared_system: System, body: dict, field: str
):
    (author,) = members(shared_system, "author")
    response = shared_system.as_id(author).post("/v1/posts", json={"body": "x"} | body)
    # a URL that is not http(s) is malformed (400, as for a headshot); the rest are 422
    problem(response, 400 if field == "link" else 422, field)
    assert stats(shared_system, author)["posts"] == 0


def test_a_post_at_its_longest_is_accepted(shared_system: System):
    (author,) = members(shared_system, "author")
    assert len(publish(shared_system, author, "x" * 10_000)["body"]) == 10_000


@pytest.mark.parametrize("who", ["unknown", "deleted"], ids=["unknown-author", "deleted-author"])
def test_a_post_by_an_unknown_or_deleted_member_is_refused(shared_system: System, who: str):
    """The author is the caller: a token naming no member (never registered, or erased)
    cannot post."""
    client = shared_system.outsider()
    if who == "deleted":
        (author,) = members(shared_system, "gone")
        client = shared_system.as_id(author)
        assert client.delete(f"/v1/members/{author}").status_code == 204
    response = client.post("/v1/posts", json={"body": "x"})
    assert response.status_code == 403, response.text
    assert "register first" in response.json()["detail"]


def test_commenting_on_a_deleted_post_is_not_found_and_stores_nothing(shared_system: System):
    ana, ben = members(shared_system, "ana", "ben")
    post = publish(shared_system, ana)
    shared_system.as_id(ana).request("DELETE", f"/v1/posts/{post['id']}")
    response = shared_system.as_id(ben).post(
        f"/v1/posts/{post['id']}/comments", json={"body": "late"}
    )
    problem(response, 404, "post_id")
    assert stats(shared_system, ben)["engagement_given"]["comments"] == 0


def test_an_unknown_reaction_kind_is_refused_and_a_second_reaction_replaces_the_first(
    shared_system: System,
):
    ana, ben = members(shared_system, "ana", "ben")
    post = publish(shared_system, ana)
    path = f"/v1/posts/{post['id']}/reactions/{ben}"
    as_ben = shared_system.as_id(ben)
    problem(as_ben.put(path, json={"kind": "love"}), 422, "kind")
    assert sum(post_view(shared_system, post["id"], ben)["reactions"].values()) == 0
    ok(as_ben.put(path, json={"kind": "like"}))
    ok(as_ben.put(path, json={"kind": "like"}))
    ok(as_ben.put(path, json={"kind": "insightful"}))
    reactions = post_view(shared_system, post["id"], ben)["reactions"]
    assert reactions == {"like": 0, "celebrate": 0, "insightful": 1, "support": 0}


def test_posting_to_a_group_one_is_not_in_is_forbidden_and_stores_nothing(
    shared_system: System,
):
    owner, other = members(shared_system, "owner", "other")
    group = ok(shared_system.as_id(owner).post("/v1/groups", json={"name": "G"}), 201)
    response = shared_system.as_id(other).post(
        "/v1/posts", json={"body": "x", "group_id": group["id"]}
    )
    problem(response, 403, "group_id")
    message = shared_system.as_id(other).post(
        f"/v1/groups/{group['id']}/messages", json={"body": "x"}
    )
    problem(message, 403, "group_id")
    assert stats(shared_system, other)["posts"] == 0
    chat = ok(shared_system.as_id(owner).get(f"/v1/groups/{group['id']}/messages"))
    assert chat["items"] == []


def test_joining_a_private_group_uninvited_is_forbidden_and_changes_nothing(
    shared_system: System,
):
    owner, other = members(shared_system, "owner", "other")
    group = ok(
        shared_system.as_id(owner).post("/v1/groups", json={"name": "Inner", "privacy": "private"}),
        201,
    )
    problem(
        shared_system.as_id(other).put(f"/v1/groups/{group['id']}/members/{other}"),
        403,
        "member_id",
    )
    view = ok(shared_system.as_id(owner).get(f"/v1/groups/{group['id']}"))
    assert view["member_count"] == 1


@pytest.mark.parametrize(
    ("recipient", "status"), [("self", 422), ("unknown", 404), ("blocked", 403)]
)
def test_a_direct_message_to_oneself_an_unknown_member_or_across_a_block_is_refused(
    shared_system: System, recipient: str, status: int
):
    sender, other = members(shared_system, "sender", "other")
    target = {"self": sender, "unknown": UNKNOWN_ID, "blocked": other}[recipient]
    if recipient == "blocked":
        ok(shared_system.as_id(other).put(f"/v1/members/{other}/blocks/{sender}"))
        wait_until_content_knows_the_block(shared_system, other, sender)

    response = shared_system.as_id(sender).post(
        "/v1/direct-messages", json={"recipient_id": target, "body": "hi"}
    )

    problem(response, status, "recipient_id")
    if recipient == "blocked":
        conversation = ok(
            shared_system.as_id(sender).get(f"/v1/members/{sender}/conversations/{other}")
        )
        assert conversation["items"] == []


def test_a_mention_of_an_unknown_handle_stays_text(shared_system: System):
    (author,) = members(shared_system, "author")
    post = publish(shared_system, author, "ping @no-such-handle-here")
    assert post["mentions"] == [] and post["body"] == "ping @no-such-handle-here"


@pytest.mark.parametrize(
    "cursor", ["nonsense", "eyJzIjoiZmVlZCIsInAiOltdfQ.AAAAAAAAAAAAAAAAAAAAAA", "a.b.c"]
)
def test_a_cursor_the_api_did_not_issue_is_a_400_naming_the_cursor(
    shared_system: System, cursor: str
):
    (member,) = members(shared_system, "reader")
    response = shared_system.as_id(member).get(
        f"/v1/members/{member}/feed", params={"cursor": cursor}
    )
    problem(response, 400, "cursor")


def test_a_cursor_of_another_members_feed_is_refused(shared_system: System):
    ana, ben = members(shared_system, "ana", "ben")
    for n in range(3):
        publish(shared_system, ana, f"post {n}")
    page = ok(shared_system.as_id(ana).get(f"/v1/members/{ana}/feed", params={"limit": 1}))
    response = shared_system.as_id(ben).get(
        f"/v1/members/{ben}/feed", params={"cursor": page["next_cursor"]}
    )
    problem(response, 400, "cursor")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/posts/{unknown}/comments", {"body": "x"}, "post_id"),
        ("PUT", "/v1/posts/{unknown}/reactions/{member}", {"kind": "like"}, "post_id"),
        ("POST", "/v1/posts/{unknown}/shares", {}, "post_id"),
        ("POST", "/v1/posts", {"body": "x", "group_id": "{unknown}"}, "group_id"),
        ("PUT", "/v1/groups/{unknown}/members/{member}", None, "group_id"),
        ("POST", "/v1/groups/{unknown}/messages", {"body": "x"}, "group_id"),
        ("PUT", "/v1/members/{member}/mutes/{unknown}", None, "target_id"),
    ],
    ids=["comment", "reaction", "share", "group-post", "join", "group-message", "mute"],
)
def test_an_unknown_post_group_or_mute_target_is_not_found_and_stores_nothing(
    shared_system: System, method: str, path: str, body: dict | None, field: str
):
    (member,) = members(shared_system, "member")

    def filled(text: str) -> str:
        return text.replace("{unknown}", UNKNOWN_ID).replace("{member}", member)

    json = {k: filled(v) for k, v in body.items()} if body is not None else None
    response = shared_system.as_id(member).request(method, filled(path), json=json)

    problem(response, 404, field)
    assert stats(shared_system, member)["posts"] == 0
    assert ok(shared_system.as_id(member).get(f"/v1/members/{member}/mutes"))["items"] == []


def test_only_the_author_edits_or_deletes_a_post_and_it_stays_as_it_was(shared_system: System):
    ana, ben = members(shared_system, "ana", "ben")
    post = publish(shared_system, ana, "original")
    path = f"/v1/posts/{post['id']}"

    problem(shared_system.as_id(ben).patch(path, json={"body": "mine"}), 403, "member_id")
    problem(shared_system.as_id(ben).request("DELETE", path), 403, "member_id")
    problem(shared_system.as_id(ana).patch(path, json={"body": ""}), 422, "body")

    seen = post_view(shared_system, post["id"], ana)
    assert (seen["body"], seen["edited_at"]) == ("original", None)


# --- idempotent creation ----------------------------------------------------------------


def test_every_creation_retried_with_its_idempotency_key_creates_once(shared_system: System):
    system = shared_system
    owner, other = members(system, "owner", "other")
    post = publish(system, owner, "hello")
    group = ok(system.as_id(owner).post("/v1/groups", json={"name": "G"}), 201)
    creations = [  # who, path, body, another body
        (owner, "/v1/posts", {"body": "once"}, {"body": "twice"}),
        (other, f"/v1/posts/{post['id']}/comments", {"body": "once"}, {"body": "twice"}),
        (other, f"/v1/posts/{post['id']}/shares", {}, {"comment": "twice"}),
        (owner, "/v1/groups", {"name": "Once"}, {"name": "Twice"}),
        (owner, f"/v1/groups/{group['id']}/messages", {"body": "once"}, {"body": "twice"}),
        (owner, "/v1/direct-messages", {"recipient_id": other, "body": "once"}, {"body": "twice"}),
    ]
    for who, path, body, change in creations:
        key = {"Idempotency-Key": str(uuid.uuid4())}
        client = system.as_id(who)
        first = ok(client.post(path, json=body, headers=key), 201)
        again = ok(client.post(path, json=body, headers=key), 201)
        assert again == first, path
        reused = client.post(path, json=body | change, headers=key)
        problem(reused, 422, "Idempotency-Key")

    seen = post_view(system, post["id"], owner)
    assert (seen["comments"], seen["shares"]) == (1, 1)
    assert stats(system, owner)["posts"] == 2
    chat = ok(system.as_id(owner).get(f"/v1/groups/{group['id']}/messages"))
    assert len(chat["items"]) == 1
    conversation = ok(system.as_id(owner).get(f"/v1/members/{owner}/conversations/{other}"))
    assert len(conversation["items"]) == 1
