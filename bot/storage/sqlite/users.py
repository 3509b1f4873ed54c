"""SQLite :class:`~bot.storage.interfaces.UserRepository`."""

from __future__ import annotations

import sqlite3

from bot.storage.codec import decode_datetime, decode_optional_datetime, encode_datetime
from bot.storage.records import User, UserRef
from bot.storage.sqlite.db import Database

_UPSERT = """
INSERT INTO users (platform, user_id, chat_id, display_name, language, blocked, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, 0, ?, ?)
ON CONFLICT (platform, user_id) DO UPDATE SET
    chat_id = COALESCE(excluded.chat_id, users.chat_id),
    display_name = COALESCE(excluded.display_name, users.display_name),
    language = COALESCE(users.language, excluded.language),
    updated_at = excluded.updated_at
RETURNING *
"""


def _user(row: sqlite3.Row) -> User:
    return User(
        platform=row["platform"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        display_name=row["display_name"],
        language=row["language"],
        blocked=bool(row["blocked"]),
        blocked_at=decode_optional_datetime(row["blocked_at"]),
        created_at=decode_datetime(row["created_at"]),
        updated_at=decode_datetime(row["updated_at"]),
    )


class SqliteUsers:
    """Users in the ``users`` table (primary key: platform, user id)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user: UserRef) -> User | None:
        row = await self._db.fetchone(
            "SELECT * FROM users WHERE platform = ? AND user_id = ?",
            (user.platform, user.user_id),
            inline=True,
        )
        return None if row is None else _user(row)

    async def upsert(
        self,
        user: UserRef,
        *,
        chat_id: str | None = None,
        display_name: str | None = None,
        default_language: str | None = None,
    ) -> User:
        now = encode_datetime(self._db.now())
        row = await self._db.fetchone(
            _UPSERT,
            (user.platform, user.user_id, chat_id, display_name, default_language, now, now),
            inline=True,
        )
        assert row is not None
        return _user(row)

    async def set_language(self, user: UserRef, language: str) -> bool:
        rows = await self._db.fetchall(
            "UPDATE users SET language = ?, updated_at = ? WHERE platform = ? AND user_id = ? RETURNING 1",
            (language, encode_datetime(self._db.now()), user.platform, user.user_id),
            inline=True,
        )
        return bool(rows)

    async def mark_blocked(self, user: UserRef) -> bool:
        now = encode_datetime(self._db.now())
        rows = await self._db.fetchall(
            "UPDATE users SET blocked = 1, blocked_at = ?, updated_at = ? "
            "WHERE platform = ? AND user_id = ? RETURNING 1",
            (now, now, user.platform, user.user_id),
            inline=True,
        )
        return bool(rows)

    async def mark_unblocked(self, user: UserRef) -> bool:
        rows = await self._db.fetchall(
            "UPDATE users SET blocked = 0, updated_at = ? WHERE platform = ? AND user_id = ? RETURNING 1",
            (encode_datetime(self._db.now()), user.platform, user.user_id),
            inline=True,
        )
        return bool(rows)
