"""One SQLite connection shared by all SQLite repositories.

aiosqlite runs statements one at a time on its own thread, but a transaction
spans several awaits, and any other task's statement issued in between would
land inside it (and be rolled back with it, or read its uncommitted rows).
So every use of the connection goes through one ``asyncio.Lock``: a single
statement holds it for one round trip, a transaction for its whole length.
Across processes SQLite's own locking applies: ``busy_timeout`` makes a writer
wait for another, and transactions start with ``BEGIN IMMEDIATE`` so they
take the write lock up front instead of failing on upgrade.

**Inline statements.** A round trip to aiosqlite's thread costs far more than
a statement that reads or writes a few rows by key (``bench/sqlite_update_path.py``:
an update's four statements cost 0.04 ms of CPU on a bare connection, 0.6 ms
through the thread and 0.12 ms inline; more under load, when the thread waits
for the GIL held by the busy event loop). Statements marked ``inline=True`` run on the event loop's
own thread instead, on the same connection (see :class:`LoopAccess`),
without waiting: the connection's ``busy_timeout`` is 0 while they run, so
one that finds another process holding the write lock fails at once, has no
effect, and is run again on the worker thread, where it waits as any other
statement. Only statements bounded by a key belong inline; scans, bulk writes
and anything that may take milliseconds stay on the thread.

Committing never syncs to disk in WAL mode with ``synchronous=NORMAL``, but
checkpointing the write-ahead log does; SQLite's automatic checkpoint runs in
whichever commit crosses its threshold, which could be an inline one. So the
connection checkpoints only when told (``wal_autocheckpoint = 0``), and
:class:`Database` runs a ``PASSIVE`` checkpoint on the worker thread once
:data:`CHECKPOINT_AFTER_CHANGES` rows have changed since the last one.

The connection is in autocommit mode (``isolation_level=None``): a statement
outside :meth:`Database.transaction` commits on its own.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

import aiosqlite

from bot.storage.clock import Clock
from bot.storage.codec import ensure_utc

log = logging.getLogger("bot.storage.sqlite")

Params = Sequence[Any]
T = TypeVar("T")

CHECKPOINT_AFTER_CHANGES: Final = 256
"""Rows changed on the connection between two checkpoints of its write-ahead log.

A changed row dirties a few pages; SQLite's own default checkpoints every
1,000 pages of log.
"""

_BUSY_CODES: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """Another connection holds a lock the statement needs (the statement had no effect)."""
    return exc.sqlite_errorcode & 0xFF in _BUSY_CODES  # extended codes keep the primary in the low byte


@dataclass(frozen=True)
class LoopAccess:
    """The connection as used from the event loop's thread by inline statements.

    ``conn`` is the very connection aiosqlite's thread uses (opened with
    ``check_same_thread=False``; the lock keeps the two threads from ever
    using it at once). ``busy_timeout_ms`` is how long statements on the
    worker thread wait for another process's lock.
    """

    conn: sqlite3.Connection
    busy_timeout_ms: int


async def connect(path: str, *, busy_timeout_seconds: float) -> tuple[aiosqlite.Connection, LoopAccess]:
    """Open ``path`` in autocommit mode; the aiosqlite connection and its :class:`LoopAccess`."""
    opened: list[sqlite3.Connection] = []

    def keep(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = sqlite3.Connection(*args, **kwargs)
        opened.append(conn)
        return conn

    conn = await aiosqlite.connect(
        path, isolation_level=None, timeout=busy_timeout_seconds, check_same_thread=False, factory=keep
    )
    return conn, LoopAccess(opened[0], round(busy_timeout_seconds * 1000))


class _Busy:
    """The statement found a lock taken and had no effect: run it on the worker thread."""


BUSY: Final = _Busy()


class Session:
    """Runs statements on the connection; obtained from :class:`Database` under its lock.

    An inline session runs each statement on the event loop's thread (see the
    module docstring); any other runs each on aiosqlite's thread.
    """

    def __init__(self, db: Database, *, inline: bool) -> None:
        self._db = db
        self._inline = inline

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Run ``sql`` and return all its rows (this also finishes writes with ``RETURNING``)."""
        if self._inline:
            rows = self._db.try_inline(_fetchall, sql, params)
            if not isinstance(rows, _Busy):
                return rows
        return list(await self._db.worker().execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Run ``sql`` and return its first row, or ``None``."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement without result rows; return how many rows it changed.

        On the worker thread, two round trips (the statement, closing its
        cursor); :meth:`run` takes one when the count is not needed.
        """
        if self._inline:
            count = self._db.try_inline(_rowcount, sql, params)
            if not isinstance(count, _Busy):
                return count
        async with self._db.worker().execute(sql, params) as cursor:
            return cursor.rowcount

    async def run(self, sql: str, params: Params = ()) -> None:
        """Run a statement without result rows (on the worker thread, one round trip)."""
        await self.fetchall(sql, params)

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        """Run ``sql`` once per parameter tuple."""
        rows = list(params)
        if self._inline and not isinstance(self._db.try_inline(_executemany, sql, rows), _Busy):
            return
        async with self._db.worker().executemany(sql, rows):
            pass

    async def commit(self) -> None:
        """End the transaction under way, keeping its changes."""
        if self._inline and not isinstance(self._db.try_inline(_commit, "", ()), _Busy):
            return
        await self._db.worker().commit()

    async def rollback(self) -> None:
        """End the transaction under way, if any, dropping its changes."""
        if self._inline and not isinstance(self._db.try_inline(_rollback, "", ()), _Busy):
            return
        await self._db.worker().rollback()


def _fetchall(conn: sqlite3.Connection, sql: str, params: Params) -> list[sqlite3.Row]:
    return conn.execute(sql, params).fetchall()


def _rowcount(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    cursor = conn.execute(sql, params)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def _executemany(conn: sqlite3.Connection, sql: str, params: list[Params]) -> None:
    conn.executemany(sql, params).close()


def _commit(conn: sqlite3.Connection, _sql: str, _params: Params) -> None:
    conn.commit()


def _rollback(conn: sqlite3.Connection, _sql: str, _params: Params) -> None:
    conn.rollback()


async def _let_others_run() -> None:
    """After inline statements: still a point where other tasks run, as a round trip to the thread is.

    After, not before: a task with a cancellation pending still runs its
    statement, as one already handed to the thread ran (a lease given back at
    shutdown, say), and the cancellation is raised here.
    """
    await asyncio.sleep(0)


class Database:
    """The shared connection, its lock and the storage clock.

    Without ``loop_access`` (a connection opened elsewhere, as some tests do)
    inline statements run on the worker thread like any other.
    """

    def __init__(
        self, conn: aiosqlite.Connection, clock: Clock, loop_access: LoopAccess | None = None
    ) -> None:
        self._conn = conn
        self._loop_access = loop_access
        self._waits = True  # the connection's busy_timeout is the configured one, not 0
        self._lock = asyncio.Lock()
        self._clock = clock
        self._threaded = Session(self, inline=False)
        self._direct = Session(self, inline=loop_access is not None)
        self._changes_at_checkpoint = 0
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._closed = False

    def now(self) -> datetime:
        """Return the storage clock's current time, in UTC."""
        return ensure_utc(self._clock())

    def worker(self) -> aiosqlite.Connection:
        """The connection on aiosqlite's thread, its busy timeout restored; only under the lock."""
        if not self._waits and not self._closed:
            self._set_busy_timeout(waits=True)
        return self._conn

    def _set_busy_timeout(self, *, waits: bool) -> None:
        access = self._loop_access
        assert access is not None  # only inline use ever sets it to 0
        # on the loop's thread while the worker is idle: a pragma costs microseconds
        access.conn.execute(f"PRAGMA busy_timeout = {access.busy_timeout_ms if waits else 0}").close()
        self._waits = waits

    def try_inline(
        self, statement: Callable[[sqlite3.Connection, str, Any], T], sql: str, params: Any
    ) -> T | _Busy:
        """Run ``statement`` on the loop's thread without waiting; :data:`BUSY` if a lock was taken.

        Only under the lock (a :class:`Session` calls it).
        """
        access = self._loop_access
        if access is None:
            return BUSY
        if self._closed:
            raise ValueError("Connection closed")  # as aiosqlite says it
        if self._waits:
            self._set_busy_timeout(waits=False)
        try:
            return statement(access.conn, sql, params)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                return BUSY
            raise

    def _maybe_checkpoint(self) -> None:
        """Start a checkpoint when enough rows changed since the last; only under the lock."""
        access = self._loop_access
        if access is None or self._checkpoint_task is not None or self._closed:
            return
        if access.conn.total_changes - self._changes_at_checkpoint >= CHECKPOINT_AFTER_CHANGES:
            self._changes_at_checkpoint = access.conn.total_changes
            self._checkpoint_task = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database on the worker thread, without waiting for anyone."""
        try:
            async with self._lock:
                if not self._closed:
                    await self.worker().execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            log.warning("could not checkpoint the write-ahead log; will try again", extra={"error": str(exc)})
        finally:
            self._checkpoint_task = None

    async def fetchall(self, sql: str, params: Params = (), *, inline: bool = False) -> list[sqlite3.Row]:
        """Run one statement (atomically) and return its rows; ``inline`` for a statement by key."""
        return await self._one(Session.fetchall, sql, params, inline)

    async def fetchone(self, sql: str, params: Params = (), *, inline: bool = False) -> sqlite3.Row | None:
        """Run one statement (atomically) and return its first row, or ``None``."""
        return await self._one(Session.fetchone, sql, params, inline)

    async def execute(self, sql: str, params: Params = (), *, inline: bool = False) -> int:
        """Run one statement (atomically); return how many rows it changed."""
        return await self._one(Session.execute, sql, params, inline)

    async def run(self, sql: str, params: Params = (), *, inline: bool = False) -> None:
        """Run one statement (atomically) whose changed rows are not counted."""
        await self._one(Session.run, sql, params, inline)

    async def _one(
        self,
        statement: Callable[[Session, str, Params], Awaitable[T]],
        sql: str,
        params: Params,
        inline: bool,
    ) -> T:
        """What :meth:`session` does for one statement, written out: it runs several times per
        update, and a generator-based context manager costs more than the lock."""
        async with self._lock:
            try:
                result = await statement(self._direct if inline else self._threaded, sql, params)
            finally:
                self._maybe_checkpoint()
        if inline:
            await _let_others_run()
        return result

    @asynccontextmanager
    async def session(self, *, inline: bool = False) -> AsyncIterator[Session]:
        """Hold the lock for several statements that need no transaction (each commits on its own)."""
        async with self._lock:
            try:
                yield self._direct if inline else self._threaded
            finally:
                self._maybe_checkpoint()
        if inline:
            await _let_others_run()

    @asynccontextmanager
    async def transaction(self, *, inline: bool = False) -> AsyncIterator[Session]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back if the block raises (or is cancelled)."""
        session = self._direct if inline else self._threaded
        async with self._lock:
            await session.run("BEGIN IMMEDIATE")
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                self._maybe_checkpoint()
        if inline:
            await _let_others_run()

    async def close(self) -> None:
        """Close the connection (waiting for statements already queued and a checkpoint under way)."""
        task = self._checkpoint_task
        if task is not None:
            await asyncio.shield(task)
        async with self._lock:
            self._closed = True
            await self._conn.close()
