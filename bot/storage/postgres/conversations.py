"""PostgreSQL :class:`~bot.storage.interfaces.ConversationRepository`.

Each save is one statement whose ``WHERE``/``ON CONFLICT`` carries the
revision check, so two replicas saving against the same revision cannot both
succeed: the second waits for the first's row lock, re-checks and matches
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage.errors import StaleRevisionError
from bot.storage.postgres.db import Database, Record
from bot.storage.records import ConversationKey, StoredConversation
from bot.storage.sealing import PREFIX as SEALED_PREFIX
from bot.storage.validation import check_revision

_GET = """
SELECT data, revision, updated_at FROM conversations WHERE platform = $1 AND chat_id = $2 AND user_id = $3
"""
_REVISION = "SELECT revision FROM conversations WHERE platform = $1 AND chat_id = $2 AND user_id = $3"
_DELETE = "DELETE FROM conversations WHERE platform = $1 AND chat_id = $2 AND user_id = $3"
_REPLACE_DATA = (
    "UPDATE conversations SET data = $4 WHERE platform = $1 AND chat_id = $2 AND user_id = $3 AND data = $5"
)

# Saves commit asynchronously (``synchronous_commit`` off for their own transaction only), as
# durable as SQLite's ``synchronous=NORMAL``: a server crash may lose the last fraction of a
# second of saves, never half of one. Reading the setting inside the statement keeps it one
# round trip (the FROM clause below). Intents, alerts, the inbox and the rest commit synchronously.
_UPSERT = """
INSERT INTO conversations (platform, chat_id, user_id, data, revision, updated_at)
SELECT $1, $2, $3, $4, 1, $5 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
ON CONFLICT (platform, chat_id, user_id) DO UPDATE SET
    data = excluded.data, revision = conversations.revision + 1, updated_at = excluded.updated_at
RETURNING revision
"""

_CREATE = """
INSERT INTO conversations (platform, chat_id, user_id, data, revision, updated_at)
SELECT $1, $2, $3, $4, 1, $5 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
ON CONFLICT (platform, chat_id, user_id) DO NOTHING
RETURNING revision
"""

_UPDATE_IF_REVISION = """
UPDATE conversations SET data = $4, revision = revision + 1, updated_at = $5
FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
WHERE platform = $1 AND chat_id = $2 AND user_id = $3 AND revision = $6
RETURNING revision
"""


def _params(key: ConversationKey) -> tuple[str, str, str]:
    return (key.platform, key.chat_id, key.user_id)


def _conversation(key: ConversationKey, row: Record) -> StoredConversation:
    return StoredConversation(key, row["data"], int(row["revision"]), row["updated_at"])


class PostgresConversations:
    """Conversations in the ``conversations`` table (primary key: platform, chat, user)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: ConversationKey) -> StoredConversation | None:
        row = await self._db.fetchrow(_GET, *_params(key))
        return None if row is None else _conversation(key, row)

    async def save(self, key: ConversationKey, data: str, expected_revision: int | None) -> int:
        check_revision(expected_revision)
        now = self._db.now()
        if expected_revision is None:
            revision = await self._db.fetchval(_UPSERT, *_params(key), data, now)
        elif expected_revision == 0:
            revision = await self._db.fetchval(_CREATE, *_params(key), data, now)
        else:
            revision = await self._db.fetchval(
                _UPDATE_IF_REVISION, *_params(key), data, now, expected_revision
            )
        if revision is not None:
            return int(revision)
        # Only for the error's message: the save above already failed, atomically.
        current = await self._db.fetchval(_REVISION, *_params(key))
        assert expected_revision is not None  # an unconditional upsert always returns a row
        raise StaleRevisionError(key, expected_revision, 0 if current is None else int(current))

    async def delete(self, key: ConversationKey) -> bool:
        return await self._db.execute(_DELETE, *_params(key)) == 1

    async def rows_not_sealed_with(self, kid: str) -> Sequence[tuple[ConversationKey, str]]:
        """Every (key, stored data) whose data does not start with the sealing prefix of key ``kid``."""
        rows = await self._db.fetch(
            "SELECT platform, chat_id, user_id, data FROM conversations WHERE NOT starts_with(data, $1)",
            f"{SEALED_PREFIX}{kid}:",
        )
        return [(ConversationKey(r["platform"], r["chat_id"], r["user_id"]), r["data"]) for r in rows]

    async def replace_data(self, key: ConversationKey, old: str, new: str) -> bool:
        """Rewrite the data of one row if it still is ``old``, keeping its revision (re-encryption)."""
        return await self._db.execute(_REPLACE_DATA, *_params(key), new, old) == 1

    async def count(self) -> int:
        row = await self._db.fetchrow("SELECT count(*) AS n FROM conversations")
        assert row is not None
        return int(row["n"])
