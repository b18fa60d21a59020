"""Database helpers every service uses: engines, the outbox and inbox tables, a unit of work.

The outbox row and the state change commit in one transaction (the relay publishes later);
the inbox row and a consumer's effect commit in one transaction (redelivery changes nothing).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

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
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator

from shared.contracts.envelope import Envelope, Event
from shared.contracts.subjects import event_subject

log = logging.getLogger(__name__)


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


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # a deleted row's bytes are overwritten, not left in free pages (erasure)
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


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


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions of a service's database (on SQLite, writers queue on the event loop:
    `SQLiteSession`)."""
    kind = SQLiteSession if engine.dialect.name == "sqlite" else AsyncSession
    return async_sessionmaker(engine, class_=kind, expire_on_commit=False)


class SQLiteSession(AsyncSession):
    """SQLite has one writer: a transaction holds the write lock from its first write to its
    end, and the others poll for it in SQLite's busy handler, which sleeps up to 100 ms
    between tries, so with many requests at once the lock sits free while they sleep (and
    some wait seconds). Here a process's transactions queue for the lock in an asyncio lock
    instead, taken just before a transaction's first write and given back when it ends.
    Reads take nothing (WAL: readers never wait for the writer). Other processes on the
    same file still meet SQLite's own lock."""

    _writing = False

    async def _before(self, statement: object = None) -> None:
        if self._writing:
            return
        pending = self.sync_session.new or self.sync_session.dirty or self.sync_session.deleted
        if pending or getattr(statement, "is_dml", False):
            lock = _writer_lock(self.bind)
            try:
                async with asyncio.timeout(SQLITE_BUSY_TIMEOUT):
                    await lock.acquire()
            except TimeoutError:
                locked = Exception("database is locked")
                raise OperationalError(str(statement), None, locked) from None
            self._writing = True

    def _done(self) -> None:
        if self._writing:
            self._writing = False
            _writer_lock(self.bind).release()

    async def execute(self, statement, *args, **kwargs):
        await self._before(statement)
        return await super().execute(statement, *args, **kwargs)

    async def scalar(self, statement, *args, **kwargs):
        await self._before(statement)
        return await super().scalar(statement, *args, **kwargs)

    async def get(self, *args, **kwargs):
        await self._before()  # autoflush
        return await super().get(*args, **kwargs)

    async def flush(self, *args, **kwargs) -> None:
        await self._before()
        await super().flush(*args, **kwargs)

    async def commit(self) -> None:
        await self._before()
        try:
            await super().commit()
        finally:
            self._done()

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self._done()

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self._done()


SQLITE_BUSY_TIMEOUT = 30.0
_WRITER_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _writer_lock(engine: AsyncEngine) -> asyncio.Lock:
    """One per database file and event loop (tests run several loops)."""
    by_loop = _WRITER_LOCKS.setdefault(engine.sync_engine, weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    lock = by_loop.get(loop)
    if lock is None:
        lock = by_loop[loop] = asyncio.Lock()
    return lock


async def checkpoint(engine: AsyncEngine) -> None:
    """After an erasure: copy SQLite's write-ahead log into the database file and truncate
    it, so that the erased rows' old pages are no longer in the -wal file (secure_delete
    has zeroed them in the database). PostgreSQL: nothing to do."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for attempt in range(CHECKPOINT_ATTEMPTS):
            result = await autocommit.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = result.first()[0]
            if not busy:
                return
            # a reader still holds an older snapshot: the log cannot be truncated under it
            await asyncio.sleep(0.05 * (attempt + 1))
    log.warning("the write-ahead log could not be truncated after an erasure (readers busy)")


CHECKPOINT_ATTEMPTS = 10


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


async def create_schema(engine: AsyncEngine, metadata: MetaData) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
