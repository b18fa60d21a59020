"""End-to-end fixtures: the whole system running, on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from shared.settings import SERVICES
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database
from tests.e2e.system import System


def _databases(backend: str, tmp_path) -> dict[str, str]:
    if backend == "sqlite":
        return {}  # each service's default: its own SQLite file under RAPPORT_DATA_DIR
    return {name: asyncio.run(create_postgres_database()) for name in SERVICES}


def _running_system(backend: str, root) -> Iterator[System]:
    databases = _databases(backend, root)
    system = System(root, databases)
    try:
        system.start_all()
        yield system
    finally:
        system.shutdown()
        for url in databases.values():
            asyncio.run(drop_postgres_database(url))


@pytest.fixture(params=BACKENDS)
def system(request, tmp_path) -> Iterator[System]:
    """A fresh system for one test (tests that stop and start services)."""
    yield from _running_system(request.param, tmp_path)


@pytest.fixture(scope="module", params=BACKENDS)
def shared_system(request, tmp_path_factory) -> Iterator[System]:
    """One system for a module of tests that only use the API."""
    yield from _running_system(request.param, tmp_path_factory.mktemp("system"))
