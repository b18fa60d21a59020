"""Shared fixtures: a real nats-server on a free port, with the generated authorization
(anonymous clients refused, each identity its permissions), and databases (SQLite always,
PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import nats
import pytest
from sqlalchemy.engine import make_url

from shared.messaging.provisioning import provision
from shared.natsserver import NatsServer, start_nats_server
from shared.settings import normalise_database_url
from tests.support import HARNESS, bus_config, test_settings, url_as

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    root = tmp_path_factory.mktemp("nats")
    server = start_nats_server(root / "store", config=bus_config(root / "secrets"))
    yield server
    server.stop()


@pytest.fixture
async def clean_nats(nats_server: NatsServer) -> AsyncIterator[str]:
    """The server with Rapport's streams and consumers provisioned afresh for this test; its
    URL carries the harness's credentials (settings give services their own)."""
    url = url_as(nats_server.url, HARNESS)
    nc = await nats.connect(url)
    js = nc.jetstream()
    for stream in await js.streams_info():
        await js.delete_stream(stream.config.name)
    await provision(js, test_settings(nats_server.url))
    await nc.close()
    yield url


def _postgres_admin_url() -> str:
    url = make_url(normalise_database_url(POSTGRES_URL)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def create_postgres_database() -> str:
    """A new, empty PostgreSQL database on the TEST_DATABASE_URL server; returns its URL."""
    import asyncpg

    name = f"rapport_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_postgres_admin_url())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(normalise_database_url(POSTGRES_URL)).set(database=name)
    return url.render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    import asyncpg

    name = make_url(url).database
    admin = await asyncpg.connect(_postgres_admin_url())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set"),
    ),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def database_factory(
    backend: str, tmp_path: Path
) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """Makes an empty database per name, on the backend of this test's parameter."""
    created: list[str] = []

    async def make(name: str) -> str:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / name}.sqlite3"
        url = await create_postgres_database()
        created.append(url)
        return url

    yield make
    for url in created:
        await drop_postgres_database(url)
