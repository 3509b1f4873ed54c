"""``SqliteStorage``: all repositories over one SQLite file."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable

from bot.storage.clock import Clock, utc_now
from bot.storage.codec import encode_datetime
from bot.storage.errors import StorageError
from bot.storage.interfaces import (
    AlertRepository,
    ConversationRepository,
    InboxRepository,
    NumberEventsRepository,
    Storage,
)
from bot.storage.migrations import migrate
from bot.storage.sealing import (
    SealedAlerts,
    SealedConversations,
    SealedInbox,
    SealedNumberEvents,
    StateCipher,
    StateKeys,
    reseal_conversations,
)
from bot.storage.sqlite.alerts import SqliteAlerts
from bot.storage.sqlite.audit import SqliteAudit
from bot.storage.sqlite.conversations import SqliteConversations
from bot.storage.sqlite.db import Database, connect
from bot.storage.sqlite.dedup import SqliteDedup
from bot.storage.sqlite.inbox import SqliteInbox
from bot.storage.sqlite.integrity import check_integrity, check_not_directory, one_line
from bot.storage.sqlite.intents import SqliteIntents
from bot.storage.sqlite.number_events import SqliteNumberEvents
from bot.storage.sqlite.ownership import SqliteOwnership
from bot.storage.sqlite.users import SqliteUsers

log = logging.getLogger("bot.storage.sqlite")

DEFAULT_BUSY_TIMEOUT_SECONDS = 5.0
"""How long a write waits for another process's write lock before failing."""

_PROBE = """
INSERT INTO storage_probe (id, probed_at, writes) VALUES (1, ?, 1)
ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at, writes = storage_probe.writes + 1
"""


class SqliteStorage(Storage):
    """A :class:`~bot.storage.interfaces.Storage` in an SQLite file.

    Create it with :meth:`open`. The file is in WAL mode (readers do not block
    the writer), foreign keys are enforced, ``synchronous=NORMAL`` (durable
    across application crashes; the last transactions may be lost on power
    loss) and writers wait up to ``busy_timeout`` for each other.
    ``secure_delete`` is on: deleted content is overwritten with zeros.
    Given :class:`~bot.storage.sealing.StateKeys`, conversation states are
    encrypted (:mod:`bot.storage.sealing`).
    """

    def __init__(
        self,
        db: Database,
        path: str,
        cipher: StateCipher | None = None,
        holds_secrets: Callable[[str], bool] | None = None,
    ) -> None:
        """Wrap an open, migrated :class:`Database`; use :meth:`open` instead."""
        self._db = db
        self.path = path
        self.raw_conversations = SqliteConversations(db)
        self.conversations: ConversationRepository = self.raw_conversations
        if cipher is not None:
            self.conversations = SealedConversations(
                self.raw_conversations, cipher, holds_secrets=holds_secrets, purge=self.purge_journal
            )
        self.users = SqliteUsers(db)
        self.ownership = SqliteOwnership(db)
        self.intents = SqliteIntents(db)
        self.audit = SqliteAudit(db)
        raw_alerts = SqliteAlerts(db)
        self.snapshots = self.leases = raw_alerts
        self.alerts: AlertRepository = raw_alerts if cipher is None else SealedAlerts(raw_alerts, cipher)
        self.dedup = SqliteDedup(db)
        self.number_events: NumberEventsRepository = SqliteNumberEvents(db)
        if cipher is not None:
            self.number_events = SealedNumberEvents(self.number_events, cipher)
        self.inbox: InboxRepository = SqliteInbox(db)
        if cipher is not None:
            self.inbox = SealedInbox(self.inbox, cipher)
        self._closed = False

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        clock: Clock = utc_now,
        busy_timeout_seconds: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
        keys: StateKeys | Callable[[], StateKeys] | None = None,
        holds_secrets: Callable[[str], bool] | None = None,
    ) -> SqliteStorage:
        """Open (creating if needed) the database at ``path`` and apply pending migrations.

        The parent directory must exist. An existing file is checked first
        with ``PRAGMA quick_check`` (it reads every page once: about a second
        per few hundred megabytes). Raises
        :class:`~bot.storage.errors.UnusableDatabaseError` (one line naming the
        file and what to do) if ``path`` is a directory, not an SQLite
        database, or damaged; :class:`StorageError` (naming the file) if it
        cannot be opened, WAL mode cannot be enabled or a statement fails; and
        :class:`~bot.storage.errors.SchemaVersionError` if the file was
        written by a newer release.

        With ``keys`` (or a function giving them, called once the file has
        checked out), conversation states are sealed, and rows still plain or
        sealed with an old key are re-encrypted under the current one before
        this returns; :class:`~bot.storage.sealing.StateKeyError` (one line)
        when a row was sealed with a key not in ``keys``. ``holds_secrets``
        names the states whose replacement wipes the journal (see
        :class:`~bot.storage.sealing.SealedConversations`).
        """
        path = os.fspath(path)
        check_not_directory(path)
        try:
            conn, loop_access = await connect(path, busy_timeout_seconds=busy_timeout_seconds)
        except sqlite3.Error as exc:
            raise StorageError(
                f"cannot open the database {path}: {one_line(str(exc))}; "
                "check that the file and its directory are readable and writable"
            ) from exc
        try:
            conn.row_factory = sqlite3.Row
            await check_integrity(conn, path)
            rows = list(await conn.execute_fetchall("PRAGMA journal_mode = WAL"))
            if str(rows[0][0]).lower() != "wal":
                raise StorageError(f"could not switch {path!r} to WAL journal mode (got {rows[0][0]!r})")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA secure_delete = ON")
            await conn.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoints off the event loop: db.py
            await migrate(conn, clock())
        except sqlite3.Error as exc:
            await conn.close()
            raise StorageError(f"cannot use the database {path}: {one_line(str(exc))}") from exc
        except BaseException:
            await conn.close()
            raise
        try:
            # a key file is generated only for a database that opened and checked out
            cipher = StateCipher(keys() if callable(keys) else keys) if keys is not None else None
        except BaseException:
            await conn.close()
            raise
        storage = cls(Database(conn, clock, loop_access), path, cipher, holds_secrets)
        if cipher is not None:
            try:
                await storage._reseal(cipher)
            except BaseException:
                await storage.close()
                raise
        return storage

    async def _reseal(self, cipher: StateCipher) -> None:
        rewritten = await reseal_conversations(self.raw_conversations, cipher, self.path)
        if rewritten:
            await self.purge_journal()
            log.info("re-encrypted saved conversations under the current key", extra={"rows": rewritten})

    async def purge_journal(self) -> None:
        """Copy the write-ahead log into the database and truncate it, so replaced rows leave the disk.

        With ``secure_delete`` on, the database keeps no copy of replaced
        content either. Another process reading at the moment leaves the
        log as it is (best effort; the next purge catches up).
        """
        await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def probe_write(self) -> None:
        """Rewrite the one row of ``storage_probe`` (autocommit); the driver's error propagates."""
        await self._db.execute(_PROBE, (encode_datetime(self._db.now()),))

    async def schema_version(self) -> int:
        """Return the newest applied migration version (for health checks)."""
        async with self._db.session() as s:
            rows = await s.fetchall("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        return int(rows[0]["v"])

    async def pragmas(self) -> dict[str, str | int]:
        """Return the settings that matter: journal, foreign keys, busy timeout, sync, secure delete."""
        result: dict[str, str | int] = {}
        async with self._db.session() as s:
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous", "secure_delete"):
                row = await s.fetchone("PRAGMA " + name)
                assert row is not None
                result[name] = row[0]
        return result

    async def close(self) -> None:
        """Close the connection; safe to call twice."""
        if not self._closed:
            self._closed = True
            await self._db.close()
