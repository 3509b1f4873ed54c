"""PostgreSQL :class:`~bot.storage.interfaces.IntentRepository`.

The intent key is the table's primary key, so a key is created once however
many replicas try at the same moment: ``INSERT ... ON CONFLICT DO NOTHING``
makes the losers wait for the winner's commit and insert nothing, and they
then read and return the winner's intent. A partial unique index keeps one
active intent per target. Every transition is one ``UPDATE ... WHERE status
= ANY(...)``, a compare-and-set the server serialises on the row's lock.
"""

from __future__ import annotations

from datetime import datetime

from bot.storage.codec import decode_json_object, encode_json_object, ensure_utc
from bot.storage.errors import NotFoundError, StorageError, TargetBusyError
from bot.storage.postgres.db import Connection, Database, Record
from bot.storage.records import Intent, IntentKind, IntentParams, IntentStatus, JsonObject, UserRef
from bot.storage.validation import check_intent_kind

# No conflict target: a taken key and a busy target both insert nothing; the caller tells them apart.
_CREATE = """
INSERT INTO intents
    (key, kind, owner_platform, owner_user_id, params, status, attempts, created_at, updated_at, target)
VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $7)
ON CONFLICT DO NOTHING
RETURNING *
"""

_TRANSITION = """
UPDATE intents
SET status = $1, result = $2, error = $3, attempts = attempts + $4, updated_at = $5
WHERE key = $6 AND status = ANY($7::text[])
"""

_ACTIVE_FOR_TARGET = (
    "SELECT * FROM intents WHERE target = $1 AND status IN ('pending', 'sending', 'unknown') LIMIT 1"
)

# A holder settling between the insert and the look-up leaves neither a key nor a holder; try again.
_CREATE_TRIES = 5


def _intent(row: Record) -> Intent:
    return Intent(
        key=row["key"],
        kind=IntentKind(row["kind"]),
        owner=UserRef(row["owner_platform"], row["owner_user_id"]),
        params=decode_json_object(row["params"]),
        status=IntentStatus(row["status"]),
        result=None if row["result"] is None else decode_json_object(row["result"]),
        error=row["error"],
        attempts=int(row["attempts"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        target=row["target"],
    )


class PostgresIntents:
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
        values = (idempotency_key, kind.value, owner.platform, owner.user_id, encoded, self._db.now(), target)
        for _ in range(_CREATE_TRIES):
            async with self._db.transaction() as conn:
                existing = await self._find(conn, idempotency_key)
                if existing is not None:
                    return existing, False
                row = await conn.fetchrow(_CREATE, *values)
                if row is not None:
                    return _intent(row), True
                # READ COMMITTED: these see what the conflicting transaction committed
                existing = await self._find(conn, idempotency_key)
                if existing is not None:
                    return existing, False
                holder = None if target is None else await conn.fetchrow(_ACTIVE_FOR_TARGET, target)
            if holder is not None:
                raise TargetBusyError(str(target), holder["key"])
        raise StorageError(f"intent {idempotency_key!r} could not be created: its target kept changing hands")

    @staticmethod
    async def _find(conn: Connection, key: str) -> Intent | None:
        row = await conn.fetchrow("SELECT * FROM intents WHERE key = $1", key)
        return None if row is None else _intent(row)

    async def get(self, idempotency_key: str) -> Intent | None:
        row = await self._db.fetchrow("SELECT * FROM intents WHERE key = $1", idempotency_key)
        return None if row is None else _intent(row)

    async def active_for_target(self, target: str) -> Intent | None:
        row = await self._db.fetchrow(_ACTIVE_FOR_TARGET, target)
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
        async with self._db.transaction() as conn:
            changed = await conn.execute(
                _TRANSITION,
                status.value,
                result,
                error,
                1 if count_attempt else 0,
                self._db.now(),
                key,
                [s.value for s in allowed],
            )
            if changed.endswith(" 1"):
                return True
            if await conn.fetchval("SELECT 1 FROM intents WHERE key = $1", key) is None:
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
        rows = await self._db.fetch(
            "SELECT * FROM intents WHERE updated_at >= $1 "
            "AND status IN ('succeeded', 'failed', 'contested') ORDER BY updated_at, seq",
            ensure_utc(since),
        )
        return [_intent(row) for row in rows]

    async def list_by_status(self, status: IntentStatus) -> list[Intent]:
        rows = await self._db.fetch(
            "SELECT * FROM intents WHERE status = $1 ORDER BY created_at, seq", IntentStatus(status).value
        )
        return [_intent(row) for row in rows]

    async def list_for_owner(self, owner: UserRef) -> list[Intent]:
        rows = await self._db.fetch(
            "SELECT * FROM intents WHERE owner_platform = $1 AND owner_user_id = $2 "
            "ORDER BY created_at DESC, seq DESC",
            owner.platform,
            owner.user_id,
        )
        return [_intent(row) for row in rows]

    async def count_by_status(self) -> dict[IntentStatus, int]:
        rows = await self._db.fetch("SELECT status, COUNT(*) AS n FROM intents GROUP BY status")
        return {IntentStatus(row["status"]): int(row["n"]) for row in rows}
