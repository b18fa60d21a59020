"""What the content service prepares at start-up, against real databases: the key that signs
cursors is kept in the database (so restarts and replicas accept each other's cursors), and
posts are scored again when the value rules change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.content.context import ContentConfig, Context
from services.content.copies.tables import MemberRow
from services.content.engagement.handlers import EngagementHandlers
from services.content.feed.handlers import FeedHandlers
from services.content.posts.handlers import PostHandlers
from services.content.schema import Base
from services.content.startup import prepare as prepare_content
from services.content.value import ValueRules
from shared.contracts.api.content import CreatePost, FeedPage, PostAction, SetReaction
from shared.db import UnitOfWork, messaging_tables
from shared.engines import create_schema, make_engine

MEMBERS = [str(uuid.uuid4()) for _ in range(4)]


@pytest.fixture
async def unit_of_work(database_factory):
    engine = make_engine(await database_factory("content"))
    outbox, inbox, _ = messaging_tables(MetaData())
    await create_schema(engine, Base.metadata)
    await create_schema(engine, outbox.metadata)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions.begin() as session:
        for n, member_id in enumerate(MEMBERS):
            session.add(
                MemberRow(
                    id=member_id,
                    handle=f"member{n}",
                    name=f"M {n}",
                    deleted=False,
                    as_of=datetime.now(UTC),
                    event_id=uuid.uuid4().hex,
                )
            )
    yield lambda: UnitOfWork(sessions, outbox=outbox, inbox=inbox, source="/test")
    await engine.dispose()


class Content:
    """The content service's handlers around one context, as app.py composes them."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cursors = context.cursors
        posts, feed = PostHandlers(context), FeedHandlers(context)
        self.create_post, self.get_post, self.feed = posts.create_post, posts.get_post, feed.feed
        self.set_reaction = EngagementHandlers(context).set_reaction


def started(rules: ValueRules = ValueRules(), secret: str | None = None) -> Content:
    return Content(
        Context(
            ContentConfig(rules=rules, max_mentions=50, stats_window_days=90, cursor_secret=secret)
        )
    )


async def prepare(content: Content, unit_of_work) -> Content:
    async with unit_of_work() as uow:
        await prepare_content(content.context, uow)
    return content


async def run(unit_of_work, operation, command):
    async with unit_of_work() as uow:
        return await operation(command, uow)


async def test_a_restarted_or_second_instance_reads_the_cursors_of_the_first(unit_of_work):
    first = await prepare(started(), unit_of_work)
    member = MEMBERS[0]
    for n in range(3):
        await run(unit_of_work, first.create_post, CreatePost(author_id=member, body=f"p{n}"))
    page = await run(unit_of_work, first.feed, FeedPage(member_id=member, limit=1))

    second = await prepare(started(), unit_of_work)
    following = await run(
        unit_of_work,
        second.feed,
        FeedPage(member_id=member, limit=1, cursor=page.next_cursor),
    )
    assert following.items[0].id != page.items[0].id
    assert second.cursors.key == first.cursors.key


async def test_a_configured_secret_signs_cursors_instead_of_the_stored_key(unit_of_work):
    stored = await prepare(started(), unit_of_work)
    configured = await prepare(started(secret="s3cret"), unit_of_work)
    assert configured.cursors.key != stored.cursors.key
    again = await prepare(started(secret="s3cret"), unit_of_work)
    assert again.cursors.key == configured.cursors.key


async def test_posts_are_scored_again_when_the_value_rules_change(unit_of_work):
    weekly = await prepare(started(), unit_of_work)
    author = MEMBERS[0]
    post = await run(unit_of_work, weekly.create_post, CreatePost(author_id=author, body="x"))
    for member in MEMBERS[1:]:
        await run(
            unit_of_work,
            weekly.set_reaction,
            SetReaction(post_id=post.id, member_id=member, kind="like"),
        )
    view = PostAction(post_id=post.id, member_id=author)
    assert (await run(unit_of_work, weekly.get_post, view)).value == pytest.approx(3, rel=1e-3)

    heavier = await prepare(started(ValueRules(reaction=2)), unit_of_work)
    assert (await run(unit_of_work, heavier.get_post, view)).value == pytest.approx(6, rel=1e-3)
