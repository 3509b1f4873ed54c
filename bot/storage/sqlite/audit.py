"""SQLite :class:`~bot.storage.interfaces.AuditLog`."""

from __future__ import annotations

import builtins
import sqlite3

from bot.storage.codec import decode_datetime, decode_json_object, encode_datetime, encode_json_object
from bot.storage.records import AuditEntry, JsonObject
from bot.storage.sqlite.db import Database
from bot.storage.validation import check_limit


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=decode_datetime(row["at"]),
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        details=decode_json_object(row["details"]),
        result=row["result"],
    )


class SqliteAudit:
    """The append-only ``audit_log`` table; ``id`` orders entries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, actor: str, action: str, target: str, details: JsonObject, result: str) -> None:
        await self._db.run(  # one row: inline, as every statement of an update's own work
            "INSERT INTO audit_log (at, actor, action, target, details, result) VALUES (?, ?, ?, ?, ?, ?)",
            (encode_datetime(self._db.now()), actor, action, target, encode_json_object(details), result),
            inline=True,
        )

    async def list(self, target: str | None = None, limit: int = 50) -> builtins.list[AuditEntry]:
        check_limit(limit)
        if target is None:
            rows = await self._db.fetchall("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = await self._db.fetchall(
                "SELECT * FROM audit_log WHERE target = ? ORDER BY id DESC LIMIT ?", (target, limit)
            )
        return [_entry(row) for row in rows]
