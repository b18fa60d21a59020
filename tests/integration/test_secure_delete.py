"""An erased row leaves no readable bytes in SQLite's files: secure_delete zeroes it in the
database, and the checkpoint after an erasure empties the write-ahead log."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, delete, insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.db import UnitOfWork, messaging_tables
from shared.engines import create_schema, make_engine

METADATA = MetaData()
OUTBOX, INBOX, _ = messaging_tables(METADATA)
NOTES = Table(
    "notes", METADATA, Column("id", Integer, primary_key=True), Column("body", String(200))
)


def files_holding(database: Path, marker: bytes) -> list[str]:
    """Which of the database's files (with its -wal and -shm) contain `marker`."""
    candidates = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    return [p.name for p in candidates if p.exists() and marker in p.read_bytes()]


async def test_an_erased_row_is_in_none_of_the_sqlite_files_after_the_checkpoint(tmp_path):
    database = tmp_path / "service.sqlite3"
    marker = f"erase-me-{uuid.uuid4().hex}"
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    await create_schema(engine, METADATA)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    def unit_of_work() -> UnitOfWork:
        return UnitOfWork(sessions, outbox=OUTBOX, inbox=INBOX, source="/rapport/profiles")

    try:
        async with unit_of_work() as uow:
            await uow.session.execute(
                insert(NOTES), [{"body": f"kept {n}"} for n in range(50)] + [{"body": marker}]
            )
            await uow.commit()
        async with unit_of_work() as uow:
            await uow.session.execute(delete(NOTES).where(NOTES.c.body == marker))
            await uow.commit()
        # deleted, but the log still holds the page as it was written
        assert files_holding(database, marker.encode()) == [f"{database.name}-wal"]

        async with unit_of_work() as uow:
            await uow.session.execute(delete(NOTES).where(NOTES.c.body == "kept 0"))
            uow.after_erasure()
            await uow.commit()

        assert files_holding(database, marker.encode()) == []
        assert files_holding(database, b"kept 0") == []
        assert files_holding(database, b"kept 1") == [database.name]
    finally:
        await engine.dispose()
