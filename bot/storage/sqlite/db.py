"""One aiosqlite connection shared by all SQLite repositories.

aiosqlite runs statements one at a time on its own thread, but a transaction
spans several awaits, and any other task's statement issued in between would
land inside it (and be rolled back with it, or read its uncommitted rows).
So every use of the connection goes through one ``asyncio.Lock``: a single
statement holds it for one round trip, a transaction for its whole length.
Across processes SQLite's own locking applies: ``busy_timeout`` makes a writer
wait for another, and transactions start with ``BEGIN IMMEDIATE`` so they
take the write lock up front instead of failing on upgrade.

The connection is in autocommit mode (``isolation_level=None``): a statement
outside :meth:`Database.transaction` commits on its own.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.clock import Clock
from bot.storage.codec import ensure_utc

Params = Sequence[Any]


class Session:
    """Runs statements on the connection; obtained from :class:`Database` under its lock."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Run ``sql`` and return all its rows (this also finishes writes with ``RETURNING``)."""
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Run ``sql`` and return its first row, or ``None``."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement without result rows; return how many rows it changed.

        Two round trips to the connection's thread (the statement, closing its cursor);
        :meth:`run` takes one when the count is not needed.
        """
        async with self._conn.execute(sql, params) as cursor:
            return cursor.rowcount

    async def run(self, sql: str, params: Params = ()) -> None:
        """Run a statement without result rows, in one round trip to the connection's thread."""
        await self._conn.execute_fetchall(sql, params)

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        """Run ``sql`` once per parameter tuple."""
        async with self._conn.executemany(sql, params):
            pass


class Database:
    """The shared connection, its lock and the storage clock."""

    def __init__(self, conn: aiosqlite.Connection, clock: Clock) -> None:
        self._conn = conn
        self._session = Session(conn)
        self._lock = asyncio.Lock()
        self._clock = clock

    def now(self) -> datetime:
        """Return the storage clock's current time, in UTC."""
        return ensure_utc(self._clock())

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Run one statement (atomically) and return its rows."""
        async with self._lock:
            return await self._session.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Run one statement (atomically) and return its first row, or ``None``."""
        async with self._lock:
            return await self._session.fetchone(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement (atomically); return how many rows it changed."""
        async with self._lock:
            return await self._session.execute(sql, params)

    async def run(self, sql: str, params: Params = ()) -> None:
        """Run one statement (atomically) whose changed rows are not counted: one round trip."""
        async with self._lock:
            await self._session.run(sql, params)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        """Hold the lock for several statements that need no transaction (each commits on its own)."""
        async with self._lock:
            yield self._session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back if the block raises (or is cancelled)."""
        async with self._lock:
            await self._session.run("BEGIN IMMEDIATE")
            try:
                yield self._session
                await self._conn.commit()
            except BaseException:
                await self._conn.rollback()
                raise

    async def close(self) -> None:
        """Close the connection (waiting for statements already queued)."""
        async with self._lock:
            await self._conn.close()
