"""Persistence for the bot: repository interfaces and their implementations.

* :mod:`.interfaces` -- the repository protocols and :class:`Storage`;
* :mod:`.records` -- the frozen record and value types they exchange;
* :mod:`.errors` -- :class:`StorageError` and its subclasses;
* :mod:`.memory` -- :class:`MemoryStorage`; :mod:`.sqlite` -- :class:`SqliteStorage`;
  :mod:`.postgres` -- :class:`PostgresStorage` (one database shared by replicas);
* :mod:`.migrations` -- the SQLite schema, versioned (:mod:`.postgres.migrations` PostgreSQL's);
* :mod:`.url` -- :func:`open_storage` from a ``DATABASE_URL``;
* :mod:`.sealing` -- conversation states encrypted at rest; :mod:`.keyfile` -- the generated key;
* :mod:`.remembered` -- :class:`RememberedUsers`, upserts that bring nothing new skipped.

All three implementations pass the contract suite in ``tests/contract/storage``.
"""

from __future__ import annotations

from bot.storage.clock import Clock, utc_now
from bot.storage.errors import (
    DatabaseServerError,
    NotFoundError,
    SchemaVersionError,
    StaleRevisionError,
    StorageError,
    StorageUnavailableError,
    TargetBusyError,
)
from bot.storage.interfaces import (
    AlertRepository,
    AuditLog,
    ConversationRepository,
    DedupRepository,
    InboxRepository,
    IntentRepository,
    LeaseRepository,
    NumberEventsRepository,
    OwnershipRepository,
    SnapshotStore,
    Storage,
    UserRepository,
)
from bot.storage.memory import MemoryStorage
from bot.storage.postgres import PostgresStorage
from bot.storage.records import (
    ACTIVE_INTENT_STATUSES,
    Alert,
    AlertClaim,
    AuditEntry,
    ConversationKey,
    Delivery,
    DeliveryBacklog,
    DeliveryStatus,
    InboxEntry,
    Intent,
    IntentKind,
    IntentParams,
    IntentStatus,
    JsonObject,
    NumberAssignment,
    NumberPrefs,
    ReceivedSms,
    StoredConversation,
    User,
    UserRef,
)
from bot.storage.remembered import RememberedUsers
from bot.storage.sqlite import SqliteStorage
from bot.storage.url import open_storage, parse_database_url

__all__ = [
    "ACTIVE_INTENT_STATUSES",
    "Alert",
    "AlertClaim",
    "AlertRepository",
    "AuditEntry",
    "AuditLog",
    "Clock",
    "ConversationKey",
    "ConversationRepository",
    "DatabaseServerError",
    "DedupRepository",
    "Delivery",
    "DeliveryBacklog",
    "DeliveryStatus",
    "InboxEntry",
    "InboxRepository",
    "Intent",
    "IntentKind",
    "IntentParams",
    "IntentRepository",
    "IntentStatus",
    "JsonObject",
    "LeaseRepository",
    "MemoryStorage",
    "NotFoundError",
    "NumberAssignment",
    "NumberEventsRepository",
    "NumberPrefs",
    "OwnershipRepository",
    "PostgresStorage",
    "ReceivedSms",
    "RememberedUsers",
    "SchemaVersionError",
    "SnapshotStore",
    "SqliteStorage",
    "StaleRevisionError",
    "Storage",
    "StorageError",
    "StorageUnavailableError",
    "StoredConversation",
    "TargetBusyError",
    "User",
    "UserRef",
    "UserRepository",
    "open_storage",
    "parse_database_url",
    "utc_now",
]
