"""Schema migrations against real databases (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set): the revisions build exactly the tables the code expects, an upgrade keeps the data of
a database the previous release made, and such a database is adopted without a version
table of its own."""

from __future__ import annotations

import asyncio
import os
import re
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

from services.aggregator.projection import ProjectionTables
from shared import migrations
from shared.engines import make_engine
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


def fill_every_table(
    connection: Connection, given: dict[str, list[dict[str, Any]]] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """One row in every table (in foreign key order), or for a table in `given` its rows
    (each a change of the sample row); returns them by table."""
    reflected = MetaData()
    reflected.reflect(connection)
    rows = {}
    for table in reflected.sorted_tables:
        if table.name == migrations.VERSION_TABLE:
            continue
        row = {c.name: sample(c, connection.dialect.name) for c in table.columns}
        rows[table.name] = [{**row, **change} for change in (given or {}).get(table.name, [{}])]
        connection.execute(table.insert(), rows[table.name])
    connection.commit()
    return rows


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=repr)


def read_rows(
    connection: Connection, rows: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """What the tables hold now, in the columns `rows` filled (later revisions may add more)."""
    reflected = MetaData()
    reflected.reflect(connection, only=list(rows))
    found = {}
    for name, some in rows.items():
        columns = [reflected.tables[name].c[column] for column in some[0]]
        found[name] = ordered(
            [
                {k: comparable(v) for k, v in r._mapping.items()}
                for r in connection.execute(select(*columns))
            ]
        )
    return found


def expected(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: ordered([{k: comparable(v) for k, v in row.items()} for row in some])
        for name, some in rows.items()
    }


# Rows of the previous release whose data a revision moves, one of each meaning (changes of
# the sample row): an answer with a check-in, an answer alone, a check-in alone; a gathering
# cancelled before it was described; the aggregator's live generation and one being rebuilt.
REPRESENTATIVE: dict[str, dict[str, list[dict[str, Any]]]] = {
    "connections": {
        "attendance": [
            {"checked_in": True},
            {"member_id": "k2", "checked_in": False},
            {"member_id": "k3", "rsvp": None, "rsvp_as_of": None, "rsvp_version_id": None},
        ],
        "gatherings": [
            {"cancelled": False},
            {"id": "k2", "cancelled": True, "title": None, "ends_at": None, "as_of": None}
            | {"version_id": None},
        ],
    },
    "aggregator": {"projection_generation": [{"id": 1, "live": 1, "building": 2}]},
}
OLDEST = datetime(1970, 1, 1)  # the version given to a copy that had none


def renamed(row: dict[str, Any], old: str, new: str, default: Any = None) -> dict[str, Any]:
    row = dict(row)
    value = row.pop(old)
    row[new] = default if value is None else value
    return row


def connections_after(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """0003: copies keep their version as as_of + event_id (the old version_id) and gain
    `deleted` (a gathering's `cancelled`); an answer moves to rsvps, a check-in to check_ins;
    existing pairs are at version 1."""
    after = {name: some for name, some in rows.items() if name != "attendance"}
    after["members"] = [renamed(r, "version_id", "event_id") for r in rows["members"]]
    for name in ("groups", "group_memberships"):
        after[name] = [
            renamed(r, "version_id", "event_id") | {"deleted": False} for r in rows[name]
        ]
    after["gatherings"] = [
        renamed(renamed(r, "cancelled", "deleted"), "version_id", "event_id", "")
        | {"as_of": r["as_of"] or OLDEST}
        for r in rows["gatherings"]
    ]
    after["pairs"] = [r | {"version": 1} for r in rows["pairs"]]
    attendance = rows["attendance"]
    after["rsvps"] = [
        {"gathering_id": r["event_id"], "member_id": r["member_id"], "rsvp": r["rsvp"]}
        | {"deleted": False, "as_of": r["rsvp_as_of"], "event_id": r["rsvp_version_id"]}
        for r in attendance
        if r["rsvp"] is not None
    ]
    after["check_ins"] = [
        {"gathering_id": r["event_id"], "member_id": r["member_id"]}
        for r in attendance
        if r["checked_in"]
    ]
    return after


def events_after(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """0003: the member copies had no event id (""), versions start at 0 as for a new row."""
    after = dict(rows)
    after["members"] = [r | {"event_id": ""} for r in rows["members"]]
    for name in ("gatherings", "attendances", "meetings"):
        after[name] = [r | {"version": 0} for r in rows[name]]
    return after


def aggregator_after(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """0003: a fresh generation (live + 1) becomes live, to be filled by a rebuild; the old
    live generation's rows stay (for a downgrade) and every other generation is dropped."""
    (row,) = rows["projection_generation"]
    live = f"_g{row['live']}"
    after = {
        name: some
        for name, some in rows.items()
        if not re.search(r"_g\d+$", name) or name.endswith(live)
    }
    after["projection_generation"] = [row | {"live": row["live"] + 1, "building": None}]
    return after


AFTER_UPGRADE = {
    "connections": connections_after,
    "events": events_after,
    "aggregator": aggregator_after,
}


def after_upgrade(service: str, rows: dict[str, list[dict[str, Any]]]):
    """The rows as the revisions since the baseline leave them."""
    return AFTER_UPGRADE.get(service, dict)(rows)


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
    if service == "aggregator":  # its projection generations, made by its code
        await create_generation(engine, 1)
        await create_generation(engine, 2)
    rows = await run(engine, fill_every_table, REPRESENTATIVE.get(service))
    assert "outbox" in rows and "inbox" in rows

    await migrations.upgrade(engine, service)

    after = after_upgrade(service, rows)
    assert await run(engine, read_rows, after) == expected(after)
    assert not (set(rows) - set(after)) & await run(engine, tables)  # moved, then dropped
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
from shared.db import messaging_tables
from shared.engines import create_schema, make_engine

async def main(service, url):
    importlib.import_module(f"services.{service}.app")
    store = importlib.import_module(f"services.{service}.store")
    metadata = store.Base.metadata if hasattr(store, "Base") else store.metadata
    if service == "aggregator":  # the generations its start (1) and a rebuild (2) made
        store.ProjectionTables.of(1), store.ProjectionTables.of(2)
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
        rows = await run(engine, fill_every_table, REPRESENTATIVE.get(service))
        if service == "aggregator":  # the old shape: no members_g1.event_id yet
            assert "event_id" not in rows["members_g1"][0] and "pairs_g2" in rows

        await migrations.upgrade(engine, service)

        assert await run(engine, migrations.current_revision) == migrations.head(service)
        after = after_upgrade(service, rows)
        assert await run(engine, read_rows, after) == expected(after)
        assert not (set(rows) - set(after)) & await run(engine, tables)
        assert await run(engine, migrations.differences, service) == []
        if service == "aggregator":  # its start then makes the fresh live generation
            await create_generation(engine, 2)
            assert "member_sums_g2" in await run(engine, tables)
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
