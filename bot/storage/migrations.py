"""Versioned schema migrations for the SQLite store.

Each :class:`Migration` is a small SQL script with a version number; versions
run 1, 2, 3, ... and are recorded in the ``schema_migrations`` table.
:func:`migrate` applies the ones a database lacks, in order, inside one
``BEGIN IMMEDIATE`` transaction: either all of them land with their records
or none does, and two processes opening the same file at once cannot both
apply one. To change the schema, append a migration; never edit one that has
shipped. (SQLite cannot switch ``foreign_keys`` inside a transaction, so a
migration that rebuilds a referenced table must keep its rows consistent.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.codec import encode_datetime
from bot.storage.errors import SchemaVersionError


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema change: ``version`` (1-based, contiguous), a short ``name``, the ``sql`` script."""

    version: int
    name: str
    sql: str


def split_statements(script: str) -> list[str]:
    """Split an SQL script into single statements (semicolons in strings or triggers are respected)."""
    statements: list[str] = []
    buffer = ""
    *parts, tail = script.split(";")
    for part in parts:
        buffer += part + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip() != ";":  # skip empty statements
                statements.append(buffer.strip())
            buffer = ""
    rest = (buffer + tail).strip()
    if rest:
        raise ValueError(f"incomplete SQL statement at the end of the script: {rest[:60]!r}")
    return statements


def check_sequence(migrations: Sequence[Migration]) -> None:
    """Raise :class:`SchemaVersionError` unless versions are exactly 1..N in order."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise SchemaVersionError(f"migration versions must be 1..{len(migrations)} in order, got {versions}")


_CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


async def applied_versions(conn: aiosqlite.Connection) -> list[int]:
    """Return the versions recorded in ``schema_migrations``, ascending (empty if none)."""
    exists = await conn.execute_fetchall(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    )
    if not list(exists):
        return []
    rows = await conn.execute_fetchall("SELECT version FROM schema_migrations ORDER BY version")
    return [int(row[0]) for row in rows]


async def migrate(
    conn: aiosqlite.Connection, now: datetime, migrations: Sequence[Migration] | None = None
) -> list[int]:
    """Apply the pending ``migrations`` (default :data:`MIGRATIONS`); return the versions applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``) and not in
    a transaction. Raises :class:`SchemaVersionError` if the database records
    a version this code does not know (it was written by a newer release) or
    its record has gaps.
    """
    migrations = MIGRATIONS if migrations is None else migrations
    check_sequence(migrations)
    await conn.execute("BEGIN IMMEDIATE")
    try:
        await conn.execute(_CREATE_MIGRATIONS_TABLE)
        applied = await applied_versions(conn)
        if applied != list(range(1, len(applied) + 1)):
            raise SchemaVersionError(f"schema_migrations has gaps: {applied}")
        if len(applied) > len(migrations):
            raise SchemaVersionError(
                f"database schema version {len(applied)} is newer than this code knows "
                f"({len(migrations)}); upgrade the bot"
            )
        pending = migrations[len(applied) :]
        for migration in pending:
            for statement in split_statements(migration.sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, encode_datetime(now)),
            )
        await conn.commit()
    except BaseException:
        await conn.rollback()
        raise
    return [m.version for m in pending]


_V1_INITIAL = """
CREATE TABLE conversations (
    platform   TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    data       TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id, user_id)
) WITHOUT ROWID;

CREATE TABLE users (
    platform     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    chat_id      TEXT,
    display_name TEXT,
    language     TEXT,
    blocked      INTEGER NOT NULL DEFAULT 0,
    blocked_at   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (platform, user_id)
) WITHOUT ROWID;

CREATE TABLE number_owners (
    number         TEXT PRIMARY KEY,
    owner_platform TEXT NOT NULL,
    owner_user_id  TEXT NOT NULL,
    assigned_by    TEXT NOT NULL,
    assigned_at    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX number_owners_by_owner ON number_owners (owner_platform, owner_user_id, number);

CREATE TABLE group_owners (
    group_id       INTEGER PRIMARY KEY,
    owner_platform TEXT NOT NULL,
    owner_user_id  TEXT NOT NULL,
    assigned_at    TEXT NOT NULL
);
CREATE INDEX group_owners_by_owner ON group_owners (owner_platform, owner_user_id, group_id);

CREATE TABLE intents (
    key            TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    owner_platform TEXT NOT NULL,
    owner_user_id  TEXT NOT NULL,
    params         TEXT NOT NULL,
    status         TEXT NOT NULL,
    result         TEXT,
    error          TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX intents_by_status ON intents (status, created_at);
CREATE INDEX intents_by_owner ON intents (owner_platform, owner_user_id, created_at);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    details TEXT NOT NULL,
    result  TEXT NOT NULL
);
CREATE INDEX audit_log_by_target ON audit_log (target, id);

CREATE TABLE alerts (
    key        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    number     TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE alert_deliveries (
    alert_key       TEXT NOT NULL REFERENCES alerts (key) ON DELETE CASCADE,
    destination     TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (alert_key, destination)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'failed');

CREATE TABLE snapshots (
    name       TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE dedup_keys (
    key        TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX dedup_keys_by_expiry ON dedup_keys (expires_at);
"""

# One row, rewritten by every health probe: a write that touches nothing the bot keeps.
_V2_STORAGE_PROBE = """
CREATE TABLE storage_probe (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at TEXT NOT NULL,
    writes    INTEGER NOT NULL
);
"""

_V3_INTENT_TARGETS = """
ALTER TABLE intents ADD COLUMN target TEXT;
CREATE UNIQUE INDEX intents_active_target ON intents (target)
    WHERE target IS NOT NULL AND status IN ('pending', 'sending', 'unknown');
CREATE INDEX intents_by_update ON intents (updated_at);
"""

# Updates kept from receipt until handled; ``finished`` rows stay a while to drop re-deliveries.
_V4_UPDATE_INBOX = """
CREATE TABLE update_inbox (
    key         TEXT PRIMARY KEY,
    payload     TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    finished    INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX update_inbox_unfinished ON update_inbox (received_at) WHERE finished = 0;
CREATE INDEX update_inbox_by_receipt ON update_inbox (received_at);
"""

# SMS received on the account's numbers (kept SMS_RETENTION_DAYS), and each number's chat switches.
_V5_NUMBER_EVENTS = """
CREATE TABLE received_sms (
    key         TEXT PRIMARY KEY,
    number      TEXT NOT NULL,
    sender      TEXT NOT NULL,
    text        TEXT NOT NULL,
    received_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX received_sms_by_number ON received_sms (number, received_at);
CREATE INDEX received_sms_by_time ON received_sms (received_at);
CREATE TABLE number_prefs (
    number        TEXT PRIMARY KEY,
    sms_to_chat   INTEGER NOT NULL,
    calls_to_chat INTEGER NOT NULL
) WITHOUT ROWID;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _V1_INITIAL),
    Migration(2, "storage probe", _V2_STORAGE_PROBE),
    Migration(3, "intent targets", _V3_INTENT_TARGETS),
    Migration(4, "update inbox", _V4_UPDATE_INBOX),
    Migration(5, "number events", _V5_NUMBER_EVENTS),
)
"""Every migration this code knows, in order."""
