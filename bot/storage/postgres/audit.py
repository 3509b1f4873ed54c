"""PostgreSQL :class:`~bot.storage.interfaces.AuditLog`."""

from __future__ import annotations

import builtins

from bot.storage.codec import decode_json_object, encode_json_object
from bot.storage.postgres.db import Database, Record
from bot.storage.records import AuditEntry, JsonObject
from bot.storage.validation import check_limit


def _entry(row: Record) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        details=decode_json_object(row["details"]),
        result=row["result"],
    )


class PostgresAudit:
    """The append-only ``audit_log`` table; ``id`` (an identity column) orders entries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, actor: str, action: str, target: str, details: JsonObject, result: str) -> None:
        await self._db.execute(
            "INSERT INTO audit_log (at, actor, action, target, details, result) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            self._db.now(),
            actor,
            action,
            target,
            encode_json_object(details),
            result,
        )

    async def list(self, target: str | None = None, limit: int = 50) -> builtins.list[AuditEntry]:
        check_limit(limit)
        if target is None:
            rows = await self._db.fetch("SELECT * FROM audit_log ORDER BY id DESC LIMIT $1", limit)
        else:
            rows = await self._db.fetch(
                "SELECT * FROM audit_log WHERE target = $1 ORDER BY id DESC LIMIT $2", target, limit
            )
        return [_entry(row) for row in rows]
