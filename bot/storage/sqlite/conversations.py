"""SQLite :class:`~bot.storage.interfaces.ConversationRepository`."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.storage.codec import decode_datetime, encode_datetime
from bot.storage.errors import StaleRevisionError
from bot.storage.records import ConversationKey, StoredConversation
from bot.storage.sealing import PREFIX as SEALED_PREFIX
from bot.storage.sqlite.db import Database
from bot.storage.validation import check_revision

_GET = (
    "SELECT data, revision, updated_at FROM conversations WHERE platform = ? AND chat_id = ? AND user_id = ?"
)
_REVISION = "SELECT revision FROM conversations WHERE platform = ? AND chat_id = ? AND user_id = ?"
_DELETE = "DELETE FROM conversations WHERE platform = ? AND chat_id = ? AND user_id = ? RETURNING 1"

_UPSERT = """
INSERT INTO conversations (platform, chat_id, user_id, data, revision, updated_at)
VALUES (?, ?, ?, ?, 1, ?)
ON CONFLICT (platform, chat_id, user_id) DO UPDATE SET
    data = excluded.data, revision = conversations.revision + 1, updated_at = excluded.updated_at
RETURNING revision
"""

_CREATE = """
INSERT INTO conversations (platform, chat_id, user_id, data, revision, updated_at)
VALUES (?, ?, ?, ?, 1, ?)
ON CONFLICT (platform, chat_id, user_id) DO NOTHING
RETURNING revision
"""

_UPDATE_IF_REVISION = """
UPDATE conversations SET data = ?, revision = revision + 1, updated_at = ?
WHERE platform = ? AND chat_id = ? AND user_id = ? AND revision = ?
RETURNING revision
"""


_NOT_SEALED_WITH = "SELECT platform, chat_id, user_id, data FROM conversations WHERE substr(data, 1, ?) <> ?"
_REPLACE_DATA = """
UPDATE conversations SET data = ? WHERE platform = ? AND chat_id = ? AND user_id = ? AND data = ?
"""


def _params(key: ConversationKey) -> tuple[str, str, str]:
    return (key.platform, key.chat_id, key.user_id)


def _conversation(key: ConversationKey, row: sqlite3.Row) -> StoredConversation:
    return StoredConversation(key, row["data"], row["revision"], decode_datetime(row["updated_at"]))


class SqliteConversations:
    """Conversations in the ``conversations`` table (primary key: platform, chat, user)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: ConversationKey) -> StoredConversation | None:
        row = await self._db.fetchone(_GET, _params(key), inline=True)
        return None if row is None else _conversation(key, row)

    async def save(self, key: ConversationKey, data: str, expected_revision: int | None) -> int:
        check_revision(expected_revision)
        now = encode_datetime(self._db.now())
        async with self._db.session(inline=True) as s:
            if expected_revision is None:
                row = await s.fetchone(_UPSERT, (*_params(key), data, now))
            elif expected_revision == 0:
                row = await s.fetchone(_CREATE, (*_params(key), data, now))
            else:
                row = await s.fetchone(_UPDATE_IF_REVISION, (data, now, *_params(key), expected_revision))
            if row is not None:
                return int(row["revision"])
            current = await s.fetchone(_REVISION, _params(key))
        actual = 0 if current is None else int(current["revision"])
        assert expected_revision is not None  # an unconditional upsert always returns a row
        raise StaleRevisionError(key, expected_revision, actual)

    async def delete(self, key: ConversationKey) -> bool:
        rows = await self._db.fetchall(_DELETE, _params(key), inline=True)
        return bool(rows)

    async def rows_not_sealed_with(self, kid: str) -> Sequence[tuple[ConversationKey, str]]:
        """Every (key, stored data) whose data does not start with the sealing prefix of key ``kid``."""
        prefix = f"{SEALED_PREFIX}{kid}:"
        rows = await self._db.fetchall(_NOT_SEALED_WITH, (len(prefix), prefix))
        return [(ConversationKey(r["platform"], r["chat_id"], r["user_id"]), r["data"]) for r in rows]

    async def replace_data(self, key: ConversationKey, old: str, new: str) -> bool:
        """Rewrite the data of one row if it still is ``old``, keeping its revision (re-encryption)."""
        return await self._db.execute(_REPLACE_DATA, (new, *_params(key), old)) == 1

    async def count(self) -> int:
        row = await self._db.fetchone("SELECT COUNT(*) AS n FROM conversations")
        assert row is not None
        return int(row["n"])
