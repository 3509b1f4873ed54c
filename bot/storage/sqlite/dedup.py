"""SQLite :class:`~bot.storage.interfaces.DedupRepository`."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage.codec import encode_datetime, ensure_utc
from bot.storage.sqlite.db import Database
from bot.storage.validation import check_ttl

# Inserts a new key, or revives an expired one; RETURNING yields a row only then.
_SEEN = """
INSERT INTO dedup_keys (key, expires_at) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
WHERE dedup_keys.expires_at <= ?
RETURNING 1
"""


class SqliteDedup:
    """Remembered keys in the ``dedup_keys`` table, indexed by expiry."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def seen_once(self, key: str, now: datetime, ttl_seconds: float) -> bool:
        now = ensure_utc(now)
        expires_at = now + timedelta(seconds=check_ttl(ttl_seconds))
        rows = await self._db.fetchall(
            _SEEN, (key, encode_datetime(expires_at), encode_datetime(now)), inline=True
        )
        return bool(rows)

    async def purge(self, before: datetime) -> int:
        return await self._db.execute(
            "DELETE FROM dedup_keys WHERE expires_at <= ?", (encode_datetime(before),)
        )
