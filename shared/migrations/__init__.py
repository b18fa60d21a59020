"""Schema migrations of every service's database, with Alembic.

One Alembic environment (this package's env.py) serves every service; each service keeps its
own linear history of revisions in `services/<service>/migrations/` and its own version table
(`alembic_version`) in its own database. A service upgrades its database to the head revision
when it starts (`ServiceRuntime`), and `python -m shared.migrations upgrade` does the same as
a job before a deployment. docs/architecture.md ("Schema migrations") says why and how.

    python -m shared.migrations upgrade [SERVICE ...]      every configured database to head
    python -m shared.migrations revision SERVICE -m TEXT    autogenerate the next revision
    python -m shared.migrations check [SERVICE ...]         the models and the database agree
    python -m shared.migrations current [SERVICE ...]       the revision of each database
    python -m shared.migrations stamp SERVICE REVISION      record a revision, run nothing
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import UTCDateTime, messaging_tables

log = logging.getLogger(__name__)

BASELINE = "0001"
"""Every service's first revision: the schema the last release before migrations (1680ed6)
made with `create_all`. A database that release made is stamped with it, then upgraded."""

VERSION_TABLE = "alembic_version"

# The aggregator's projection tables exist once per generation (`pairs_g3`...): its code
# creates and drops them at start and on rebuilds, so migrations neither create nor compare
# them (a change to their shape is deployed by a rebuild: services/aggregator/store.py).
EXCLUDED_TABLES: dict[str, re.Pattern[str]] = {"aggregator": re.compile(r"_g\d+$")}


def versions_dir(service: str) -> Path:
    """Where a service's revisions live (a package, so that installs ship them)."""
    package = importlib.import_module(f"services.{service}.migrations")
    return Path(package.__file__).parent


def config(service: str, connection: Connection | None = None) -> Config:
    """Alembic's configuration for one service's database (no alembic.ini: it is all here)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    cfg.set_main_option("version_locations", str(versions_dir(service)))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["service"] = service
    cfg.attributes["connection"] = connection
    return cfg


@cache
def target_metadata(service: str) -> MetaData:
    """The tables a service's code expects: its models plus the outbox, inbox and idempotency
    tables. The composition root is imported first so that every model module is loaded."""
    importlib.import_module(f"services.{service}.app")
    store = None
    # a service split by feature gathers its tables in schema.py (the aggregator's projection
    # keeps them in projection/tables.py)
    for module in ("schema", "store", "projection.tables"):
        try:
            store = importlib.import_module(f"services.{service}.{module}")
            break
        except ModuleNotFoundError:
            continue
    assert store is not None, f"services.{service} has no module with its tables"
    metadata = store.Base.metadata if hasattr(store, "Base") else store.metadata
    messaging_tables(metadata)
    return metadata


def include_object_for(service: str) -> Callable[..., bool]:
    excluded = EXCLUDED_TABLES.get(service)

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return not (excluded and table and excluded.search(table))

    return include


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Revisions spell the project's column types in plain SQLAlchemy, so that an old
    revision never depends on today's code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def lock_key(service: str) -> int:
    """The PostgreSQL advisory lock that serialises concurrent upgrades of a database."""
    digest = hashlib.sha256(f"rapport-migrations:{service}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def made_before_migrations(connection: Connection) -> bool:
    """A database the previous release made with `create_all`: tables, no version table."""
    tables = set(inspect(connection).get_table_names())
    return VERSION_TABLE not in tables and "outbox" in tables


def upgrade_connection(connection: Connection, service: str, revision: str = "head") -> None:
    """Upgrade one service's database, in one transaction on PostgreSQL.

    Replicas that start together take turns on an advisory lock held until the commit: the
    first upgrades, the others then find the database at head and do nothing. A database
    made before migrations is stamped with the baseline first (adopted), then upgraded."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(service)})
    cfg = config(service, connection)
    if made_before_migrations(connection):
        log.warning("%s: database made before migrations: stamped %s", service, BASELINE)
        command.stamp(cfg, BASELINE)
    command.upgrade(cfg, revision)
    connection.commit()


def stamp(connection: Connection, service: str, revision: str) -> None:
    """Record `revision` as the database's schema, running no revision."""
    command.stamp(config(service, connection), revision)
    connection.commit()


async def upgrade(engine: AsyncEngine, service: str, revision: str = "head") -> None:
    """Bring a service's database up to `revision` (the head by default)."""
    async with engine.connect() as connection:
        await connection.run_sync(upgrade_connection, service, revision)


def differences(connection: Connection, service: str) -> list[Any]:
    """What autogenerate would change: empty when the database matches the models."""
    context = MigrationContext.configure(
        connection,
        opts={"include_object": include_object_for(service), "compare_type": True},
    )
    return compare_metadata(context, target_metadata(service))


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head(service: str) -> str:
    return ScriptDirectory.from_config(config(service)).get_current_head()


def next_revision_id(service: str) -> str:
    """Revisions are numbered 0001, 0002... within a service: easy to read, in order."""
    current = head(service)
    return f"{int(current) + 1:04d}" if current and current.isdigit() else "0001"
