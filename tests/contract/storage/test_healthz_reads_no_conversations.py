"""``/healthz`` stays cheap however many conversations are stored: it never counts or scans them."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import health_app, write_probe
from bot.storage import SqliteStorage

ROWS = 100_000


def fill_conversations(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        conn.executemany(
            "INSERT INTO conversations VALUES ('telegram', ?, ?, '{}', 1, '2026-01-01T00:00:00+00:00')",
            ((str(i), str(i)) for i in range(ROWS)),
        )
        conn.commit()
    finally:
        conn.close()


async def test_a_probe_touches_no_conversation_row(db_path: Path) -> None:
    store = await SqliteStorage.open(db_path)
    try:
        fill_conversations(db_path)
        statements: list[str] = []
        await store._db._conn.set_trace_callback(statements.append)  # the store's own connection
        app = health_app([], {"database": write_probe(store.probe_write, reuse_for=0)})
        async with TestClient(TestServer(app)) as client:
            started = time.monotonic()
            for _ in range(5):
                response = await client.get("/healthz")
                assert response.status == 200
            elapsed = time.monotonic() - started
        assert statements, "the probe made no write at all"
        assert not [s for s in statements if "conversations" in s.lower() or "count(" in s.lower()]
        assert elapsed < 2.0
    finally:
        await store.close()
