"""PostgreSQL :class:`~bot.storage.interfaces.AlertRepository`, with snapshots and leases.

What replicas could race for is settled by the server:

* a claim inserts the alert and its deliveries in one transaction; the
  alert's primary key makes every other claim of the key insert nothing
  (a batch claim inserts a chunk's alerts in one statement, in key order, so
  two batches waiting on each other's keys cannot deadlock);
* ``due_deliveries`` reads with ``FOR UPDATE SKIP LOCKED``: a delivery
  another replica is marking at that moment is skipped instead of waited for
  (or handed out a second time); each mark is a compare-and-set on the status;
* a lease is taken by one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE``
  (free, expired or one's own), atomic on the lease's row.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.storage.codec import decode_json_object, encode_json_object, ensure_utc
from bot.storage.errors import NotFoundError
from bot.storage.postgres.db import Database, Record
from bot.storage.records import (
    Alert,
    AlertClaim,
    Delivery,
    DeliveryBacklog,
    DeliveryStatus,
    JsonObject,
)
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
WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= $1
ORDER BY d.next_attempt_at, d.seq
LIMIT $2
FOR UPDATE OF d SKIP LOCKED
"""
)

_BACKLOG = """
SELECT COUNT(*) AS waiting, MIN(CASE WHEN next_attempt_at <= $1 THEN next_attempt_at END) AS oldest
FROM alert_deliveries
WHERE status IN ('pending', 'failed') AND next_attempt_at IS NOT NULL
"""

# ORDER BY the ordinality: rows go in as given (alerts by key; deliveries get their seq in order).
_CLAIM_ALERTS = """
INSERT INTO alerts (key, kind, number, payload, created_at)
SELECT t.key, t.kind, t.number, t.payload, $5
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
    WITH ORDINALITY AS t(key, kind, number, payload, i)
ORDER BY t.i
ON CONFLICT (key) DO NOTHING
RETURNING key
"""

_INSERT_DELIVERIES = """
INSERT INTO alert_deliveries (alert_key, destination, status, attempts, next_attempt_at, updated_at)
SELECT t.key, t.destination, 'pending', 0, t.due, $4
FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY AS t(key, destination, due, i)
ORDER BY t.i
"""

_OF_ALERT = _SELECT_DELIVERIES + "WHERE d.alert_key = $1 ORDER BY d.seq"

_FINISH_ATTEMPT = """
UPDATE alert_deliveries
SET status = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = $4
WHERE alert_key = $5 AND destination = $6 AND status IN ('pending', 'failed')
"""

# Takes a free or expired lease, or renews one's own; RETURNING yields a row only then.
_ACQUIRE_LEASE = """
INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
RETURNING 1
"""


def _alert(row: Record) -> Alert:
    return Alert(
        key=row["key"],
        kind=row["kind"],
        number=row["number"],
        payload=decode_json_object(row["payload"]),
        created_at=row["created_at"],
    )


def _delivery(row: Record) -> Delivery:
    return Delivery(
        alert=_alert(row),
        destination=row["destination"],
        status=DeliveryStatus(row["status"]),
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"],
        updated_at=row["updated_at"],
    )


class PostgresAlerts:
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
        now = self._db.now()
        due = now if due_at is None else ensure_utc(due_at)
        async with self._db.transaction() as conn:
            inserted = await conn.fetchval(
                "INSERT INTO alerts (key, kind, number, payload, created_at) VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (key) DO NOTHING RETURNING 1",
                key,
                kind,
                number,
                encoded,
                now,
            )
            if inserted is None:
                return False
            await conn.executemany(
                "INSERT INTO alert_deliveries "
                "(alert_key, destination, status, attempts, next_attempt_at, updated_at) "
                "VALUES ($1, $2, 'pending', 0, $3, $4)",
                [(key, destination, due, now) for destination in dict.fromkeys(destinations)],
            )
        return True

    async def claim_many(self, claims: Iterable[AlertClaim]) -> builtins.set[str]:
        claimed: builtins.set[str] = set()
        for chunk in claim_chunks(claims):
            claimed |= await self._claim_chunk(chunk)
        return claimed

    async def _claim_chunk(self, chunk: builtins.list[tuple[AlertClaim, str]]) -> builtins.set[str]:
        now = self._db.now()
        dues = [now if c.due_at is None else ensure_utc(c.due_at) for c, _ in chunk]
        by_key = sorted(chunk, key=lambda item: item[0].key)  # one lock order for every replica
        async with self._db.transaction() as conn:
            rows = await conn.fetch(
                _CLAIM_ALERTS,
                [c.key for c, _ in by_key],
                [c.kind for c, _ in by_key],
                [c.number for c, _ in by_key],
                [payload for _, payload in by_key],
                now,
            )
            new = {row["key"] for row in rows}
            keys: builtins.list[str] = []
            destinations: builtins.list[str] = []
            due: builtins.list[datetime] = []
            for i, (claim, _) in enumerate(chunk):
                if claim.key in new:
                    for destination in dict.fromkeys(claim.destinations):
                        keys.append(claim.key)
                        destinations.append(destination)
                        due.append(dues[i])
            await conn.execute(_INSERT_DELIVERIES, keys, destinations, due, now)
        return new

    async def get(self, key: str) -> Alert | None:
        row = await self._db.fetchrow("SELECT * FROM alerts WHERE key = $1", key)
        return None if row is None else _alert(row)

    async def deliveries(self, key: str) -> builtins.list[Delivery]:
        return [_delivery(row) for row in await self._db.fetch(_OF_ALERT, key)]

    async def due_deliveries(self, now: datetime, limit: int) -> builtins.list[Delivery]:
        rows = await self._db.fetch(_DUE, ensure_utc(now), check_limit(limit))
        return [_delivery(row) for row in rows]

    async def _finish_attempt(
        self,
        alert_key: str,
        destination: str,
        status: DeliveryStatus,
        error: str | None,
        next_attempt_at: datetime | None,
    ) -> bool:
        retry = None if next_attempt_at is None else ensure_utc(next_attempt_at)
        async with self._db.transaction() as conn:
            changed = await conn.execute(
                _FINISH_ATTEMPT, status.value, error, retry, self._db.now(), alert_key, destination
            )
            if changed.endswith(" 1"):
                return True
            exists = await conn.fetchval(
                "SELECT 1 FROM alert_deliveries WHERE alert_key = $1 AND destination = $2",
                alert_key,
                destination,
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
        row = await self._db.fetchrow(_BACKLOG, ensure_utc(now))
        if row is None:  # pragma: no cover - an aggregate always returns a row
            return DeliveryBacklog(0, None)
        return DeliveryBacklog(int(row["waiting"]), row["oldest"])

    async def save_snapshot(self, name: str, data: str) -> None:
        await self._db.execute(
            "INSERT INTO snapshots (name, data, updated_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            name,
            data,
            self._db.now(),
        )

    async def load_snapshot(self, name: str) -> str | None:
        row = await self._db.fetchrow("SELECT data FROM snapshots WHERE name = $1", name)
        return None if row is None else str(row["data"])

    async def try_acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        now = ensure_utc(now)
        expires_at = now + timedelta(seconds=check_ttl(ttl_seconds))
        return bool(await self._db.fetch(_ACQUIRE_LEASE, name, holder, expires_at, now))

    async def release_lease(self, name: str, holder: str) -> bool:
        return await self._db.execute("DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder) == 1
