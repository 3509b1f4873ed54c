"""SQLite statements by key run on the event loop's thread; locks, scans and checkpoints do not.

See :mod:`bot.storage.sqlite.db`. The statements' threads are read off the
connection's trace callback, which SQLite calls on the thread running the
statement.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.storage import ConversationKey, SqliteStorage
from bot.storage.sqlite.db import CHECKPOINT_AFTER_CHANGES
from tests.fakes.clock import FakeClock

KEY = ConversationKey("telegram", "7", "7")


@pytest.fixture
async def storage(db_path: Path, clock: FakeClock) -> AsyncIterator[SqliteStorage]:
    opened = await SqliteStorage.open(db_path, clock=clock, busy_timeout_seconds=2.0)
    yield opened
    await opened.close()


def shared_connection(storage: SqliteStorage) -> sqlite3.Connection:
    access = storage._db._loop_access  # the connection both threads use
    assert access is not None
    return access.conn


@contextmanager
def traced(storage: SqliteStorage) -> Iterator[list[tuple[bool, str]]]:
    """(on the loop's thread?, statement) for each statement run while inside.

    Setting the busy timeout for each thread's kind of statement is left out.
    """
    loop_thread = threading.get_ident()
    seen: list[tuple[bool, str]] = []

    def trace(sql: str) -> None:
        if not sql.startswith("PRAGMA busy_timeout"):
            seen.append((threading.get_ident() == loop_thread, " ".join(sql.split())))

    conn = shared_connection(storage)
    conn.set_trace_callback(trace)
    try:
        yield seen
    finally:
        conn.set_trace_callback(None)


def wal_size(db_path: Path) -> int:
    return (db_path.parent / (db_path.name + "-wal")).stat().st_size


@contextmanager
def write_lock_held_by_another_process(db_path: Path) -> Iterator[sqlite3.Connection]:
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


async def test_an_update_s_statements_run_on_the_loop_thread(
    storage: SqliteStorage, clock: FakeClock
) -> None:
    with traced(storage) as seen:
        assert await storage.inbox.begin("tg:1:update:1", clock.now) == 1
        assert await storage.conversations.get(KEY) is None
        await storage.conversations.save(KEY, "{}", 0)
        await storage.inbox.finish("tg:1:update:1")
    statements = [sql.split()[0] for _, sql in seen]
    assert statements == ["INSERT", "SELECT", "INSERT", "UPDATE"]
    assert all(on_loop for on_loop, _ in seen)


async def test_scans_run_on_the_worker_thread(storage: SqliteStorage, clock: FakeClock) -> None:
    await storage.inbox.receive("tg:1:update:1", "{}", clock.now)
    with traced(storage) as seen:
        assert len(await storage.inbox.unfinished("tg:1:")) == 1
        assert await storage.conversations.count() == 0
    assert [on_loop for on_loop, _ in seen] == [False, False]


async def test_a_statement_that_finds_the_file_locked_waits_on_the_worker_not_the_loop(
    storage: SqliteStorage, db_path: Path, clock: FakeClock
) -> None:
    with traced(storage) as seen, write_lock_held_by_another_process(db_path) as other:
        begin = asyncio.create_task(storage.inbox.begin("tg:1:update:1", clock.now))
        ticks = 0
        started = time.monotonic()
        while time.monotonic() - started < 0.3:
            await asyncio.sleep(0.01)  # the loop keeps running while the statement waits
            ticks += 1
        assert not begin.done()
        assert ticks >= 10
        other.execute("COMMIT")
        assert await asyncio.wait_for(begin, 5) == 1
    tries = [on_loop for on_loop, sql in seen if sql.startswith("INSERT INTO update_inbox")]
    assert tries == [True, False]  # refused at once on the loop's thread, then waited for on the worker
    assert (await storage.pragmas())["busy_timeout"] == 2000  # what the worker's statements wait


async def test_a_lock_held_past_the_busy_timeout_still_fails(db_path: Path, clock: FakeClock) -> None:
    async with await SqliteStorage.open(db_path, clock=clock, busy_timeout_seconds=0.2) as storage:
        with write_lock_held_by_another_process(db_path):
            started = time.monotonic()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await storage.inbox.begin("tg:1:update:1", clock.now)
            assert time.monotonic() - started >= 0.2
        assert await storage.inbox.begin("tg:1:update:1", clock.now) == 1  # nothing was counted


async def test_a_transaction_begun_while_the_file_is_locked_commits_once_it_is_free(
    storage: SqliteStorage, db_path: Path
) -> None:
    with write_lock_held_by_another_process(db_path) as other:
        claim = asyncio.create_task(storage.alerts.claim("a1", "expiry", "1", {}, ["telegram:1"]))
        await asyncio.sleep(0.1)
        assert not claim.done()
        other.execute("COMMIT")
        assert await asyncio.wait_for(claim, 5) is True
    assert [d.destination for d in await storage.alerts.deliveries("a1")] == ["telegram:1"]


async def test_the_write_ahead_log_is_checkpointed_on_the_worker_thread(
    storage: SqliteStorage, db_path: Path, clock: FakeClock
) -> None:
    row = await storage._db.fetchone("PRAGMA wal_autocheckpoint")
    assert row is not None and row[0] == 0  # never in a commit, which may run on the loop's thread
    writes = 3 * CHECKPOINT_AFTER_CHANGES
    with traced(storage) as seen:
        for i in range(writes):
            assert await storage.dedup.seen_once(f"k{i}", clock.now, 60) is True
        await asyncio.sleep(0.2)
    checkpoints = [on_loop for on_loop, sql in seen if "wal_checkpoint" in sql]
    assert len(checkpoints) >= 2
    assert not any(checkpoints)


async def test_the_write_ahead_log_stops_growing(storage: SqliteStorage, db_path: Path) -> None:
    async def write(rows: range) -> int:
        for i in rows:
            await storage.conversations.save(ConversationKey("telegram", str(i), str(i)), "x" * 3000, None)
        await asyncio.sleep(0.1)  # let the last checkpoint finish
        return wal_size(db_path)

    first = await write(range(1500))
    second = await write(range(1500, 3000))
    assert first > 0
    assert second < 1.5 * first, (first, second)  # unchecked, the log doubles with the writes


async def test_a_closed_storage_refuses_statements_by_key(db_path: Path, clock: FakeClock) -> None:
    async with await SqliteStorage.open(db_path, clock=clock) as storage:
        pass
    with pytest.raises(ValueError, match="closed"):
        await storage.inbox.begin("tg:1:update:1", clock.now)
