"""Versioned schema migrations for the PostgreSQL store.

Versions run 1, 2, 3, ... and are recorded in ``schema_migrations``.
:func:`migrate` applies the ones the schema lacks in one transaction that
first takes a transaction-scoped advisory lock (``pg_advisory_xact_lock``,
keyed by the schema's name): replicas starting together queue on it, the
first applies the migrations and the others find them applied. The lock is
released with the transaction, also when a replica dies midway. To change
the schema, append a migration; never edit one that has shipped.

The tables mirror the SQLite ones, with native types: ``timestamptz`` for
instants, ``boolean`` flags and an identity column ``seq`` where rows are
listed in insertion order. JSON stays text, written by the shared codec.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.storage.errors import SchemaVersionError
from bot.storage.migrations import Migration, check_sequence
from bot.storage.postgres.db import Connection

# The first half of the advisory lock's key (the second is the schema's hash): "zadm".
_LOCK_CLASS = 0x7A61646D

_CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL
)
"""

_V1_INITIAL = """
CREATE TABLE conversations (
    platform   text NOT NULL,
    chat_id    text NOT NULL,
    user_id    text NOT NULL,
    data       text NOT NULL,
    revision   bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (platform, chat_id, user_id)
);

CREATE TABLE users (
    platform     text NOT NULL,
    user_id      text NOT NULL,
    chat_id      text,
    display_name text,
    language     text,
    blocked      boolean NOT NULL DEFAULT false,
    blocked_at   timestamptz,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (platform, user_id)
);

CREATE TABLE number_owners (
    number         text PRIMARY KEY,
    owner_platform text NOT NULL,
    owner_user_id  text NOT NULL,
    assigned_by    text NOT NULL,
    assigned_at    timestamptz NOT NULL
);
CREATE INDEX number_owners_by_owner ON number_owners (owner_platform, owner_user_id, number);

CREATE TABLE group_owners (
    group_id       bigint PRIMARY KEY,
    owner_platform text NOT NULL,
    owner_user_id  text NOT NULL,
    assigned_at    timestamptz NOT NULL
);
CREATE INDEX group_owners_by_owner ON group_owners (owner_platform, owner_user_id, group_id);

CREATE TABLE intents (
    key            text PRIMARY KEY,
    seq            bigint GENERATED ALWAYS AS IDENTITY,
    kind           text NOT NULL,
    owner_platform text NOT NULL,
    owner_user_id  text NOT NULL,
    params         text NOT NULL,
    status         text NOT NULL,
    result         text,
    error          text,
    attempts       integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    target         text
);
CREATE INDEX intents_by_status ON intents (status, created_at, seq);
CREATE INDEX intents_by_owner ON intents (owner_platform, owner_user_id, created_at);
CREATE INDEX intents_by_update ON intents (updated_at);
CREATE UNIQUE INDEX intents_active_target ON intents (target)
    WHERE target IS NOT NULL AND status IN ('pending', 'sending', 'unknown');

CREATE TABLE audit_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL,
    actor   text NOT NULL,
    action  text NOT NULL,
    target  text NOT NULL,
    details text NOT NULL,
    result  text NOT NULL
);
CREATE INDEX audit_log_by_target ON audit_log (target, id);

CREATE TABLE alerts (
    key        text PRIMARY KEY,
    kind       text NOT NULL,
    number     text NOT NULL,
    payload    text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE alert_deliveries (
    alert_key       text NOT NULL REFERENCES alerts (key) ON DELETE CASCADE,
    destination     text NOT NULL,
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    status          text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (alert_key, destination)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at, seq)
    WHERE status IN ('pending', 'failed');
CREATE INDEX alert_deliveries_of_alert ON alert_deliveries (alert_key, seq);

CREATE TABLE snapshots (
    name       text PRIMARY KEY,
    data       text NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE dedup_keys (
    key        text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX dedup_keys_by_expiry ON dedup_keys (expires_at);

CREATE TABLE storage_probe (
    id        integer PRIMARY KEY CHECK (id = 1),
    probed_at timestamptz NOT NULL,
    writes    bigint NOT NULL
);

CREATE TABLE update_inbox (
    key         text PRIMARY KEY,
    payload     text,
    attempts    integer NOT NULL DEFAULT 0,
    finished    boolean NOT NULL DEFAULT false,
    received_at timestamptz NOT NULL
);
CREATE INDEX update_inbox_unfinished ON update_inbox (received_at, key) WHERE NOT finished;
CREATE INDEX update_inbox_by_receipt ON update_inbox (received_at);
"""

# SMS received on the account's numbers (kept SMS_RETENTION_DAYS), and each number's chat switches.
_V2_NUMBER_EVENTS = """
CREATE TABLE received_sms (
    key         text PRIMARY KEY,
    number      text NOT NULL,
    sender      text NOT NULL,
    text        text NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX received_sms_by_number ON received_sms (number, received_at);
CREATE INDEX received_sms_by_time ON received_sms (received_at);
CREATE TABLE number_prefs (
    number        text PRIMARY KEY,
    sms_to_chat   boolean NOT NULL,
    calls_to_chat boolean NOT NULL
);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _V1_INITIAL),
    Migration(2, "number events", _V2_NUMBER_EVENTS),
)
"""Every PostgreSQL migration this code knows, in order."""


async def applied_versions(conn: Connection) -> list[int]:
    """Return the versions recorded in the current schema's ``schema_migrations`` (empty if none)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return []
    rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    return [int(row["version"]) for row in rows]


async def migrate(
    conn: Connection, now: datetime, migrations: Sequence[Migration] | None = None
) -> list[int]:
    """Apply the pending ``migrations`` (default :data:`MIGRATIONS`) under the advisory lock.

    Returns the versions applied (empty when another replica applied them
    first). Raises :class:`SchemaVersionError` if the schema records a version
    this code does not know (a newer release wrote it) or its record has gaps.
    """
    migrations = MIGRATIONS if migrations is None else migrations
    check_sequence(migrations)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", _LOCK_CLASS)
        applied = await applied_versions(conn)
        if not applied:  # only writes when there is work: a read-only server with a current schema opens
            await conn.execute(_CREATE_MIGRATIONS_TABLE)
        if applied != list(range(1, len(applied) + 1)):
            raise SchemaVersionError(f"schema_migrations has gaps: {applied}")
        if len(applied) > len(migrations):
            raise SchemaVersionError(
                f"database schema version {len(applied)} is newer than this code knows "
                f"({len(migrations)}); upgrade the bot"
            )
        pending = migrations[len(applied) :]
        for migration in pending:
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                now,
            )
    return [m.version for m in pending]
