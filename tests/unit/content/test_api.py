"""Content's API contract: what its requests refuse at the edge (and the service again), and
that every operation is declared once with the problems it may answer."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.contracts.api import content as api
from shared.contracts.operations import operations_of

MEMBER = "m-1"


def refused_fields(error: ValidationError) -> set[str]:
    return {".".join(str(part) for part in e["loc"]) for e in error.errors()}


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (api.CreateGroup, {"owner_id": MEMBER, "name": "Data\u202efolk"}, "name"),
        (api.CreateGroup, {"owner_id": MEMBER, "name": "Data\u200bfolk"}, "name"),
        (api.CreateGroup, {"owner_id": MEMBER, "name": "Data\nfolk"}, "name"),
        (api.CreateGroup, {"owner_id": MEMBER, "name": "G", "topic": "a\x00b"}, "topic"),
        (api.CreatePost, {"author_id": MEMBER, "body": "hello\x00"}, "body"),
        (api.CreatePost, {"author_id": MEMBER, "body": "bell\x07"}, "body"),
        (api.CreateComment, {"post_id": "p", "author_id": MEMBER, "body": "\x1b[31m"}, "body"),
        (api.SharePost, {"post_id": "p", "member_id": MEMBER, "comment": "a\x0cb"}, "comment"),
        (api.PostGroupMessage, {"group_id": "g", "author_id": MEMBER, "body": "\x7f"}, "body"),
        (
            api.SendDirectMessage,
            {"sender_id": MEMBER, "recipient_id": "m-2", "body": "hi\x00"},
            "body",
        ),
        (
            api.EditPost,
            {"post_id": "p", "changes": {"member_id": MEMBER, "body": "x\x00"}},
            "changes.body",
        ),
    ],
    ids=[
        "group-name-bidi",
        "group-name-zero-width",
        "group-name-newline",
        "group-topic-nul",
        "post-nul",
        "post-bell",
        "comment-escape",
        "share-comment-form-feed",
        "group-message-delete",
        "direct-message-nul",
        "edit-nul",
    ],
)
def test_control_and_deceptive_characters_are_refused_naming_the_field(model, fields, field):
    with pytest.raises(ValidationError) as error:
        model.model_validate(fields)
    assert refused_fields(error.value) == {field}


def test_bodies_keep_their_lines_tabs_and_any_language():
    body = "Line one\n\tindented\r\nGrüße — 你好 👋"
    assert api.CreatePost(author_id=MEMBER, body=body).body == body
    assert api.CreateGroup(owner_id=MEMBER, name="Café Ünïcode 会").name == "Café Ünïcode 会"


def test_every_content_operation_is_declared_once_and_creating_writes_are_idempotent():
    declared = {op.name: op for op in operations_of("content")}
    assert len(declared) == 27  # 26 operations and ping
    idempotent = {name for name, op in declared.items() if op.idempotent}
    assert idempotent == {
        "create_post",
        "create_comment",
        "share_post",
        "create_group",
        "post_group_message",
        "send_direct_message",
    }
    assert all(op.reply is not None and op.request is not None for op in declared.values())
