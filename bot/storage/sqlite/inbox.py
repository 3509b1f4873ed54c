"""SQLite :class:`~bot.storage.interfaces.InboxRepository`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from bot.storage.codec import decode_datetime, encode_datetime, ensure_utc
from bot.storage.records import InboxEntry
from bot.storage.sqlite.db import Database

_RECEIVE = """
INSERT INTO update_inbox (key, payload, received_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO NOTHING
RETURNING 1
"""

# One statement (so one round trip and one implicit transaction) for a whole batch: the entries
# come as one JSON array of [key, payload] pairs, inserted in their order, so of a key repeated in
# the batch the first is kept. ``WHERE true`` tells SQLite's parser that ON CONFLICT is the upsert
# clause, not part of a join.
_RECEIVE_MANY = """
INSERT INTO update_inbox (key, payload, received_at)
SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ? FROM json_each(?) WHERE true
ON CONFLICT (key) DO NOTHING
RETURNING 1
"""

# A new key is recorded with its first attempt; a finished one yields no row.
_BEGIN = """
INSERT INTO update_inbox (key, payload, attempts, received_at) VALUES (?, NULL, 1, ?)
ON CONFLICT (key) DO UPDATE SET attempts = update_inbox.attempts + 1
WHERE update_inbox.finished = 0
RETURNING attempts
"""


class SqliteInbox:
    """Kept updates in the ``update_inbox`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def receive(self, key: str, payload: str, now: datetime) -> bool:
        return bool(
            await self._db.fetchall(_RECEIVE, (key, payload, encode_datetime(ensure_utc(now))), inline=True)
        )

    async def receive_many(self, entries: Sequence[tuple[str, str]], now: datetime) -> int:
        if not entries:
            return 0
        pairs = json.dumps([[key, payload] for key, payload in entries])
        return len(
            await self._db.fetchall(_RECEIVE_MANY, (encode_datetime(ensure_utc(now)), pairs), inline=True)
        )

    async def begin(self, key: str, now: datetime) -> int | None:
        rows = await self._db.fetchall(_BEGIN, (key, encode_datetime(ensure_utc(now))), inline=True)
        return int(rows[0]["attempts"]) if rows else None

    async def finish(self, key: str) -> None:
        await self._db.run(
            "UPDATE update_inbox SET finished = 1, payload = NULL WHERE key = ?", (key,), inline=True
        )

    async def unfinished(self, prefix: str) -> list[InboxEntry]:
        rows = await self._db.fetchall(
            "SELECT key, payload, attempts, received_at FROM update_inbox"
            " WHERE finished = 0 AND substr(key, 1, ?) = ? ORDER BY received_at, key",
            (len(prefix), prefix),
        )
        return [
            InboxEntry(row["key"], row["payload"], int(row["attempts"]), decode_datetime(row["received_at"]))
            for row in rows
        ]

    async def take(self, key: str, received_at: datetime, now: datetime) -> bool:
        taken = await self._db.execute(
            "UPDATE update_inbox SET received_at = ? WHERE key = ? AND received_at = ? AND finished = 0",
            (encode_datetime(ensure_utc(now)), key, encode_datetime(ensure_utc(received_at))),
            inline=True,
        )
        return taken == 1

    async def purge(self, before: datetime) -> int:
        return await self._db.execute(
            "DELETE FROM update_inbox WHERE finished = 1 AND received_at <= ?",
            (encode_datetime(ensure_utc(before)),),
        )
