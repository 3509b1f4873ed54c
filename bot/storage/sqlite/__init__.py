"""The SQLite (aiosqlite) implementation of the storage repositories.

One module per repository; :mod:`.db` holds the shared connection and its
lock, :mod:`.storage` the :class:`SqliteStorage` that wires them together.
"""

from __future__ import annotations

from bot.storage.sqlite.storage import DEFAULT_BUSY_TIMEOUT_SECONDS, SqliteStorage

__all__ = ["DEFAULT_BUSY_TIMEOUT_SECONDS", "SqliteStorage"]
