"""The rules of content: who sees a post, mentions, posts, comments, reactions, shares,
groups and chats. Pure: no database, no broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.content.chats import domain as chats
from services.content.copies import domain as copies
from services.content.copies.domain import Standing
from services.content.engagement import domain as engagement
from services.content.engagement.domain import Comment, Reaction
from services.content.groups import domain as groups
from services.content.groups.domain import Group, Membership
from services.content.mentions import domain as mentions
from services.content.posts import domain as posts
from services.content.posts.domain import Post
from shared.contracts.api.content import CreateGroup, CreatePost, PostChanges
from shared.contracts.events import (
    CommentCreated,
    CommentDeleted,
    ConnectionAccepted,
    ConnectionRemoved,
    DirectMessageSent,
    GroupCreated,
    GroupMemberJoined,
    GroupMemberLeft,
    GroupMessagePosted,
    MemberBlocked,
    MemberFollowed,
    MemberUnfollowed,
    PostCreated,
    PostDeleted,
    PostEdited,
    PostShared,
    ReactionRemoved,
    ReactionSet,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ANA, BEN, CHEN, DEV = "ana", "ben", "chen", "dev"
STRANGER = Standing()
CONNECTED = Standing(connected=True)
BLOCKED = Standing(connected=False, blocked=True)


def post(visibility: str = "org", author: str = ANA, group_id: str | None = None) -> Post:
    return Post("p1", author, "hello", visibility, group_id, None, [], T0)


def comment(comment_id: str = "c1", author: str = BEN, thread_id: str | None = None) -> Comment:
    return Comment(comment_id, "p1", author, "nice", thread_id, None, None, [], T0)


# --- who sees a post --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "standing", "in_group", "sees"),
    [
        ("org", STRANGER, False, True),
        ("org", BLOCKED, False, False),
        ("connections", STRANGER, False, False),
        ("connections", CONNECTED, False, True),
        ("connections", Standing(connected=True, blocked=True), False, False),
        ("group", CONNECTED, False, False),
        ("group", STRANGER, True, True),
        ("group", BLOCKED, True, False),
    ],
)
def test_who_sees_a_post(visibility: str, standing: Standing, in_group: bool, sees: bool):
    assert posts.can_see(post(visibility), BEN, standing, in_group=in_group) is sees


def test_an_author_always_sees_their_own_post():
    assert posts.can_see(post("group"), ANA, BLOCKED, in_group=False)


def test_an_invisible_post_is_not_found_rather_than_forbidden():
    with pytest.raises(NotFound) as refused:
        posts.require_visible(post("connections"), BEN, STRANGER, in_group=False, field="post_id")
    assert refused.value.field == "post_id"


# --- mentions ---------------------------------------------------------------------------


def test_mentions_are_found_once_each_in_order_and_lower_cased():
    text = "Thanks @Ben and @chen, and @ben again; mail ana@example.org or @dev."
    assert mentions.mention_candidates(text) == [("ben",), ("chen",), ("dev.", "dev")]


def test_a_handle_too_short_is_not_a_mention():
    assert mentions.mention_candidates("hi @al and @") == []


def test_unknown_handles_stay_text_and_known_ones_resolve_to_members():
    known = {"ben": "id-ben", "dev": "id-dev"}
    candidates = mentions.mention_candidates("@ben @zed @dev.")
    ids = mentions.resolve_mentions(candidates, known, author_id=ANA, hidden=set(), limit=50)
    assert ids == ["id-ben", "id-dev"]


def test_the_author_and_members_blocked_with_them_are_not_mentioned():
    known = {"ana": ANA, "ben": BEN, "chen": CHEN}
    candidates = mentions.mention_candidates("@ana @ben @chen")
    assert mentions.resolve_mentions(candidates, known, author_id=ANA, hidden={BEN}, limit=50) == [
        CHEN
    ]


def test_mentions_beyond_the_limit_stay_text():
    known = {f"member{n}": f"id{n}" for n in range(10)}
    candidates = mentions.mention_candidates(" ".join(f"@member{n}" for n in range(10)))
    ids = mentions.resolve_mentions(candidates, known, author_id=ANA, hidden=set(), limit=3)
    assert ids == ["id0", "id1", "id2"]


# --- posts ------------------------------------------------------------------------------


def test_a_post_without_visibility_is_for_the_org_or_its_group():
    assert posts.post_visibility(CreatePost(author_id=ANA, body="x")) == "org"
    assert posts.post_visibility(CreatePost(author_id=ANA, body="x", group_id="g")) == "group"


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"visibility": "group"}, "group_id"), ({"visibility": "org", "group_id": "g"}, "visibility")],
)
def test_group_visibility_and_a_group_go_together(fields: dict, field: str):
    with pytest.raises(Invalid) as refused:
        posts.post_visibility(CreatePost(author_id=ANA, body="x", **fields))
    assert refused.value.field == field


def test_a_new_post_names_its_author_mentions_and_link():
    command = CreatePost(author_id=ANA, body="see @ben", link="https://example.org/a")
    created, events = posts.new_post(
        command,
        post_id="p1",
        visibility="org",
        author_in_group=False,
        mentioned_ids=[BEN],
        now=T0,
    )
    assert created.link == "https://example.org/a"
    assert events == [
        PostCreated(
            post_id="p1", author_id=ANA, visibility="org", mentioned_ids=[BEN], has_link=True
        )
    ]


def test_only_members_of_a_group_post_in_it():
    command = CreatePost(author_id=ANA, body="x", group_id="g")
    with pytest.raises(Forbidden) as refused:
        posts.new_post(
            command,
            post_id="p",
            visibility="group",
            author_in_group=False,
            mentioned_ids=[],
            now=T0,
        )
    assert refused.value.field == "group_id"


def test_an_edit_names_the_mentions_it_adds():
    edited = post()
    edited.mentioned_ids = [BEN]
    changes = PostChanges(member_id=ANA, body="now @ben and @chen")
    events = posts.edit_post(edited, changes, mentioned_ids=[BEN, CHEN], now=T0)
    assert events == [
        PostEdited(post_id="p1", author_id=ANA, mentioned_ids=[BEN, CHEN], added_mention_ids=[CHEN])
    ]
    assert edited.body == "now @ben and @chen"
    assert edited.edited_at == T0


def test_an_edit_that_changes_nothing_publishes_nothing():
    unchanged = post()
    assert (
        posts.edit_post(
            unchanged, PostChanges(member_id=ANA, body="hello"), mentioned_ids=[], now=T0
        )
        == []
    )
    assert unchanged.edited_at is None


def test_a_link_can_be_removed_by_editing_it_to_null():
    linked = post()
    linked.link = "https://example.org"
    changes = PostChanges.model_validate({"member_id": ANA, "link": None})
    assert posts.edit_post(linked, changes, mentioned_ids=None, now=T0)
    assert linked.link is None


def test_a_post_cannot_lose_its_body():
    with pytest.raises(ValidationError) as refused:
        PostChanges.model_validate({"member_id": ANA, "body": None})
    assert refused.value.errors()[0]["loc"] == ("body",)


def test_only_the_author_edits_or_deletes_a_post():
    with pytest.raises(Forbidden):
        posts.edit_post(post(), PostChanges(member_id=BEN, body="mine"), mentioned_ids=[], now=T0)
    with pytest.raises(Forbidden):
        posts.delete_post(post(), BEN)
    assert posts.delete_post(post(), ANA) == [PostDeleted(post_id="p1", author_id=ANA)]


# --- comments ---------------------------------------------------------------------------


def test_a_comment_names_the_post_author():
    _, events = engagement.new_comment(
        post(), comment_id="c1", author_id=BEN, body="hi", replied=None, mentioned_ids=[], now=T0
    )
    assert events == [
        CommentCreated(comment_id="c1", post_id="p1", author_id=BEN, post_author_id=ANA)
    ]


def test_a_reply_to_a_reply_joins_the_thread_and_names_whom_it_replies_to():
    reply = comment("c2", author=CHEN, thread_id="c1")
    created, events = engagement.new_comment(
        post(), comment_id="c3", author_id=DEV, body="+1", replied=reply, mentioned_ids=[], now=T0
    )
    assert created.thread_id == "c1"
    assert events[0].reply_to_comment_id == "c2"
    assert events[0].reply_to_author_id == CHEN


def test_a_reply_to_a_comment_of_another_post_is_refused():
    elsewhere = Comment("c9", "p9", BEN, "x", None, None, None, [], T0)
    with pytest.raises(NotFound) as refused:
        engagement.new_comment(
            post(),
            comment_id="c",
            author_id=DEV,
            body="x",
            replied=elsewhere,
            mentioned_ids=[],
            now=T0,
        )
    assert refused.value.field == "reply_to_comment_id"


def test_the_post_author_may_delete_a_comment_and_its_replies_go_with_it():
    events = engagement.delete_comments(post(), comment(), [comment("c2", CHEN, "c1")], ANA)
    assert [e.comment_id for e in events] == ["c1", "c2"]
    assert all(isinstance(e, CommentDeleted) and e.actor_id == ANA for e in events)
    assert [e.author_id for e in events] == [BEN, CHEN]


def test_nobody_else_deletes_a_comment():
    with pytest.raises(Forbidden):
        engagement.delete_comments(post(), comment(), [], CHEN)


# --- reactions and shares ---------------------------------------------------------------


def test_a_reaction_names_the_author_of_what_it_reacts_to():
    _, events = engagement.set_reaction(
        None, post=post(), comment=comment(), actor_id=CHEN, kind="like", now=T0
    )
    assert events == [
        ReactionSet(
            target="comment",
            post_id="p1",
            comment_id="c1",
            actor_id=CHEN,
            target_author_id=BEN,
            kind="like",
            post_author_id=ANA,
        )
    ]


def test_reacting_again_changes_the_reaction_and_the_same_kind_changes_nothing():
    first, _ = engagement.set_reaction(
        None, post=post(), comment=None, actor_id=BEN, kind="like", now=T0
    )
    later = T0 + timedelta(hours=1)
    again, events = engagement.set_reaction(
        first, post=post(), comment=None, actor_id=BEN, kind="like", now=later
    )
    assert (again, events) == (first, [])
    changed, events = engagement.set_reaction(
        first, post=post(), comment=None, actor_id=BEN, kind="celebrate", now=later
    )
    assert changed.kind == "celebrate" and changed.created_at == T0
    assert events[0].previous_kind == "like"


def test_removing_a_reaction_that_is_not_there_is_not_found():
    with pytest.raises(NotFound):
        engagement.remove_reaction(None, post=post(), comment=None)
    existing = Reaction("p1", None, BEN, "support", T0, T0)
    assert engagement.remove_reaction(existing, post=post(), comment=None) == [
        ReactionRemoved(
            target="post",
            post_id="p1",
            actor_id=BEN,
            target_author_id=ANA,
            kind="support",
            post_author_id=ANA,
        )
    ]


def test_a_share_names_the_post_author_and_whether_it_has_a_comment():
    _, events = engagement.share_post(
        post(), share_id="s1", member_id=BEN, comment="worth it", already_shared=False, now=T0
    )
    assert events == [
        PostShared(share_id="s1", post_id="p1", actor_id=BEN, post_author_id=ANA, with_comment=True)
    ]


def test_a_member_shares_a_post_once_and_never_their_own():
    with pytest.raises(Conflict):
        engagement.share_post(
            post(), share_id="s", member_id=BEN, comment=None, already_shared=True, now=T0
        )
    with pytest.raises(Invalid):
        engagement.share_post(
            post(), share_id="s", member_id=ANA, comment=None, already_shared=False, now=T0
        )


# --- groups -----------------------------------------------------------------------------


def group(privacy: str = "open", *members: str) -> Group:
    g, _ = groups.new_group(
        CreateGroup(owner_id=ANA, name="Pythonistas", privacy=privacy), group_id="g1", now=T0
    )
    for n, member in enumerate(members, start=1):
        g.members[member] = Membership(member, groups.MEMBER, T0 + timedelta(minutes=n))
        g.member_count += 1
    return g


def test_a_new_group_is_created_with_its_owner_as_a_member():
    _, events = groups.new_group(
        CreateGroup(owner_id=ANA, name="Py", topic="python"), group_id="g1", now=T0
    )
    assert events == [
        GroupCreated(group_id="g1", owner_id=ANA, name="Py", topic="python", privacy="open"),
        GroupMemberJoined(group_id="g1", member_id=ANA, role="owner"),
    ]


def test_anyone_joins_an_open_group_and_joining_again_changes_nothing():
    g = group("open")
    status, events = groups.join_or_invite(
        g, member_id=BEN, actor_id=BEN, standing=STRANGER, now=T0
    )
    assert status == "member"
    assert events == [GroupMemberJoined(group_id="g1", member_id=BEN)]
    assert groups.join_or_invite(g, member_id=BEN, actor_id=BEN, standing=STRANGER, now=T0) == (
        "member",
        [],
    )
    assert g.member_count == 2


def test_a_private_group_is_joined_by_invitation_of_its_owner():
    g = group("private")
    with pytest.raises(Forbidden) as uninvited:
        groups.join_or_invite(g, member_id=BEN, actor_id=BEN, standing=STRANGER, now=T0)
    assert uninvited.value.field == "member_id"
    assert groups.join_or_invite(g, member_id=BEN, actor_id=ANA, standing=STRANGER, now=T0) == (
        "invited",
        [],
    )
    status, events = groups.join_or_invite(
        g, member_id=BEN, actor_id=BEN, standing=STRANGER, now=T0
    )
    assert status == "member"
    assert events == [GroupMemberJoined(group_id="g1", member_id=BEN, invited_by=ANA)]
    assert BEN not in g.invited


@pytest.mark.parametrize(
    ("privacy", "actor", "standing", "error", "field"),
    [
        ("open", ANA, STRANGER, Invalid, "actor_id"),
        ("private", CHEN, STRANGER, Forbidden, "actor_id"),
        ("private", ANA, BLOCKED, Forbidden, "member_id"),
    ],
    ids=["open-group", "not-the-owner", "blocked"],
)
def test_who_cannot_invite_whom(privacy, actor, standing, error, field):
    g = group(privacy, CHEN)
    with pytest.raises(error) as refused:
        groups.join_or_invite(g, member_id=BEN, actor_id=actor, standing=standing, now=T0)
    assert refused.value.field == field


def test_a_member_leaves_and_the_owner_removes_members():
    g = group("open", BEN, CHEN)
    assert groups.leave_or_remove(g, member_id=BEN, actor_id=BEN, successor=None) == [
        GroupMemberLeft(group_id="g1", member_id=BEN, reason="left")
    ]
    with pytest.raises(Forbidden):
        groups.leave_or_remove(g, member_id=ANA, actor_id=CHEN, successor=None)
    assert (
        groups.leave_or_remove(g, member_id=CHEN, actor_id=ANA, successor=None)[0].reason
        == "removed"
    )
    with pytest.raises(NotFound):
        groups.leave_or_remove(g, member_id=CHEN, actor_id=CHEN, successor=None)


def test_when_the_owner_leaves_the_longest_standing_member_owns_the_group():
    g = group("open", BEN, CHEN)
    successor = g.members[BEN]
    groups.leave_or_remove(g, member_id=ANA, actor_id=ANA, successor=successor)
    assert g.owner_id == BEN and g.members[BEN].role == groups.OWNER
    assert not g.deleted


def test_the_last_member_out_deletes_the_group():
    g = group("open")
    groups.leave_or_remove(g, member_id=ANA, actor_id=ANA, successor=None)
    assert g.deleted and g.owner_id is None


def test_declining_an_invitation_is_leaving_before_joining():
    g = group("private")
    groups.join_or_invite(g, member_id=BEN, actor_id=ANA, standing=STRANGER, now=T0)
    assert groups.leave_or_remove(g, member_id=BEN, actor_id=BEN, successor=None) == []
    assert BEN not in g.invited


def test_the_owner_withdraws_an_invitation():
    g = group("private")
    groups.join_or_invite(g, member_id=BEN, actor_id=ANA, standing=STRANGER, now=T0)
    assert groups.leave_or_remove(g, member_id=BEN, actor_id=ANA, successor=None) == []
    with pytest.raises(Forbidden):
        groups.join_or_invite(g, member_id=BEN, actor_id=BEN, standing=STRANGER, now=T0)


def test_an_erased_member_leaves_their_groups():
    g = group("open", BEN)
    assert groups.erase_member(g, BEN, None) == [
        GroupMemberLeft(group_id="g1", member_id=BEN, reason="member_deleted")
    ]
    assert groups.erase_member(g, CHEN, None) == []


# --- chats ------------------------------------------------------------------------------


def test_only_members_write_in_a_group_chat_and_replies_name_whom_they_answer():
    g = group("open", BEN)
    with pytest.raises(Forbidden) as refused:
        chats.new_group_message(
            g, message_id="m", author_id=CHEN, body="hi", replied=None, mentioned_ids=[], now=T0
        )
    assert refused.value.field == "group_id"
    first, _ = chats.new_group_message(
        g, message_id="m1", author_id=BEN, body="hi", replied=None, mentioned_ids=[], now=T0
    )
    _, events = chats.new_group_message(
        g, message_id="m2", author_id=ANA, body="hey", replied=first, mentioned_ids=[BEN], now=T0
    )
    assert events == [
        GroupMessagePosted(
            message_id="m2",
            group_id="g1",
            author_id=ANA,
            reply_to_author_id=BEN,
            mentioned_ids=[BEN],
        )
    ]


@pytest.mark.parametrize(
    ("recipient", "standing", "error"),
    [(ANA, STRANGER, Invalid), (BEN, BLOCKED, Forbidden)],
    ids=["to-oneself", "across-a-block"],
)
def test_direct_messages_are_refused_to_oneself_and_across_a_block(recipient, standing, error):
    with pytest.raises(error) as refused:
        chats.new_direct_message(
            message_id="d",
            sender_id=ANA,
            recipient_id=recipient,
            body="hi",
            standing=standing,
            now=T0,
        )
    assert refused.value.field == "recipient_id"


def test_a_direct_message_names_sender_and_recipient():
    _, events = chats.new_direct_message(
        message_id="d1", sender_id=ANA, recipient_id=BEN, body="hi", standing=STRANGER, now=T0
    )
    assert events == [DirectMessageSent(message_id="d1", sender_id=ANA, recipient_id=BEN)]


# --- the copies -------------------------------------------------------------------------


def test_connection_events_become_facts_of_the_copy():
    accepted = ConnectionAccepted(request_id="r", requester_id=ANA, addressee_id=BEN)
    assert copies.relation_changes(accepted) == [
        (ANA, BEN, "connected", True),
        (BEN, ANA, "connected", True),
    ]
    removed = ConnectionRemoved(member_id=BEN, other_id=ANA, reason="blocked")
    assert copies.relation_changes(removed) == [
        (BEN, ANA, "connected", False),
        (ANA, BEN, "connected", False),
    ]
    assert copies.relation_changes(MemberFollowed(member_id=ANA, other_id=BEN)) == [
        (ANA, BEN, "follows", True)
    ]
    unfollowed = MemberUnfollowed(member_id=ANA, other_id=BEN, reason="unfollowed")
    assert copies.relation_changes(unfollowed) == [(ANA, BEN, "follows", False)]
    assert copies.relation_changes(MemberBlocked(member_id=ANA, other_id=BEN)) == [
        (ANA, BEN, "blocks", True)
    ]
