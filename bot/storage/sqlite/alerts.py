"""SQLite :class:`~bot.storage.interfaces.AlertRepository`, with snapshots and leases.

A claim inserts the alert and its deliveries in one ``BEGIN IMMEDIATE``
transaction; the alert's primary key makes a second claim a no-op. A batch
claim reads which of a chunk's keys exist and inserts the others in one such
transaction: it holds SQLite's write lock, so no writer comes in between.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.storage.codec import (
    decode_datetime,
    decode_json_object,
    decode_optional_datetime,
    encode_datetime,
    encode_json_object,
    encode_optional_datetime,
)
from bot.storage.errors import NotFoundError
from bot.storage.records import (
    Alert,
    AlertClaim,
    Delivery,
    DeliveryBacklog,
    DeliveryStatus,
    JsonObject,
)
from bot.storage.sqlite.db import Database
from bot.storage.validation import check_limit, check_ttl, claim_chunks

_SELECT_DELIVERIES = """
SELECT a.key, a.kind, a.number, a.payload, a.created_at,
       d.destination, d.status, d.attempts, d.last_error, d.next_attempt_at, d.updated_at
FROM alert_deliveries AS d JOIN alerts AS a ON a.key = d.alert_key
"""

# The status condition repeats the partial index's WHERE clause, so the index is used.
_DUE = (
    _SELECT_DELIVERIES
    + """
WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= ?
ORDER BY d.next_attempt_at, d.rowid
LIMIT ?
"""
)

# Given-up deliveries (failed, no next attempt) are not waiting; the condition matches the partial index.
_BACKLOG = """
SELECT COUNT(*) AS waiting, MIN(CASE WHEN next_attempt_at <= ? THEN next_attempt_at END) AS oldest
FROM alert_deliveries
WHERE status IN ('pending', 'failed') AND next_attempt_at IS NOT NULL
"""

_CLAIMED_BEFORE = "SELECT key FROM alerts WHERE key IN (SELECT value FROM json_each(?))"

# No ON CONFLICT: a key found claimed here is a bug, to fail loudly rather than add deliveries.
_INSERT_ALERT = "INSERT INTO alerts (key, kind, number, payload, created_at) VALUES (?, ?, ?, ?, ?)"

_INSERT_DELIVERY = """
INSERT INTO alert_deliveries (alert_key, destination, status, attempts, next_attempt_at, updated_at)
VALUES (?, ?, 'pending', 0, ?, ?)
"""

_OF_ALERT = _SELECT_DELIVERIES + "WHERE d.alert_key = ? ORDER BY d.rowid"

_FINISH_ATTEMPT = """
UPDATE alert_deliveries
SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ?
WHERE alert_key = ? AND destination = ? AND status IN ('pending', 'failed')
RETURNING 1
"""

# Takes a free or expired lease, or renews one's own; RETURNING yields a row only then.
_ACQUIRE_LEASE = """
INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
RETURNING 1
"""


def _alert(row: sqlite3.Row) -> Alert:
    return Alert(
        key=row["key"],
        kind=row["kind"],
        number=row["number"],
        payload=decode_json_object(row["payload"]),
        created_at=decode_datetime(row["created_at"]),
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        alert=_alert(row),
        destination=row["destination"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_attempt_at=decode_optional_datetime(row["next_attempt_at"]),
        updated_at=decode_datetime(row["updated_at"]),
    )


class SqliteAlerts:
    """Alerts, deliveries, snapshots and leases in their own tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self,
        key: str,
        kind: str,
        number: str,
        payload: JsonObject,
        destinations: builtins.list[str],
        *,
        due_at: datetime | None = None,
    ) -> bool:
        encoded = encode_json_object(payload)
        now = encode_datetime(self._db.now())
        due = now if due_at is None else encode_datetime(due_at)
        async with self._db.transaction(inline=True) as tx:
            inserted = await tx.fetchone(
                "INSERT INTO alerts (key, kind, number, payload, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO NOTHING RETURNING 1",
                (key, kind, number, encoded, now),
            )
            if inserted is None:
                return False
            await tx.executemany(
                "INSERT INTO alert_deliveries "
                "(alert_key, destination, status, attempts, next_attempt_at, updated_at) "
                "VALUES (?, ?, 'pending', 0, ?, ?)",
                [(key, destination, due, now) for destination in dict.fromkeys(destinations)],
            )
        return True

    async def claim_many(self, claims: Iterable[AlertClaim]) -> builtins.set[str]:
        claimed: builtins.set[str] = set()
        for chunk in claim_chunks(claims):
            claimed |= await self._claim_chunk(chunk)
        return claimed

    async def _claim_chunk(self, chunk: builtins.list[tuple[AlertClaim, str]]) -> builtins.set[str]:
        now = encode_datetime(self._db.now())
        dues = [now if c.due_at is None else encode_datetime(c.due_at) for c, _ in chunk]
        keys = json.dumps([claim.key for claim, _ in chunk])
        async with self._db.transaction() as tx:
            before = {row["key"] for row in await tx.fetchall(_CLAIMED_BEFORE, (keys,))}
            new = [(i, claim, payload) for i, (claim, payload) in enumerate(chunk) if claim.key not in before]
            await tx.executemany(
                _INSERT_ALERT, [(c.key, c.kind, c.number, payload, now) for _, c, payload in new]
            )
            await tx.executemany(
                _INSERT_DELIVERY,
                [(c.key, d, dues[i], now) for i, c, _ in new for d in dict.fromkeys(c.destinations)],
            )
        return {claim.key for _, claim, _ in new}

    async def get(self, key: str) -> Alert | None:
        row = await self._db.fetchone("SELECT * FROM alerts WHERE key = ?", (key,), inline=True)
        return None if row is None else _alert(row)

    async def deliveries(self, key: str) -> builtins.list[Delivery]:
        return [_delivery(row) for row in await self._db.fetchall(_OF_ALERT, (key,))]

    async def due_deliveries(self, now: datetime, limit: int) -> builtins.list[Delivery]:
        rows = await self._db.fetchall(_DUE, (encode_datetime(now), check_limit(limit)))
        return [_delivery(row) for row in rows]

    async def _finish_attempt(
        self,
        alert_key: str,
        destination: str,
        status: DeliveryStatus,
        error: str | None,
        next_attempt_at: datetime | None,
    ) -> bool:
        params = (
            status.value,
            error,
            encode_optional_datetime(next_attempt_at),
            encode_datetime(self._db.now()),
            alert_key,
            destination,
        )
        async with self._db.session(inline=True) as s:
            if await s.fetchall(_FINISH_ATTEMPT, params):
                return True
            exists = await s.fetchone(
                "SELECT 1 FROM alert_deliveries WHERE alert_key = ? AND destination = ?",
                (alert_key, destination),
            )
        if exists is None:
            raise NotFoundError(f"no delivery of alert {alert_key!r} to {destination!r}")
        return False

    async def mark_delivered(self, alert_key: str, destination: str) -> bool:
        return await self._finish_attempt(alert_key, destination, DeliveryStatus.SENT, None, None)

    async def mark_delivery_failed(
        self, alert_key: str, destination: str, error: str, retry_at: datetime | None
    ) -> bool:
        return await self._finish_attempt(alert_key, destination, DeliveryStatus.FAILED, error, retry_at)

    async def mark_delivery_blocked(self, alert_key: str, destination: str, error: str) -> bool:
        return await self._finish_attempt(alert_key, destination, DeliveryStatus.BLOCKED, error, None)

    async def delivery_backlog(self, now: datetime) -> DeliveryBacklog:
        row = await self._db.fetchone(_BACKLOG, (encode_datetime(now),))
        if row is None:  # pragma: no cover - an aggregate always returns a row
            return DeliveryBacklog(0, None)
        return DeliveryBacklog(int(row["waiting"]), decode_optional_datetime(row["oldest"]))

    async def save_snapshot(self, name: str, data: str) -> None:
        await self._db.execute(
            "INSERT INTO snapshots (name, data, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            (name, data, encode_datetime(self._db.now())),
        )

    async def load_snapshot(self, name: str) -> str | None:
        row = await self._db.fetchone("SELECT data FROM snapshots WHERE name = ?", (name,))
        return None if row is None else str(row["data"])

    async def try_acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        expires_at = now + timedelta(seconds=check_ttl(ttl_seconds))
        rows = await self._db.fetchall(
            _ACQUIRE_LEASE, (name, holder, encode_datetime(expires_at), encode_datetime(now)), inline=True
        )
        return bool(rows)

    async def release_lease(self, name: str, holder: str) -> bool:
        rows = await self._db.fetchall(
            "DELETE FROM leases WHERE name = ? AND holder = ? RETURNING 1", (name, holder), inline=True
        )
        return bool(rows)
