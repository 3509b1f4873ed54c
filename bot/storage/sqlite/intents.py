"""SQLite :class:`~bot.storage.interfaces.IntentRepository`.

Creation is one ``INSERT ... ON CONFLICT DO NOTHING`` and every transition one
``UPDATE ... WHERE status IN (...)``: SQLite runs each atomically, also
against other processes, so no read-then-write window exists. A partial
unique index keeps one active intent per target.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.storage.codec import decode_datetime, decode_json_object, encode_datetime, encode_json_object
from bot.storage.errors import NotFoundError, TargetBusyError
from bot.storage.records import Intent, IntentKind, IntentParams, IntentStatus, JsonObject, UserRef
from bot.storage.sqlite.db import Database
from bot.storage.validation import check_intent_kind

_CREATE = """
INSERT INTO intents
    (key, kind, owner_platform, owner_user_id, params, status, attempts, created_at, updated_at, target)
VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
ON CONFLICT (key) DO NOTHING
RETURNING *
"""

_TRANSITION = """
UPDATE intents
SET status = ?, result = ?, error = ?, attempts = attempts + ?, updated_at = ?
WHERE key = ? AND status IN (SELECT value FROM json_each(?))
RETURNING 1
"""


_ACTIVE_FOR_TARGET = (
    "SELECT * FROM intents WHERE target = ? AND status IN ('pending', 'sending', 'unknown') LIMIT 1"
)


def _intent(row: sqlite3.Row) -> Intent:
    return Intent(
        key=row["key"],
        kind=IntentKind(row["kind"]),
        owner=UserRef(row["owner_platform"], row["owner_user_id"]),
        params=decode_json_object(row["params"]),
        status=IntentStatus(row["status"]),
        result=None if row["result"] is None else decode_json_object(row["result"]),
        error=row["error"],
        attempts=row["attempts"],
        created_at=decode_datetime(row["created_at"]),
        updated_at=decode_datetime(row["updated_at"]),
        target=row["target"],
    )


class SqliteIntents:
    """Intents in the ``intents`` table, indexed by status and by owner."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        idempotency_key: str,
        kind: IntentKind,
        owner: UserRef,
        params: IntentParams,
        *,
        target: str | None = None,
    ) -> tuple[Intent, bool]:
        kind = check_intent_kind(kind)
        encoded = encode_json_object(params)
        now = encode_datetime(self._db.now())
        values = (idempotency_key, kind.value, owner.platform, owner.user_id, encoded, now, now, target)
        async with self._db.session(inline=True) as s:
            existing = await s.fetchone("SELECT * FROM intents WHERE key = ?", (idempotency_key,))
            if existing is not None:
                return _intent(existing), False
            try:
                row = await s.fetchone(_CREATE, values)
            except sqlite3.IntegrityError:
                holder = await s.fetchone(_ACTIVE_FOR_TARGET, (target,))
                if holder is None:  # the holder settled meanwhile: this is a different failure
                    raise
                raise TargetBusyError(str(target), holder["key"]) from None
            if row is not None:
                return _intent(row), True
            existing = await s.fetchone("SELECT * FROM intents WHERE key = ?", (idempotency_key,))
        assert existing is not None  # created by another process just now; intents are never deleted
        return _intent(existing), False

    async def get(self, idempotency_key: str) -> Intent | None:
        row = await self._db.fetchone("SELECT * FROM intents WHERE key = ?", (idempotency_key,), inline=True)
        return None if row is None else _intent(row)

    async def active_for_target(self, target: str) -> Intent | None:
        row = await self._db.fetchone(_ACTIVE_FOR_TARGET, (target,), inline=True)
        return None if row is None else _intent(row)

    async def _transition(
        self,
        key: str,
        allowed: tuple[IntentStatus, ...],
        status: IntentStatus,
        *,
        result: str | None = None,
        error: str | None = None,
        count_attempt: bool = False,
    ) -> bool:
        params = (
            status.value,
            result,
            error,
            1 if count_attempt else 0,
            encode_datetime(self._db.now()),
            key,
            json.dumps([s.value for s in allowed]),
        )
        async with self._db.session(inline=True) as s:
            if await s.fetchall(_TRANSITION, params):
                return True
            if await s.fetchone("SELECT 1 FROM intents WHERE key = ?", (key,)) is None:
                raise NotFoundError(f"no intent with key {key!r}")
        return False

    async def mark_sending(self, idempotency_key: str) -> bool:
        return await self._transition(
            idempotency_key, (IntentStatus.PENDING,), IntentStatus.SENDING, count_attempt=True
        )

    async def mark_succeeded(self, idempotency_key: str, result: JsonObject) -> bool:
        return await self._transition(
            idempotency_key,
            (IntentStatus.SENDING, IntentStatus.UNKNOWN),
            IntentStatus.SUCCEEDED,
            result=encode_json_object(result),
        )

    async def mark_failed(self, idempotency_key: str, error: str) -> bool:
        return await self._transition(
            idempotency_key,
            (IntentStatus.PENDING, IntentStatus.SENDING, IntentStatus.UNKNOWN),
            IntentStatus.FAILED,
            error=error,
        )

    async def mark_unknown(self, idempotency_key: str, error: str) -> bool:
        return await self._transition(
            idempotency_key, (IntentStatus.SENDING,), IntentStatus.UNKNOWN, error=error
        )

    async def mark_contested(self, idempotency_key: str, error: str) -> bool:
        return await self._transition(
            idempotency_key,
            (IntentStatus.SENDING, IntentStatus.UNKNOWN),
            IntentStatus.CONTESTED,
            error=error,
        )

    async def list_settled_since(self, since: datetime) -> list[Intent]:
        rows = await self._db.fetchall(
            "SELECT * FROM intents WHERE updated_at >= ? "
            "AND status IN ('succeeded', 'failed', 'contested') ORDER BY updated_at, rowid",
            (encode_datetime(since),),
        )
        return [_intent(row) for row in rows]

    async def list_by_status(self, status: IntentStatus) -> list[Intent]:
        rows = await self._db.fetchall(
            "SELECT * FROM intents WHERE status = ? ORDER BY created_at, rowid", (IntentStatus(status).value,)
        )
        return [_intent(row) for row in rows]

    async def list_for_owner(self, owner: UserRef) -> list[Intent]:
        rows = await self._db.fetchall(
            "SELECT * FROM intents WHERE owner_platform = ? AND owner_user_id = ? "
            "ORDER BY created_at DESC, rowid DESC",
            (owner.platform, owner.user_id),
        )
        return [_intent(row) for row in rows]

    async def count_by_status(self) -> dict[IntentStatus, int]:
        rows = await self._db.fetchall("SELECT status, COUNT(*) AS n FROM intents GROUP BY status", ())
        return {IntentStatus(row["status"]): int(row["n"]) for row in rows}
