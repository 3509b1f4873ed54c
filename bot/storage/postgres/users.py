"""PostgreSQL :class:`~bot.storage.interfaces.UserRepository`."""

from __future__ import annotations

from bot.storage.postgres.db import Database, Record
from bot.storage.records import User, UserRef

_UPSERT = """
INSERT INTO users (platform, user_id, chat_id, display_name, language, blocked, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, false, $6, $6)
ON CONFLICT (platform, user_id) DO UPDATE SET
    chat_id = COALESCE(excluded.chat_id, users.chat_id),
    display_name = COALESCE(excluded.display_name, users.display_name),
    language = COALESCE(users.language, excluded.language),
    updated_at = excluded.updated_at
RETURNING *
"""

_GET = "SELECT * FROM users WHERE platform = $1 AND user_id = $2"
_SET_LANGUAGE = "UPDATE users SET language = $3, updated_at = $4 WHERE platform = $1 AND user_id = $2"
_BLOCK = (
    "UPDATE users SET blocked = true, blocked_at = $3, updated_at = $3 WHERE platform = $1 AND user_id = $2"
)
_UNBLOCK = "UPDATE users SET blocked = false, updated_at = $3 WHERE platform = $1 AND user_id = $2"


def _user(row: Record) -> User:
    return User(
        platform=row["platform"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        display_name=row["display_name"],
        language=row["language"],
        blocked=bool(row["blocked"]),
        blocked_at=row["blocked_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class PostgresUsers:
    """Users in the ``users`` table (primary key: platform, user id)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user: UserRef) -> User | None:
        row = await self._db.fetchrow(_GET, user.platform, user.user_id)
        return None if row is None else _user(row)

    async def upsert(
        self,
        user: UserRef,
        *,
        chat_id: str | None = None,
        display_name: str | None = None,
        default_language: str | None = None,
    ) -> User:
        row = await self._db.fetchrow(
            _UPSERT, user.platform, user.user_id, chat_id, display_name, default_language, self._db.now()
        )
        assert row is not None
        return _user(row)

    async def set_language(self, user: UserRef, language: str) -> bool:
        changed = await self._db.execute(
            _SET_LANGUAGE,
            user.platform,
            user.user_id,
            language,
            self._db.now(),
        )
        return changed == 1

    async def mark_blocked(self, user: UserRef) -> bool:
        changed = await self._db.execute(
            _BLOCK,
            user.platform,
            user.user_id,
            self._db.now(),
        )
        return changed == 1

    async def mark_unblocked(self, user: UserRef) -> bool:
        changed = await self._db.execute(
            _UNBLOCK,
            user.platform,
            user.user_id,
            self._db.now(),
        )
        return changed == 1
