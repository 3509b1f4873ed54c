"""Fixtures for the storage contract suite.

``storage`` is parametrised over both implementations: every test that uses
it runs against ``MemoryStorage``, against ``SqliteStorage`` on a real file
in ``tmp_path``, and against that file with conversation states encrypted.
Time comes from a controllable clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Clock, MemoryStorage, SqliteStorage, Storage
from bot.storage.sealing import StateKeys

START = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


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


@pytest.fixture(params=["memory", "sqlite", "sqlite-sealed"])
async def storage_factory(request: pytest.FixtureRequest, db_path: Path) -> AsyncIterator[StorageFactory]:
    """Builds storages of one implementation with a given clock; closes them afterwards."""
    opened: list[Storage] = []

    async def make(clock: Clock) -> Storage:
        storage: Storage
        if request.param == "memory":
            storage = MemoryStorage(clock=clock)
        elif request.param == "sqlite":
            storage = await SqliteStorage.open(db_path, clock=clock)
        else:
            storage = await SqliteStorage.open(db_path, clock=clock, keys=SEALING_KEYS)
        opened.append(storage)
        return storage

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
