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
    return system.http.get(f"/v1/members/{member_id}").json()["handle"]


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
        system.http.post(
            "/v1/connection-requests", json={"requester_id": one, "addressee_id": other}
        ),
        201,
    )
    ok(
        system.http.post(
            f"/v1/connection-requests/{request['id']}/accept", json={"member_id": other}
        )
    )


def publish(system: System, author: str, body: str = "hello", **fields) -> dict:
    return ok(system.http.post("/v1/posts", json={"author_id": author, "body": body} | fields), 201)


def feed(system: System, member_id: str, **params) -> list[dict]:
    return ok(system.http.get(f"/v1/members/{member_id}/feed", params=params))["items"]


def feed_posts(system: System, member_id: str, **params) -> list[str]:
    return [item["post"]["id"] for item in feed(system, member_id, limit=100, **params)]


def stats(system: System, member_id: str) -> dict:
    return ok(system.http.get(f"/v1/members/{member_id}/content-stats"))


def post_view(system: System, post_id: str, reader: str) -> dict:
    return ok(system.http.get(f"/v1/posts/{post_id}", params={"member_id": reader}))


# --- the happy paths --------------------------------------------------------------------


def test_members_post_comment_react_and_share_and_their_feeds_and_stats_show_it(
    shared_system: System,
):
    system = shared_system
    ana, ben, chen = members(system, "ana", "ben", "chen")
    connect(system, ana, ben)
    ok(system.http.put(f"/v1/members/{ben}/follows/{chen}"))

    post = publish(
        system, ana, f"hello @{handle_of(system, ben)} and @nobody-here", visibility="connections"
    )
    assert [m["member_id"] for m in post["mentions"]] == [ben]
    chens = publish(system, chen, "an org-wide post")
    wait_until(lambda: feed_posts(system, ben) == [chens["id"], post["id"]])
    assert feed_posts(system, chen) == [chens["id"]]  # ana's post is for her connections

    comment = ok(
        system.http.post(
            f"/v1/posts/{post['id']}/comments", json={"author_id": ben, "body": "nice"}
        ),
        201,
    )
    reply = ok(
        system.http.post(
            f"/v1/posts/{post['id']}/comments",
            json={"author_id": ana, "body": "thanks", "reply_to_comment_id": comment["id"]},
        ),
        201,
    )
    assert (reply["thread_id"], reply["reply_to"]["member_id"]) == (comment["id"], ben)
    ok(system.http.put(f"/v1/posts/{post['id']}/reactions/{ben}", json={"kind": "like"}))
    ok(system.http.put(f"/v1/posts/{post['id']}/reactions/{ben}", json={"kind": "celebrate"}))
    ok(
        system.http.put(
            f"/v1/posts/{post['id']}/comments/{comment['id']}/reactions/{ana}",
            json={"kind": "support"},
        )
    )
    ok(system.http.post(f"/v1/posts/{chens['id']}/shares", json={"member_id": ben}), 201)

    seen = post_view(system, post["id"], ben)
    assert seen["reactions"]["celebrate"] == 1 and sum(seen["reactions"].values()) == 1
    assert (seen["comments"], seen["my_reaction"]) == (2, "celebrate")
    # ben reacted (1) and commented (2); ana's audience is one connection
    assert seen["value"] == pytest.approx(3, rel=1e-3)
    comments = ok(system.http.get(f"/v1/posts/{post['id']}/comments", params={"member_id": ana}))[
        "items"
    ]
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

    edited = ok(
        system.http.patch(f"/v1/posts/{post['id']}", json={"member_id": ana, "body": "hello again"})
    )
    assert edited["body"] == "hello again" and edited["edited_at"]
    by_value = feed(system, ben, order="value")
    assert [i["post"]["id"] for i in by_value][:1] == [chens["id"]]  # shared by ben: 3 / 1

    ok(system.http.put(f"/v1/members/{ben}/mutes/{chen}"))
    assert feed_posts(system, ben) == [post["id"]]
    assert system.http.delete(f"/v1/members/{ben}/mutes/{chen}").status_code == 204

    deleted = system.http.request("DELETE", f"/v1/posts/{post['id']}", json={"member_id": ana})
    assert deleted.status_code == 204
    assert system.http.get(f"/v1/posts/{post['id']}", params={"member_id": ana}).status_code == 404
    assert post["id"] not in feed_posts(system, ben)


def test_a_private_group_its_chat_and_direct_messages_through_the_api(shared_system: System):
    system = shared_system
    owner, guest, outsider = members(system, "owner", "guest", "outsider")
    group = ok(
        system.http.post(
            "/v1/groups",
            json={"owner_id": owner, "name": "Data folk", "topic": "data", "privacy": "private"},
        ),
        201,
    )
    path = f"/v1/groups/{group['id']}"
    invited = ok(system.http.put(f"{path}/members/{guest}", json={"actor_id": owner}))
    assert invited["status"] == "invited"
    assert ok(system.http.put(f"{path}/members/{guest}"))["status"] == "member"
    group_post = publish(system, guest, "for the group", group_id=group["id"])
    assert group_post["visibility"] == "group"
    assert group_post["id"] in feed_posts(system, owner)
    assert system.http.get(path, params={"member_id": outsider}).status_code == 404

    first = ok(
        system.http.post(
            f"{path}/messages",
            json={"author_id": guest, "body": f"hi @{handle_of(system, owner)}"},
        ),
        201,
    )
    answer = ok(
        system.http.post(
            f"{path}/messages",
            json={"author_id": owner, "body": "welcome", "reply_to_message_id": first["id"]},
        ),
        201,
    )
    assert answer["reply_to_author_id"] == guest
    chat = ok(system.http.get(f"{path}/messages", params={"member_id": guest, "limit": 1}))
    assert [m["id"] for m in chat["items"]] == [answer["id"]]
    older = ok(
        system.http.get(
            f"{path}/messages",
            params={"member_id": guest, "limit": 1, "cursor": chat["next_cursor"]},
        )
    )
    assert [m["id"] for m in older["items"]] == [first["id"]]
    assert older["next_cursor"] is None

    assert system.http.delete(f"{path}/members/{owner}").status_code == 204
    after = ok(system.http.get(path, params={"member_id": guest}))
    assert (after["owner_id"], after["member_count"]) == (guest, 1)

    sent = ok(
        system.http.post(
            "/v1/direct-messages",
            json={"sender_id": owner, "recipient_id": outsider, "body": "coffee?"},
        ),
        201,
    )
    for reader, other in ((owner, outsider), (outsider, owner)):
        conversation = ok(system.http.get(f"/v1/members/{reader}/conversations/{other}"))
        assert [m["id"] for m in conversation["items"]] == [sent["id"]]

    ok(system.http.put(f"/v1/members/{outsider}/blocks/{owner}"))
    wait_until_content_knows_the_block(system, outsider, owner)
    refused = system.http.post(
        "/v1/direct-messages",
        json={"sender_id": owner, "recipient_id": outsider, "body": "still there?"},
    )
    problem(refused, 403, "recipient_id")


def wait_until_content_knows_the_block(system: System, blocker: str, blocked: str) -> None:
    """The block reaches content through an event: wait until a post of the blocker is
    hidden from the blocked member (a probe that changes nothing)."""
    probe = publish(system, blocker, "probe")
    wait_until(
        lambda: (
            system.http.get(f"/v1/posts/{probe['id']}", params={"member_id": blocked}).status_code
            == 404
        )
    )


def test_an_erased_member_leaves_no_content_behind(shared_system: System):
    system = shared_system
    ana, ben = members(system, "ana", "ben")
    connect(system, ana, ben)
    post = publish(system, ana)
    ok(
        system.http.post(f"/v1/posts/{post['id']}/comments", json={"author_id": ben, "body": "hi"}),
        201,
    )
    bens = publish(system, ben, "mine")
    wait_until(lambda: bens["id"] in feed_posts(system, ana))

    assert system.http.delete(f"/v1/members/{ben}").status_code == 204
    wait_until(lambda: bens["id"] not in feed_posts(system, ana))
    assert post_view(system, post["id"], ana)["comments"] == 0
    assert system.http.get(f"/v1/members/{ben}/content-stats").status_code == 404


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
    response = shared_system.http.post("/v1/posts", json={"author_id": author, "body": "x"} | body)
    # a URL that is not http(s) is malformed (400, as for a headshot); the rest are 422
    problem(response, 400 if field == "link" else 422, field)
    assert stats(shared_system, author)["posts"] == 0


def test_a_post_at_its_longest_is_accepted(shared_system: System):
    (author,) = members(shared_system, "author")
    assert len(publish(shared_system, author, "x" * 10_000)["body"]) == 10_000


@pytest.mark.parametrize("who", ["unknown", "deleted"], ids=["unknown-author", "deleted-author"])
def test_a_post_by_an_unknown_or_deleted_member_is_not_found(shared_system: System, who: str):
    author = UNKNOWN_ID
    if who == "deleted":
        (author,) = members(shared_system, "gone")
        shared_system.http.delete(f"/v1/members/{author}")
        wait_until(
            lambda: shared_system.http.get(f"/v1/members/{author}/content-stats").status_code == 404
        )
    problem(
        shared_system.http.post("/v1/posts", json={"author_id": author, "body": "x"}),
        404,
        "author_id",
    )


def test_commenting_on_a_deleted_post_is_not_found_and_stores_nothing(shared_system: System):
    ana, ben = members(shared_system, "ana", "ben")
    post = publish(shared_system, ana)
    shared_system.http.request("DELETE", f"/v1/posts/{post['id']}", json={"member_id": ana})
    response = shared_system.http.post(
        f"/v1/posts/{post['id']}/comments", json={"author_id": ben, "body": "late"}
    )
    problem(response, 404, "post_id")
    assert stats(shared_system, ben)["engagement_given"]["comments"] == 0


def test_an_unknown_reaction_kind_is_refused_and_a_second_reaction_replaces_the_first(
    shared_system: System,
):
    ana, ben = members(shared_system, "ana", "ben")
    post = publish(shared_system, ana)
    path = f"/v1/posts/{post['id']}/reactions/{ben}"
    problem(shared_system.http.put(path, json={"kind": "love"}), 422, "kind")
    assert sum(post_view(shared_system, post["id"], ben)["reactions"].values()) == 0
    ok(shared_system.http.put(path, json={"kind": "like"}))
    ok(shared_system.http.put(path, json={"kind": "like"}))
    ok(shared_system.http.put(path, json={"kind": "insightful"}))
    reactions = post_view(shared_system, post["id"], ben)["reactions"]
    assert reactions == {"like": 0, "celebrate": 0, "insightful": 1, "support": 0}


def test_posting_to_a_group_one_is_not_in_is_forbidden_and_stores_nothing(
    shared_system: System,
):
    owner, other = members(shared_system, "owner", "other")
    group = ok(shared_system.http.post("/v1/groups", json={"owner_id": owner, "name": "G"}), 201)
    response = shared_system.http.post(
        "/v1/posts", json={"author_id": other, "body": "x", "group_id": group["id"]}
    )
    problem(response, 403, "group_id")
    message = shared_system.http.post(
        f"/v1/groups/{group['id']}/messages", json={"author_id": other, "body": "x"}
    )
    problem(message, 403, "group_id")
    assert stats(shared_system, other)["posts"] == 0
    chat = ok(
        shared_system.http.get(f"/v1/groups/{group['id']}/messages", params={"member_id": owner})
    )
    assert chat["items"] == []


def test_joining_a_private_group_uninvited_is_forbidden_and_changes_nothing(
    shared_system: System,
):
    owner, other = members(shared_system, "owner", "other")
    group = ok(
        shared_system.http.post(
            "/v1/groups", json={"owner_id": owner, "name": "Inner", "privacy": "private"}
        ),
        201,
    )
    problem(shared_system.http.put(f"/v1/groups/{group['id']}/members/{other}"), 403, "member_id")
    view = ok(shared_system.http.get(f"/v1/groups/{group['id']}", params={"member_id": owner}))
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
        ok(shared_system.http.put(f"/v1/members/{other}/blocks/{sender}"))
        wait_until_content_knows_the_block(shared_system, other, sender)

    response = shared_system.http.post(
        "/v1/direct-messages", json={"sender_id": sender, "recipient_id": target, "body": "hi"}
    )

    problem(response, status, "recipient_id")
    if recipient == "blocked":
        conversation = ok(shared_system.http.get(f"/v1/members/{sender}/conversations/{other}"))
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
    response = shared_system.http.get(f"/v1/members/{member}/feed", params={"cursor": cursor})
    problem(response, 400, "cursor")


def test_a_cursor_of_another_members_feed_is_refused(shared_system: System):
    ana, ben = members(shared_system, "ana", "ben")
    for n in range(3):
        publish(shared_system, ana, f"post {n}")
    page = ok(shared_system.http.get(f"/v1/members/{ana}/feed", params={"limit": 1}))
    response = shared_system.http.get(
        f"/v1/members/{ben}/feed", params={"cursor": page["next_cursor"]}
    )
    problem(response, 400, "cursor")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/posts/{unknown}/comments", {"author_id": "{member}", "body": "x"}, "post_id"),
        ("PUT", "/v1/posts/{unknown}/reactions/{member}", {"kind": "like"}, "post_id"),
        ("POST", "/v1/posts/{unknown}/shares", {"member_id": "{member}"}, "post_id"),
        (
            "POST",
            "/v1/posts",
            {"author_id": "{member}", "body": "x", "group_id": "{unknown}"},
            "group_id",
        ),
        ("PUT", "/v1/groups/{unknown}/members/{member}", None, "group_id"),
        (
            "POST",
            "/v1/groups/{unknown}/messages",
            {"author_id": "{member}", "body": "x"},
            "group_id",
        ),
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

    json = {k: filled(v) for k, v in body.items()} if body else None
    response = shared_system.http.request(method, filled(path), json=json)

    problem(response, 404, field)
    assert stats(shared_system, member)["posts"] == 0
    assert ok(shared_system.http.get(f"/v1/members/{member}/mutes"))["items"] == []


def test_only_the_author_edits_or_deletes_a_post_and_it_stays_as_it_was(shared_system: System):
    ana, ben = members(shared_system, "ana", "ben")
    post = publish(shared_system, ana, "original")
    path = f"/v1/posts/{post['id']}"

    problem(
        shared_system.http.patch(path, json={"member_id": ben, "body": "mine"}), 403, "member_id"
    )
    problem(shared_system.http.request("DELETE", path, json={"member_id": ben}), 403, "member_id")
    problem(shared_system.http.patch(path, json={"member_id": ana, "body": ""}), 422, "body")

    seen = post_view(shared_system, post["id"], ana)
    assert (seen["body"], seen["edited_at"]) == ("original", None)


# --- idempotent creation ----------------------------------------------------------------


def test_every_creation_retried_with_its_idempotency_key_creates_once(shared_system: System):
    system = shared_system
    owner, other = members(system, "owner", "other")
    post = publish(system, owner, "hello")
    group = ok(system.http.post("/v1/groups", json={"owner_id": owner, "name": "G"}), 201)
    creations = [  # path, body, another body
        ("/v1/posts", {"author_id": owner, "body": "once"}, {"body": "twice"}),
        (
            f"/v1/posts/{post['id']}/comments",
            {"author_id": other, "body": "once"},
            {"body": "twice"},
        ),
        (f"/v1/posts/{post['id']}/shares", {"member_id": other}, {"comment": "twice"}),
        ("/v1/groups", {"owner_id": owner, "name": "Once"}, {"name": "Twice"}),
        (
            f"/v1/groups/{group['id']}/messages",
            {"author_id": owner, "body": "once"},
            {"body": "twice"},
        ),
        (
            "/v1/direct-messages",
            {"sender_id": owner, "recipient_id": other, "body": "once"},
            {"body": "twice"},
        ),
    ]
    for path, body, change in creations:
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = ok(system.http.post(path, json=body, headers=key), 201)
        again = ok(system.http.post(path, json=body, headers=key), 201)
        assert again == first, path
        reused = system.http.post(path, json=body | change, headers=key)
        problem(reused, 422, "Idempotency-Key")

    seen = post_view(system, post["id"], owner)
    assert (seen["comments"], seen["shares"]) == (1, 1)
    assert stats(system, owner)["posts"] == 2
    chat = ok(system.http.get(f"/v1/groups/{group['id']}/messages", params={"member_id": owner}))
    assert len(chat["items"]) == 1
    conversation = ok(system.http.get(f"/v1/members/{owner}/conversations/{other}"))
    assert len(conversation["items"]) == 1
