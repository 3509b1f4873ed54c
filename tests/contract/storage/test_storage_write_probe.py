"""``/healthz``'s storage probe writes for real: down while SQLite cannot write, up again after.

The failures are real ones at the SQLite layer of the store's own connection:
the kernel refusing writes to the WAL file (what a read-only remount, a full
disk or a failing device look like to SQLite; works as root) and
``PRAGMA query_only``. Reads keep working meanwhile, which is why a reading
probe stayed green.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import health_app, write_probe
from bot.storage import MemoryStorage, SqliteStorage
from tests.storage_faults import writes_refused


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStorage]:
    storage = await SqliteStorage.open(db_path)
    yield storage
    await storage.close()


@pytest.fixture
async def client(store: SqliteStorage) -> AsyncIterator[TestClient[Any, Any]]:
    app = health_app([], {"database": write_probe(store.probe_write, reuse_for=0)})
    async with TestClient(TestServer(app)) as client:
        yield client


async def healthz(client: TestClient[Any, Any]) -> tuple[int, dict[str, Any]]:
    response = await client.get("/healthz")
    body = await response.json()
    return response.status, body["parts"]["database"]


def probe_writes(db_path: Path) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT writes FROM storage_probe WHERE id = 1").fetchone()
    finally:
        conn.close()
    return 0 if row is None else int(row[0])


async def test_each_probe_commits_a_write(client: TestClient[Any, Any], db_path: Path) -> None:
    for expected in (1, 2, 3):
        status, state = await healthz(client)
        assert status == 200 and state["ok"] is True
        assert probe_writes(db_path) == expected  # seen by another connection: committed


async def test_refused_writes_make_healthz_503_until_they_work_again(
    client: TestClient[Any, Any], store: SqliteStorage, db_path: Path
) -> None:
    assert (await healthz(client))[0] == 200
    with writes_refused(db_path):
        status, state = await healthz(client)
        assert status == 503
        assert state == {"ok": False, "error": "OperationalError", "reason": "disk I/O error"}
        assert await store.conversations.count() == 0  # reads still work: a reading probe stays green
        assert (await healthz(client))[0] == 503  # stays down while writes fail
    status, state = await healthz(client)
    assert status == 200 and state["ok"] is True
    assert probe_writes(db_path) == 2  # the first and the one after recovery


async def test_a_read_only_connection_is_reported_with_its_reason(
    client: TestClient[Any, Any], store: SqliteStorage
) -> None:
    async with store._db.session() as s:  # the store's own connection
        await s.execute("PRAGMA query_only = ON")
    status, state = await healthz(client)
    assert status == 503
    assert state["reason"] == "attempt to write a readonly database"
    async with store._db.session() as s:
        await s.execute("PRAGMA query_only = OFF")
    assert (await healthz(client))[0] == 200


async def test_the_reason_names_no_file(client: TestClient[Any, Any], db_path: Path) -> None:
    with writes_refused(db_path):
        response = await client.get("/healthz")
        text = await response.text()
    assert response.status == 503
    assert db_path.name not in text and str(db_path.parent) not in text


async def test_results_are_reused_briefly_so_a_flood_makes_few_writes(
    store: SqliteStorage, db_path: Path
) -> None:
    probe = write_probe(store.probe_write, reuse_for=60)
    for _ in range(20):
        assert (await probe())["ok"] is True
    assert probe_writes(db_path) == 1


async def test_a_hanging_write_is_down_after_the_timeout() -> None:
    async def hang() -> None:
        await asyncio.Event().wait()

    state = await write_probe(hang, timeout=0.05, reuse_for=0)()
    assert state["ok"] is False and state["error"] == "TimeoutError"


async def test_memory_storage_is_always_writable() -> None:
    assert (await write_probe(MemoryStorage().probe_write)())["ok"] is True
