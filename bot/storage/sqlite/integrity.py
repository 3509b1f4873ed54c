"""Refusing a database file that cannot be trusted, before anything reads or writes it.

Each check raises :class:`~bot.storage.errors.UnusableDatabaseError` with one
line that says which file, what is wrong and what to do: the bot prints it as
it is and exits instead of running on a damaged store (where it could lose
track of orders already paid for).
"""

from __future__ import annotations

import os
import sqlite3

import aiosqlite

from bot.storage.errors import UnusableDatabaseError

QUICK_CHECK_MAX_PROBLEMS = 3
"""How many problems ``PRAGMA quick_check`` lists (the first one is enough to refuse)."""

_RECOVER = (
    "restore it from a backup, or salvage what is left with `sqlite3 {path} .recover | sqlite3 recovered.db`"
)


def one_line(text: str, limit: int = 200) -> str:
    """``text`` with its whitespace runs (newlines included) collapsed, cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def check_not_directory(path: str) -> None:
    """Refuse a ``path`` that names a directory."""
    if os.path.isdir(path):
        raise UnusableDatabaseError(
            f"the database path {path} is a directory, not a file; "
            f"name a file instead, e.g. {os.path.join(path, 'zadarma-bot.db')}"
        )


def _damage(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))


async def check_integrity(conn: aiosqlite.Connection, path: str) -> None:
    """Run ``PRAGMA quick_check`` on the open ``conn``; refuse the file unless it answers ``ok``.

    An empty (new) file passes. A driver error that is not about damage (a
    lock held too long, say) propagates unchanged.
    """
    try:
        rows = list(await conn.execute_fetchall(f"PRAGMA quick_check({QUICK_CHECK_MAX_PROBLEMS})"))
    except sqlite3.DatabaseError as exc:
        if not _damage(exc):
            raise
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
            raise UnusableDatabaseError(
                f"{path} is not an SQLite database ({one_line(str(exc))}); "
                "point the bot at its own database file, or move this file away to start a new one"
            ) from exc
        problem = str(exc)
    else:
        problems = [str(row[0]) for row in rows]
        if problems == ["ok"]:
            return
        problem = "; ".join(problems)
    raise UnusableDatabaseError(
        f"the database {path} is damaged (quick_check: {one_line(problem, 120)}); "
        + _RECOVER.format(path=path)
    )
