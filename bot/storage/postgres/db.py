"""The asyncpg pool shared by all PostgreSQL repositories, and its error translation.

Every helper here runs in its own transaction on a connection borrowed from
the pool for that long: a single statement is a transaction by itself, and
:meth:`Database.transaction` spans several. The isolation level is
PostgreSQL's default, READ COMMITTED: each statement sees what was committed
before it began, which the repositories rely on to re-read a row another
replica has just inserted.

Driver failures leave this module as storage errors: an unreachable server,
a dropped connection, a closed pool or a timeout as
:class:`~bot.storage.errors.StorageUnavailableError`, anything else the
server refuses (a read-only transaction, a full disk) as its base
:class:`~bot.storage.errors.DatabaseServerError`. Messages name the server, never
the password.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.storage.clock import Clock
from bot.storage.codec import ensure_utc
from bot.storage.errors import DatabaseServerError, StorageError, StorageUnavailableError

Record = asyncpg.Record
if TYPE_CHECKING:
    Connection: TypeAlias = PoolConnectionProxy[Record]
else:  # not subscriptable at run time
    Connection = PoolConnectionProxy
"""A connection borrowed from the pool."""

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.InternalClientError,  # e.g. the server closed the connection while a statement began
)


def one_line(text: str) -> str:
    """``text`` on one line, cut to a readable length."""
    return " ".join(text.split())[:200]


@contextmanager
def translated_errors(where: str, secret: str | None = None) -> Iterator[None]:
    """Re-raise driver failures inside the block as storage errors naming ``where``.

    ``secret`` (the password) is removed from any message that might echo it.
    """

    def clean(text: str) -> str:
        text = one_line(text)
        return text.replace(secret, "***") if secret else text

    try:
        yield
    except StorageError:
        raise
    except asyncpg.PostgresError as exc:
        reason = clean(str(exc)) or type(exc).__name__
        if isinstance(exc, _UNAVAILABLE):
            raise StorageUnavailableError(f"PostgreSQL at {where} is unavailable: {reason}", reason) from None
        raise DatabaseServerError(f"PostgreSQL at {where} refused: {reason}", reason) from None
    except _UNAVAILABLE as exc:
        reason = clean(str(exc)) or type(exc).__name__
        raise StorageUnavailableError(f"PostgreSQL at {where} is unavailable: {reason}", reason) from None


def affected(status: str) -> int:
    """How many rows a command changed, from its status tag (``"UPDATE 3"`` -> 3)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class Database:
    """The pool, the server's printable name and the storage clock."""

    def __init__(self, pool: asyncpg.Pool[Record], clock: Clock, where: str, secret: str | None) -> None:
        self._pool = pool
        self._clock = clock
        self.where = where
        self._secret = secret

    def now(self) -> datetime:
        """Return the storage clock's current time, in UTC."""
        return ensure_utc(self._clock())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """Borrow a connection and run the block in one transaction (rolled back if it raises)."""
        with translated_errors(self.where, self._secret):
            async with self._pool.acquire() as conn, conn.transaction():
                yield conn

    # A single statement outside BEGIN is a transaction of its own: one round trip instead of three.

    async def fetch(self, sql: str, *args: Any) -> list[Record]:
        """Run one statement (its own transaction) and return its rows."""
        with translated_errors(self.where, self._secret):
            return await self._pool.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Record | None:
        """Run one statement (its own transaction) and return its first row, or ``None``."""
        with translated_errors(self.where, self._secret):
            return await self._pool.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """Run one statement (its own transaction) and return the first column of its first row."""
        with translated_errors(self.where, self._secret):
            return await self._pool.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement (its own transaction) without result rows; return how many rows it changed."""
        with translated_errors(self.where, self._secret):
            return affected(await self._pool.execute(sql, *args))

    async def close(self) -> None:
        """Close the pool, waiting for borrowed connections to come back."""
        await self._pool.close()
