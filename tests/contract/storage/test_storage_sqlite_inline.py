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
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import ConversationKey, SqliteStorage, UserRef
from bot.storage.sqlite.db import CHECKPOINT_AFTER_CHANGES
from tests.fakes.clock import FakeClock

KEY = ConversationKey("telegram", "7", "7")
ALICE = UserRef("telegram", "501")


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
        with suppress(sqlite3.ProgrammingError):  # closed inside
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


async def test_taking_over_an_update_runs_on_the_loop_thread(
    storage: SqliteStorage, clock: FakeClock
) -> None:
    await storage.inbox.receive("tg:1:update:1", "{}", clock.now)
    with traced(storage) as seen:
        assert await storage.inbox.take("tg:1:update:1", clock.now, clock.advance(30)) is True
    assert [(on_loop, sql.split()[:2]) for on_loop, sql in seen] == [(True, ["UPDATE", "update_inbox"])]


async def test_each_statement_by_key_runs_once_on_the_loop_thread(storage: SqliteStorage) -> None:
    with traced(storage) as seen:
        await storage.ownership.assign_number("442000000001", ALICE, "test")  # a counted statement
        await storage.alerts.claim("a1", "expiry", "1", {}, ["telegram:1", "slack:C1"])  # a transaction
        assert await storage.ownership.claim_number("442000000002", ALICE, "test") == ALICE  # a session
        await storage.audit.record("telegram:501", "order", "442000000001", {"months": 1}, "ok")  # uncounted
    statements = [sql.split()[0] for _, sql in seen]
    assert statements == [
        "INSERT",
        "BEGIN",
        "INSERT",
        "INSERT",
        "INSERT",
        "COMMIT",
        "INSERT",
        "SELECT",
        "INSERT",
    ]
    assert all(on_loop for on_loop, _ in seen)


async def test_a_statement_by_key_waits_for_the_connection_then_runs_on_the_loop_thread(
    storage: SqliteStorage, clock: FakeClock
) -> None:
    with traced(storage) as seen:
        async with storage._db.transaction() as tx:  # on the worker, holding the connection
            begin = asyncio.create_task(storage.inbox.begin("tg:1:update:1", clock.now))
            assign = asyncio.create_task(storage.ownership.assign_number("442000000001", ALICE, "test"))
            await asyncio.sleep(0.05)
            assert not begin.done() and not assign.done()
            await tx.run("DELETE FROM dedup_keys WHERE key = ?", ("none",))
        assert await begin == 1
        await assign
    by_key = [on_loop for on_loop, sql in seen if "update_inbox" in sql or "number_owners" in sql]
    assert by_key == [True, True]


async def test_an_inline_transaction_makes_no_round_trip_to_the_worker(
    storage: SqliteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = storage._db._conn
    used: list[str] = []
    for name in ("execute", "execute_fetchall", "executemany", "commit", "rollback"):
        monkeypatch.setattr(worker, name, lambda *_, name=name: used.append(name))
    assert await storage.alerts.claim("a1", "expiry", "1", {}, ["telegram:1"]) is True  # committed
    unbindable: list[str] = ["telegram:1", object()]  # type: ignore[list-item]
    with pytest.raises(sqlite3.Error):
        await storage.alerts.claim("a2", "expiry", "1", {}, unbindable)  # rolled back
    assert used == []
    monkeypatch.undo()
    assert await storage.alerts.get("a1") is not None
    assert await storage.alerts.get("a2") is None


async def test_scans_run_on_the_worker_thread(storage: SqliteStorage, clock: FakeClock) -> None:
    await storage.inbox.receive("tg:1:update:1", "{}", clock.now)
    with traced(storage) as seen:
        assert len(await storage.inbox.unfinished("tg:1:")) == 1
        assert await storage.conversations.count() == 0
        assert await storage.dedup.purge(clock.now) == 0
        await storage._db.run("DELETE FROM dedup_keys WHERE expires_at < ?", ("2000",))
        async with storage._db.session() as s:
            assert await s.execute("DELETE FROM dedup_keys") == 0
    assert [on_loop for on_loop, _ in seen] == [False] * 5


async def test_a_failing_statement_by_key_fails_at_once(storage: SqliteStorage, db_path: Path) -> None:
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("DROP TABLE dedup_keys")
    other.close()
    with traced(storage) as seen, pytest.raises(sqlite3.OperationalError, match="no such table"):
        await storage.dedup.seen_once("k", datetime.now(UTC), 60)
    assert [on_loop for on_loop, _ in seen] == [True]  # not tried again on the worker


async def test_statements_by_key_never_wait_for_a_lock(storage: SqliteStorage, clock: FakeClock) -> None:
    await storage.inbox.unfinished("")  # the worker's statements wait...
    async with storage._db.session(inline=True) as s:
        row = await s.fetchone("PRAGMA busy_timeout")
    assert row is not None and row[0] == 0  # ...those on the loop's thread do not
    assert (await storage.pragmas())["busy_timeout"] == 2000


async def test_a_statement_that_finds_the_file_locked_waits_on_the_worker_not_the_loop(
    storage: SqliteStorage, db_path: Path, clock: FakeClock
) -> None:
    await storage.conversations.get(KEY)  # on the loop's thread: no wait
    await storage.inbox.unfinished("")  # on the worker's: waits
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


async def test_every_kind_of_statement_by_key_waits_out_a_lock_on_the_worker(
    storage: SqliteStorage, db_path: Path
) -> None:
    await storage.dedup.seen_once("k0", datetime.now(UTC), 60)

    async def work() -> int:
        async with storage._db.session(inline=True) as s:
            await s.executemany(
                "INSERT INTO dedup_keys (key, expires_at) VALUES (?, '9999')", [("k1",), ("k2",)]
            )
            await s.run("INSERT INTO dedup_keys (key, expires_at) VALUES (?, '9999')", ("k3",))
            return await s.execute("UPDATE dedup_keys SET expires_at = '9999'")

    with traced(storage) as seen, write_lock_held_by_another_process(db_path) as other:
        task = asyncio.create_task(work())
        await asyncio.sleep(0.1)
        assert not task.done()
        other.execute("COMMIT")
        assert await asyncio.wait_for(task, 5) == 4
    ran = [(on_loop, sql.split()[0]) for on_loop, sql in seen]
    assert ran[:2] == [(True, "INSERT"), (False, "INSERT")]  # refused on the loop, waited for on the worker
    assert ran[-1][1] == "UPDATE"


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
    assert len(checkpoints) in (2, 3)
    assert not any(checkpoints)
    # each begins right after the write that made it due: CHECKPOINT_AFTER_CHANGES apart
    at = [
        i
        for i, (_, sql) in enumerate(s for s in seen if "busy_timeout" not in s[1])
        if "wal_checkpoint" in sql
    ]
    assert at[1] - at[0] == CHECKPOINT_AFTER_CHANGES + 1


async def test_a_checkpoint_due_when_the_storage_closes_runs_first(db_path: Path, clock: FakeClock) -> None:
    storage = await SqliteStorage.open(db_path, clock=clock)
    with traced(storage) as seen:
        for i in range(2 * CHECKPOINT_AFTER_CHANGES):
            # on the worker: nothing yields after it, so the checkpoint is due and not begun
            await storage._db.run("INSERT INTO dedup_keys (key, expires_at) VALUES (?, '9999')", (f"k{i}",))
            if storage._db._checkpoint_task is not None:
                break
        else:
            pytest.fail("no checkpoint was due")
        await storage.close()
    assert "wal_checkpoint" in seen[-1][1]


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
    with pytest.raises(ValueError, match=r"^Connection closed$"):  # aiosqlite's words
        await storage.inbox.begin("tg:1:update:1", clock.now)


async def test_a_task_being_cancelled_still_runs_its_statement_by_key(
    storage: SqliteStorage, clock: FakeClock
) -> None:
    """As one handed to the worker thread ran: a lease given back while shutting down, say."""
    await storage.inbox.receive("tg:1:update:1", "{}", clock.now)
    started = asyncio.Event()

    async def handler() -> None:
        try:
            started.set()
            await asyncio.sleep(10)
        finally:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()  # cancelled again while cleaning up
            await storage.inbox.finish("tg:1:update:1")

    task = asyncio.create_task(handler())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await storage.inbox.unfinished("tg:1:") == []
