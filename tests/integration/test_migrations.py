"""Schema migrations against real databases (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set): the revisions build exactly the tables the code expects, an upgrade keeps the data of
a database the previous release made, and such a database is adopted without a version
table of its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tarfile
import uuid
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, MetaData, inspect, select, types
from sqlalchemy.ext.asyncio import AsyncEngine

from services.aggregator.store import ProjectionTables
from shared import migrations
from shared.db import make_engine
from shared.settings import SERVICES
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS_RELEASE = "1680ed6"  # the last release whose tables `create_all` made


async def run(engine: AsyncEngine, function, *args) -> Any:
    async with engine.connect() as connection:
        return await connection.run_sync(function, *args)


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def sample(column, dialect: str) -> Any:
    """A value of the column's type; strings are the same everywhere so that a foreign key
    finds the row it references."""
    kind = column.type
    if isinstance(kind, types.Enum):
        return kind.enums[0]
    if isinstance(kind, types.Uuid):
        return uuid.UUID(int=7)
    if isinstance(kind, types.Boolean):
        return True
    if isinstance(kind, types.Integer):
        return 7
    if isinstance(kind, types.Float | types.Numeric):
        return 1.5
    if isinstance(kind, types.DateTime):
        moment = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
        return moment if dialect == "postgresql" else moment.replace(tzinfo=None)
    if isinstance(kind, types.Date):
        return date(2026, 3, 4)
    if isinstance(kind, types.JSON):
        return {"kept": [1, 2]}
    if isinstance(kind, types.LargeBinary):
        return b"\x00kept"
    if isinstance(kind, types.String):
        return "k1"[: kind.length or 2]
    raise AssertionError(f"no sample for {column.table.name}.{column.name}: {kind!r}")


def comparable(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def fill_every_table(connection: Connection) -> dict[str, dict[str, Any]]:
    """One row in every table (in foreign key order); returns them by table."""
    reflected = MetaData()
    reflected.reflect(connection)
    rows = {}
    for table in reflected.sorted_tables:
        if table.name == migrations.VERSION_TABLE:
            continue
        row = {c.name: sample(c, connection.dialect.name) for c in table.columns}
        connection.execute(table.insert().values(row))
        rows[table.name] = row
    connection.commit()
    return rows


def read_rows(
    connection: Connection, rows: dict[str, dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """What the tables hold now, in the columns `rows` filled (later revisions may add more)."""
    reflected = MetaData()
    reflected.reflect(connection, only=list(rows))
    found = {}
    for name, row in rows.items():
        columns = [reflected.tables[name].c[column] for column in row]
        found[name] = [
            {k: comparable(v) for k, v in r._mapping.items()}
            for r in connection.execute(select(*columns))
        ]
    return found


def expected(rows: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {name: [{k: comparable(v) for k, v in row.items()}] for name, row in rows.items()}


@pytest.fixture
async def engine_of(database_factory):
    engines: list[AsyncEngine] = []

    async def make(service: str) -> AsyncEngine:
        engines.append(make_engine(await database_factory(service)))
        return engines[-1]

    yield make
    for engine in engines:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_an_empty_database_upgraded_to_head_has_exactly_the_tables_of_the_code(
    service: str, engine_of
) -> None:
    engine = await engine_of(service)
    await migrations.upgrade(engine, service)
    assert await run(engine, migrations.current_revision) == migrations.head(service)
    assert await run(engine, migrations.differences, service) == []


@pytest.mark.parametrize("service", SERVICES)
async def test_upgrading_from_the_baseline_keeps_every_row(service: str, engine_of) -> None:
    engine = await engine_of(service)
    await migrations.upgrade(engine, service, migrations.BASELINE)
    if service == "aggregator":  # its projection generation, made by its code at start
        await create_generation(engine, 1)
    rows = await run(engine, fill_every_table)
    assert "outbox" in rows and "inbox" in rows

    await migrations.upgrade(engine, service)

    assert await run(engine, read_rows, rows) == expected(rows)
    assert "idempotency" in await run(engine, tables)
    assert await run(engine, migrations.differences, service) == []


@pytest.mark.parametrize("service", SERVICES)
async def test_upgrading_at_head_again_changes_nothing(service: str, engine_of) -> None:
    engine = await engine_of(service)
    await migrations.upgrade(engine, service)
    rows = await run(engine, fill_every_table)
    await migrations.upgrade(engine, service)
    assert await run(engine, read_rows, rows) == expected(rows)


async def create_generation(engine: AsyncEngine, generation: int) -> None:
    generation_tables = ProjectionTables.of(generation).all()
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda c: generation_tables[0].metadata.create_all(c, tables=generation_tables)
        )


async def test_projection_generations_are_left_to_the_aggregator(engine_of) -> None:
    engine = await engine_of("aggregator")
    await migrations.upgrade(engine, "aggregator")
    await create_generation(engine, 4)
    assert "pairs_g4" in await run(engine, tables)
    assert await run(engine, migrations.differences, "aggregator") == []


def previous_release_source(destination: Path) -> Path:
    """The previous release's code, from git (skipped in a copy without that history)."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
        capture_output=True,
    )
    if found.returncode != 0:
        pytest.skip(f"the previous release ({PREVIOUS_RELEASE}) is not in this git history")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE, "shared", "services"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination


CREATE_AS_PREVIOUS_RELEASE = """
import asyncio, importlib, sys
import shared
assert shared.__file__.startswith(sys.argv[3]), shared.__file__
from shared.db import create_schema, make_engine, messaging_tables

async def main(service, url):
    importlib.import_module(f"services.{service}.app")
    store = importlib.import_module(f"services.{service}.store")
    metadata = store.Base.metadata if hasattr(store, "Base") else store.metadata
    messaging_tables(metadata)
    engine = make_engine(url)
    await create_schema(engine, metadata)
    await engine.dispose()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.parametrize("service", SERVICES)
async def test_a_database_the_previous_release_made_is_adopted_and_upgraded(
    service: str, database_factory, tmp_path: Path
) -> None:
    source = previous_release_source(tmp_path / "previous")
    url = await database_factory(service)
    made = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CREATE_AS_PREVIOUS_RELEASE, service, url, str(source)],
        cwd=source,
        env={**os.environ, "PYTHONPATH": str(source)},
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    engine = make_engine(url)
    try:
        assert migrations.VERSION_TABLE not in await run(engine, tables)
        rows = await run(engine, fill_every_table)

        await migrations.upgrade(engine, service)

        assert await run(engine, migrations.current_revision) == migrations.head(service)
        assert await run(engine, read_rows, rows) == expected(rows)
        assert await run(engine, migrations.differences, service) == []
    finally:
        await engine.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("service", ["profiles", "aggregator"])
async def test_replicas_starting_together_on_postgresql_upgrade_once(service: str) -> None:
    """Three processes upgrade one empty database at once, as replicas do at start."""
    url = await create_postgres_database()
    env = {**os.environ, f"RAPPORT_{service.upper()}_DATABASE_URL": url}
    try:
        replicas = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "shared.migrations",
                "upgrade",
                service,
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(3)
        ]
        outputs = [(await replica.communicate())[0].decode() for replica in replicas]
        assert [replica.returncode for replica in replicas] == [0, 0, 0], outputs
        engine = make_engine(url)
        try:
            assert await run(engine, migrations.current_revision) == migrations.head(service)
            assert await run(engine, migrations.differences, service) == []
        finally:
            await engine.dispose()
    finally:
        await drop_postgres_database(url)
