"""The plain values the services exchange with the layers above them.

Conversations and adapters take these from here, never from :mod:`bot.zadarma`
or :mod:`bot.storage` (the import-linter contracts in ``pyproject.toml`` check
it): the records Zadarma's replies are read into, the keys and records the
bot keeps, and the clock its records are stamped with.
"""

from __future__ import annotations

from bot.storage.clock import utc_now
from bot.storage.errors import StaleRevisionError
from bot.storage.records import (
    AuditEntry,
    ConversationKey,
    NumberAssignment,
    StoredConversation,
    User,
    UserRef,
)
from bot.zadarma.models import (
    DOCUMENT_TYPES,
    Balance,
    CheckingWrongs,
    Direction,
    DirectNumber,
    DocumentFile,
    DocumentGroup,
    FreeNumber,
    GroupValidity,
    NumberStatus,
)

__all__ = [
    "DOCUMENT_TYPES",
    "AuditEntry",
    "Balance",
    "CheckingWrongs",
    "ConversationKey",
    "DirectNumber",
    "Direction",
    "DocumentFile",
    "DocumentGroup",
    "FreeNumber",
    "GroupValidity",
    "NumberAssignment",
    "NumberStatus",
    "StaleRevisionError",
    "StoredConversation",
    "User",
    "UserRef",
    "utc_now",
]
