"""Engines and sessions: SQLite's pragmas and its one writer (a process's writers queue on
the event loop), PostgreSQL's pool, the write-ahead log truncated after an erasure, and the
schema created from models (tests and first starts without migrations)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from pathlib import Path

from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)


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


async def create_schema(engine: AsyncEngine, metadata: MetaData) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
