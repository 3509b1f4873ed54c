"""``PostgresStorage``: all repositories over one PostgreSQL database (or one schema of it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import asyncpg

from bot.storage.clock import Clock, utc_now
from bot.storage.errors import SchemaVersionError
from bot.storage.interfaces import (
    AlertRepository,
    ConversationRepository,
    InboxRepository,
    NumberEventsRepository,
    Storage,
)
from bot.storage.postgres.alerts import PostgresAlerts
from bot.storage.postgres.audit import PostgresAudit
from bot.storage.postgres.conversations import PostgresConversations
from bot.storage.postgres.db import Database, Record, translated_errors
from bot.storage.postgres.dedup import PostgresDedup
from bot.storage.postgres.inbox import PostgresInbox
from bot.storage.postgres.intents import PostgresIntents
from bot.storage.postgres.migrations import MIGRATIONS, migrate
from bot.storage.postgres.number_events import PostgresNumberEvents
from bot.storage.postgres.ownership import PostgresOwnership
from bot.storage.postgres.users import PostgresUsers
from bot.storage.sealing import (
    SealedAlerts,
    SealedConversations,
    SealedInbox,
    SealedNumberEvents,
    StateCipher,
    StateKeys,
    reseal_conversations,
)

log = logging.getLogger("bot.storage.postgres")

DEFAULT_POOL_SIZE = 5
"""Connections per process: the bot's tasks run few statements at once, and replicas multiply it."""

DEFAULT_CONNECT_TIMEOUT_SECONDS = 10.0
DEFAULT_COMMAND_TIMEOUT_SECONDS = 30.0

_PROBE = """
INSERT INTO storage_probe (id, probed_at, writes) VALUES (1, $1, 1)
ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at, writes = storage_probe.writes + 1
"""


def server_name(dsn: str) -> str:
    """``host:port/database`` of a PostgreSQL URL, for messages (no user, no password)."""
    parts = urlsplit(dsn)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    return f"{host}:{port}{parts.path or '/'}"


class PostgresStorage(Storage):
    """A :class:`~bot.storage.interfaces.Storage` in a PostgreSQL database, shared by replicas.

    Create it with :meth:`open`. Given :class:`~bot.storage.sealing.StateKeys`,
    conversation states and kept updates are encrypted before they reach the
    server (:mod:`bot.storage.sealing`).
    """

    def __init__(
        self,
        db: Database,
        cipher: StateCipher | None = None,
        holds_secrets: Callable[[str], bool] | None = None,
    ) -> None:
        """Wrap an open, migrated :class:`Database`; use :meth:`open` instead."""
        self._db = db
        self.where = db.where
        self.raw_conversations = PostgresConversations(db)
        self.conversations: ConversationRepository = self.raw_conversations
        if cipher is not None:
            # No purge: PostgreSQL's WAL and dead row versions are the server's to recycle.
            self.conversations = SealedConversations(
                self.raw_conversations, cipher, holds_secrets=holds_secrets
            )
        self.users = PostgresUsers(db)
        self.ownership = PostgresOwnership(db)
        self.intents = PostgresIntents(db)
        self.audit = PostgresAudit(db)
        raw_alerts = PostgresAlerts(db)
        self.snapshots = self.leases = raw_alerts
        self.alerts: AlertRepository = raw_alerts if cipher is None else SealedAlerts(raw_alerts, cipher)
        self.dedup = PostgresDedup(db)
        self.number_events: NumberEventsRepository = PostgresNumberEvents(db)
        if cipher is not None:
            self.number_events = SealedNumberEvents(self.number_events, cipher)
        self.inbox: InboxRepository = PostgresInbox(db)
        if cipher is not None:
            self.inbox = SealedInbox(self.inbox, cipher)
        self._closed = False

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        clock: Clock = utc_now,
        keys: StateKeys | None = None,
        holds_secrets: Callable[[str], bool] | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        schema: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT_SECONDS,
    ) -> PostgresStorage:
        """Connect a pool of up to ``pool_size`` connections to ``dsn`` and apply pending migrations.

        ``dsn`` is a ``postgresql://`` (or ``postgres://``) URL as asyncpg
        takes it; ``schema``, when given, is put first on every connection's
        ``search_path`` (it must exist). Replicas starting together migrate
        once (:mod:`.migrations`). Raises
        :class:`~bot.storage.errors.StorageUnavailableError` when the server
        does not answer within ``connect_timeout`` seconds,
        :class:`~bot.storage.errors.StorageError` when it refuses (bad
        credentials, unknown database), and
        :class:`~bot.storage.errors.SchemaVersionError` when the schema is
        newer than this code. No message carries the password.
        """
        if pool_size < 1:
            raise ValueError(f"pool_size must be positive, got {pool_size}")
        where = server_name(dsn)
        secret = urlsplit(dsn).password
        settings = {"application_name": "zadarma-bot"}
        if schema is not None:
            settings["search_path"] = schema
        with translated_errors(where, secret):
            pool: asyncpg.Pool[Record] = await asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=pool_size,
                timeout=connect_timeout,
                command_timeout=command_timeout,
                server_settings=settings,
            )
        db = Database(pool, clock, where, secret)
        try:
            with translated_errors(where, secret):
                async with pool.acquire() as conn:
                    applied = await migrate(conn, db.now())
            if applied:
                log.info("applied database migrations", extra={"versions": applied})
            storage = cls(db, StateCipher(keys) if keys is not None else None, holds_secrets)
            version = await storage.schema_version()
            if version != len(MIGRATIONS):
                raise SchemaVersionError(
                    f"schema version {version} after migrating; expected {len(MIGRATIONS)}"
                )
            if keys is not None:
                rewritten = await reseal_conversations(storage.raw_conversations, StateCipher(keys), where)
                if rewritten:
                    log.info(
                        "re-encrypted saved conversations under the current key", extra={"rows": rewritten}
                    )
        except BaseException:
            await db.close()
            raise
        return storage

    async def probe_write(self) -> None:
        """Rewrite the one row of ``storage_probe``; a storage error if the server refuses or is gone."""
        await self._db.execute(_PROBE, self._db.now())

    async def schema_version(self) -> int:
        """Return the newest applied migration version (for health checks)."""
        row = await self._db.fetchrow("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        assert row is not None
        return int(row["v"])

    async def close(self) -> None:
        """Close the pool; safe to call twice."""
        if not self._closed:
            self._closed = True
            await self._db.close()
