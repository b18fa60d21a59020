"""Database helpers every service uses: the outbox and inbox tables, a unit of work, the small
values a service keeps (engines and sessions: shared/engines.py).

The outbox row and the state change commit in one transaction (the relay publishes later);
the inbox row and a consumer's effect commit in one transaction (redelivery changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import (
    AsyncSession,
    async_sessionmaker,
)
from sqlalchemy.types import TypeDecorator

from shared.contracts.envelope import Envelope, Event
from shared.contracts.subjects import event_subject
from shared.engines import checkpoint


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def messaging_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    """Add the outbox, inbox and idempotency tables to a service's metadata (once: a second
    app built in the same process, as tests do, reuses them)."""
    if "outbox" in metadata.tables:
        return tuple(metadata.tables[name] for name in ("outbox", "inbox", "idempotency"))
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime, nullable=True, index=True),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("handled_at", UTCDateTime, nullable=False),
    )
    # The first answer of an idempotent write, under its Idempotency-Key: stored in the
    # write's own transaction, so a retry finds either both or neither.
    idempotency = Table(
        "idempotency",
        metadata,
        Column("operation", String(100), primary_key=True),
        Column("key", String(300), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("reply", LargeBinary, nullable=False),
        Column("created_at", UTCDateTime, nullable=False, index=True),
    )
    return outbox, inbox, idempotency


class KeptValues:
    """Small values a service keeps for itself in its `service_state` table (name, value):
    the key of its cursors, the signature of the rules its data was computed with."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        self.session = session
        self.table = table

    async def get(self, name: str) -> str | None:
        t = self.table
        return await self.session.scalar(select(t.c.value).where(t.c.name == name))

    async def put(self, name: str, value: str) -> None:
        t = self.table
        changed = await self.session.execute(update(t).where(t.c.name == name).values(value=value))
        if not changed.rowcount:
            await self.session.execute(insert(t).values(name=name, value=value))


class UnitOfWork:
    """One transaction: state changes, outbox rows and inbox rows commit together.

    `after_commit` is called once a transaction that wrote outbox rows commits, so that the
    relay publishes at once instead of at its next poll.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        outbox: Table,
        inbox: Table,
        source: str,
        after_commit: Callable[[], None] | None = None,
        idempotency: Table | None = None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._inbox = inbox
        self._idempotency = idempotency
        self._held = False
        self._source = source
        self._after_commit = after_commit
        self.session: AsyncSession
        self.published: list[Envelope] = []
        self._erased = False
        self._erased_members: set[str] = set()

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.published = []
        self._erased = False
        self._erased_members = set()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.session.rollback()
        await self.session.close()

    async def commit(self) -> None:
        if self._erased_members:
            await self._forget_answers_naming(self._erased_members)
            self._erased_members = set()
        if self._held:  # an idempotent write commits once, with its answer
            await self.session.flush()
            return
        await self.session.commit()
        if self.published and self._after_commit:
            self._after_commit()
        if self._erased:
            self._erased = False
            await checkpoint(self._sessions.kw["bind"])

    def after_erasure(self, member_id: str | None = None) -> None:
        """Call in a transaction that erases a member's data: once it commits, SQLite's
        write-ahead log is checkpointed and truncated (`checkpoint`). With `member_id`, the
        stored answers of idempotent writes that name the member go in the same transaction
        (a registration's answer holds their name and email, a post's its text)."""
        self._erased = True
        if member_id is not None:
            self._erased_members.add(member_id)

    async def _forget_answers_naming(self, member_ids: set[str]) -> None:
        """Delete the stored answers whose bytes contain one of these member ids (every answer
        about a member's write names them). A retry of such a write within the keys' keep is
        then answered afresh: the price of not keeping an erased member's words."""
        table = self._idempotency
        if table is None:
            return
        dialect = self.session.get_bind().dialect.name
        found = (
            "position(:needle IN reply) > 0"
            if dialect == "postgresql"
            else ("instr(reply, :needle) > 0")
        )
        for member_id in sorted(member_ids):
            needle = bindparam("needle", member_id.encode(), type_=LargeBinary)
            await self.session.execute(table.delete().where(text(found).bindparams(needle)))

    def hold_commits(self) -> None:
        """Make the handlers' own commits flushes until `commit_all`: one transaction for a
        whole batch of events, or for an idempotent write with its stored answer."""
        self._held = True

    @property
    def holding(self) -> bool:
        """Commits are held: the transaction is shared (a batch, or a write with its answer)."""
        return self._held

    async def commit_all(self) -> None:
        self._held = False
        await self.commit()

    async def recall(self, operation: str, key: str, fingerprint: str) -> bytes | None:
        """The answer stored for an earlier request with this Idempotency-Key, if any; a key
        reused for another request is refused. Holds commits until `remember`."""
        from shared.errors import Invalid

        table = self._idempotency
        assert table is not None, "this unit of work keeps no idempotency keys"
        row = (
            await self.session.execute(
                select(table.c.fingerprint, table.c.reply).where(
                    table.c.operation == operation, table.c.key == key
                )
            )
        ).first()
        if row is None:
            self.hold_commits()
            return None
        if row.fingerprint != fingerprint:
            raise Invalid(
                "this Idempotency-Key was used for a different request",
                field="Idempotency-Key",
            )
        return row.reply

    async def remember(self, operation: str, key: str, fingerprint: str, reply: bytes) -> None:
        """Store the answer under its key and commit it with the write it answers."""
        table = self._idempotency
        assert table is not None
        await self.session.execute(
            insert(table).values(
                operation=operation,
                key=key,
                fingerprint=fingerprint,
                reply=reply,
                created_at=datetime.now(UTC),
            )
        )
        await self.commit_all()

    async def forget_older_than(self, cutoff: datetime) -> int:
        """Drop the stored answers older than `cutoff` (keys are kept a configured time)."""
        table = self._idempotency
        assert table is not None
        result = await self.session.execute(table.delete().where(table.c.created_at < cutoff))
        await self.commit()
        return result.rowcount or 0

    async def publish(self, event: Event, *, time: datetime | None = None) -> Envelope:
        """Record an event in the outbox, in this transaction."""
        envelope = Envelope.wrap(event, source=self._source, time=time)
        await self.session.execute(
            insert(self._outbox).values(
                event_id=envelope.id,
                subject=event_subject(event),
                payload=envelope.model_dump_json().encode(),
                created_at=datetime.now(UTC),
            )
        )
        self.published.append(envelope)
        return envelope

    async def claim(self, consumer: str, event_id: str) -> bool:
        """Record that `consumer` handles `event_id` in this transaction.

        False when it was handled before: the caller skips the effect. Two replicas racing on
        one event both pass here, and the primary key makes the second commit fail, so the
        message is retried and then skipped.
        """
        seen = await self.session.scalar(
            select(func.count())
            .select_from(self._inbox)
            .where(self._inbox.c.consumer == consumer, self._inbox.c.event_id == event_id)
        )
        if seen:
            return False
        await self.session.execute(
            insert(self._inbox).values(
                consumer=consumer, event_id=event_id, handled_at=datetime.now(UTC)
            )
        )
        return True

    async def claim_many(self, consumer: str, event_ids: list[str]) -> set[str]:
        """`claim` for a batch, in two statements: the ids not handled before."""
        wanted = list(dict.fromkeys(event_ids))
        seen: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            seen.update(
                await self.session.scalars(
                    select(self._inbox.c.event_id).where(
                        self._inbox.c.consumer == consumer, self._inbox.c.event_id.in_(chunk)
                    )
                )
            )
        fresh = [event_id for event_id in wanted if event_id not in seen]
        if fresh:
            now = datetime.now(UTC)
            await self.session.execute(
                insert(self._inbox),
                [{"consumer": consumer, "event_id": e, "handled_at": now} for e in fresh],
            )
        return set(fresh)
