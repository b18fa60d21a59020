"""The listings the web's pages are built on, through HTTP with every service running: a
member's blocks, the open groups directory and a member's conversations."""

from __future__ import annotations

from tests.e2e.system import System
from tests.e2e.test_content import members, ok, problem


def test_a_member_lists_whom_they_block_newest_first_and_an_unblocked_member_leaves_it(
    shared_system: System,
):
    system = shared_system
    me, first, second = members(system, "blocker", "first", "second")
    path = f"/v1/members/{me}/blocks"
    ok(system.as_id(me).put(f"{path}/{first}"))
    ok(system.as_id(me).put(f"{path}/{second}"))
    ok(system.as_id(first).put(f"/v1/members/{first}/blocks/{me}"))  # blocking me: not mine

    blocks = ok(system.as_id(me).get(path))
    assert [b["member_id"] for b in blocks["items"]] == [second, first]
    assert all(b["handle"] for b in blocks["items"])

    assert system.as_id(me).delete(f"{path}/{second}").status_code == 204
    assert [b["member_id"] for b in ok(system.as_id(me).get(path))["items"]] == [first]


def test_a_members_blocks_are_theirs_alone(shared_system: System):
    me, other = members(shared_system, "private", "nosy")
    assert shared_system.as_id(other).get(f"/v1/members/{me}/blocks").status_code == 403


def test_the_directory_lists_open_groups_newest_first_a_page_at_a_time(shared_system: System):
    system = shared_system
    owner, reader = members(system, "owner", "reader")
    made = [
        ok(system.as_id(owner).post("/v1/groups", json={"name": name, "privacy": privacy}), 201)
        for name, privacy in (("Open one", "open"), ("Hidden", "private"), ("Open two", "open"))
    ]
    first = ok(system.as_id(reader).get("/v1/groups", params={"limit": 1}))
    assert [g["id"] for g in first["items"]] == [made[2]["id"]]
    assert first["items"][0] | {"created_at": None} == {
        "id": made[2]["id"],
        "name": "Open two",
        "topic": "",
        "member_count": 1,
        "created_at": None,
        "status": "none",
    }
    second = ok(system.as_id(reader).get("/v1/groups", params={"cursor": first["next_cursor"]}))
    listed = [g["id"] for g in second["items"]]
    assert made[0]["id"] in listed and made[1]["id"] not in listed

    ok(system.as_id(reader).put(f"/v1/groups/{made[2]['id']}/members/{reader}"))
    joined = ok(system.as_id(reader).get("/v1/groups", params={"limit": 1}))["items"][0]
    assert (joined["status"], joined["member_count"]) == ("member", 2)


def test_a_cursor_of_the_directory_is_refused_elsewhere(shared_system: System):
    (member,) = members(shared_system, "cursor")
    ok(shared_system.as_id(member).post("/v1/groups", json={"name": "a"}), 201)
    ok(shared_system.as_id(member).post("/v1/groups", json={"name": "b"}), 201)
    cursor = ok(shared_system.as_id(member).get("/v1/groups", params={"limit": 1}))["next_cursor"]
    elsewhere = shared_system.as_id(member).get(
        f"/v1/members/{member}/conversations", params={"cursor": cursor}
    )
    problem(elsewhere, 400, "cursor")


def test_a_member_lists_their_conversations_with_the_latest_message_of_each(
    shared_system: System,
):
    system = shared_system
    me, ana, bo = members(system, "talker", "ana", "bo")

    def send(sender: str, recipient: str, body: str) -> dict:
        message = {"recipient_id": recipient, "body": body}
        return ok(system.as_id(sender).post("/v1/direct-messages", json=message), 201)

    send(me, ana, "hello ana")
    send(me, bo, "hello bo")
    latest = send(ana, me, "hi back")

    page = ok(system.as_id(me).get(f"/v1/members/{me}/conversations", params={"limit": 1}))
    assert [(c["other"]["member_id"], c["latest"]["id"]) for c in page["items"]] == [
        (ana, latest["id"])
    ]
    assert page["items"][0]["other"]["handle"]
    rest = ok(
        system.as_id(me).get(
            f"/v1/members/{me}/conversations", params={"cursor": page["next_cursor"]}
        )
    )
    assert [c["other"]["member_id"] for c in rest["items"]] == [bo]
    assert rest["next_cursor"] is None
    seen_by_bo = ok(system.as_id(bo).get(f"/v1/members/{bo}/conversations"))["items"]
    assert [(c["other"]["member_id"], c["latest"]["body"]) for c in seen_by_bo] == [
        (me, "hello bo")
    ]
    assert system.as_id(bo).get(f"/v1/members/{me}/conversations").status_code == 403
