"""PostgreSQL :class:`~bot.storage.interfaces.InboxRepository`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.storage.codec import ensure_utc
from bot.storage.postgres.db import Database
from bot.storage.records import InboxEntry

_RECEIVE = """
INSERT INTO update_inbox (key, payload, received_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO NOTHING
"""

# One statement for a whole batch; of a key repeated in the batch the first entry is kept
# (DISTINCT ON by position), as receiving them one by one would.
_RECEIVE_MANY = """
INSERT INTO update_inbox (key, payload, received_at)
SELECT DISTINCT ON (k) k, p, $3::timestamptz FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(k, p, n)
ORDER BY k, n
ON CONFLICT (key) DO NOTHING
"""

# A new key is recorded with its first attempt; a finished one yields no row.
_BEGIN = """
INSERT INTO update_inbox (key, payload, attempts, received_at) VALUES ($1, NULL, 1, $2)
ON CONFLICT (key) DO UPDATE SET attempts = update_inbox.attempts + 1
WHERE NOT update_inbox.finished
RETURNING attempts
"""


class PostgresInbox:
    """Kept updates in the ``update_inbox`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def receive(self, key: str, payload: str, now: datetime) -> bool:
        return await self._db.execute(_RECEIVE, key, payload, ensure_utc(now)) == 1

    async def receive_many(self, entries: Sequence[tuple[str, str]], now: datetime) -> int:
        if not entries:
            return 0
        keys = [key for key, _ in entries]
        payloads = [payload for _, payload in entries]
        return await self._db.execute(_RECEIVE_MANY, keys, payloads, ensure_utc(now))

    async def begin(self, key: str, now: datetime) -> int | None:
        row = await self._db.fetchrow(_BEGIN, key, ensure_utc(now))
        return None if row is None else int(row["attempts"])

    async def finish(self, key: str) -> None:
        await self._db.execute("UPDATE update_inbox SET finished = true, payload = NULL WHERE key = $1", key)

    async def unfinished(self, prefix: str) -> list[InboxEntry]:
        rows = await self._db.fetch(
            "SELECT key, payload, attempts, received_at FROM update_inbox"
            ' WHERE NOT finished AND starts_with(key, $1) ORDER BY received_at, key COLLATE "C"',
            prefix,
        )
        return [
            InboxEntry(row["key"], row["payload"], int(row["attempts"]), row["received_at"]) for row in rows
        ]

    async def take(self, key: str, received_at: datetime, now: datetime) -> bool:
        taken = await self._db.execute(
            "UPDATE update_inbox SET received_at = $1 WHERE key = $2 AND received_at = $3 AND NOT finished",
            ensure_utc(now),
            key,
            ensure_utc(received_at),
        )
        return taken == 1

    async def purge(self, before: datetime) -> int:
        return await self._db.execute(
            "DELETE FROM update_inbox WHERE finished AND received_at <= $1", ensure_utc(before)
        )
