"""Fixtures for the storage contract suite.

``storage`` is parametrised over the implementations: every test that uses
it runs against ``MemoryStorage``, against ``SqliteStorage`` on a real file
in ``tmp_path``, against that file with conversation states encrypted, and
against ``PostgresStorage`` (plain and encrypted) in a schema of its own on
the test server (``postgres_url``), dropped afterwards. Time comes from a
controllable clock.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from bot.storage import Clock, MemoryStorage, SqliteStorage, Storage
from bot.storage.postgres import PostgresStorage
from bot.storage.sealing import StateKeys
from tests.fakes.clock import FakeClock

StorageFactory = Callable[[Clock], Awaitable[Storage]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clock_at() -> Callable[[datetime], FakeClock]:
    """Makes a clock standing at a given instant (test modules cannot import conftest)."""
    return FakeClock


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


SEALING_KEYS = StateKeys(bytes(range(32)))


@asynccontextmanager
async def fresh_schema(url: str) -> AsyncIterator[str]:
    """A new, empty schema with a random name on the server at ``url``, dropped (with its tables) after."""
    name = f"test_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"CREATE SCHEMA {name}")
        try:
            yield name
        finally:
            await conn.execute(f"DROP SCHEMA {name} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def pg_schema(postgres_url: str) -> AsyncIterator[str]:
    """A schema of this test's own on the test server (skips without one)."""
    async with fresh_schema(postgres_url) as name:
        yield name


@pytest.fixture(params=["memory", "sqlite", "sqlite-sealed", "postgres", "postgres-sealed"])
async def storage_factory(request: pytest.FixtureRequest, db_path: Path) -> AsyncIterator[StorageFactory]:
    """Builds storages of one implementation with a given clock; closes them afterwards.

    All storages one test builds share its file or schema (reopening sees what was stored).
    """
    opened: list[Storage] = []
    kind: str = request.param
    pg_url = pg_name = None
    cleanup = AsyncExitStack()
    if kind.startswith("postgres"):
        pg_url = request.getfixturevalue("postgres_url")  # skips without a server
        pg_name = await cleanup.enter_async_context(fresh_schema(pg_url))

    async def make(clock: Clock) -> Storage:
        storage: Storage
        keys = SEALING_KEYS if kind.endswith("-sealed") else None
        if kind == "memory":
            storage = MemoryStorage(clock=clock)
        elif kind.startswith("sqlite"):
            storage = await SqliteStorage.open(db_path, clock=clock, keys=keys)
        else:
            assert pg_url is not None
            storage = await PostgresStorage.open(pg_url, clock=clock, keys=keys, schema=pg_name)
        opened.append(storage)
        return storage

    async with cleanup:
        yield make
        for storage in opened:
            await storage.close()


@pytest.fixture
async def storage(storage_factory: StorageFactory, clock: FakeClock) -> Storage:
    return await storage_factory(clock)


@pytest.fixture
async def sqlite_storage(db_path: Path, clock: FakeClock) -> AsyncIterator[SqliteStorage]:
    storage = await SqliteStorage.open(db_path, clock=clock)
    yield storage
    await storage.close()
