"""The records the layers above the services keep, as the narrow interfaces they use.

The composition root (:mod:`bot.app`) builds the store and hands these views of
it down: the conversation engine gets :class:`ConversationStore` and
:class:`UserDirectory` through :class:`~bot.services.Services`, a platform
adapter gets :class:`PlatformRecords`. Each is a :class:`typing.Protocol` that
every store of :mod:`bot.storage` satisfies; nothing above the services names
the store itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.storage.records import ConversationKey, InboxEntry, StoredConversation, User, UserRef


class ConversationReader(Protocol):
    """Reads one stored conversation (the console resumes, the Slack wizard peeks)."""

    async def get(self, key: ConversationKey) -> StoredConversation | None:
        """The stored conversation of ``key``, or ``None``."""
        ...


class ConversationStore(ConversationReader, Protocol):
    """Conversation states with optimistic concurrency: what the engine loads and saves."""

    async def save(self, key: ConversationKey, data: str, expected_revision: int | None) -> int:
        """Store ``data`` and return the new revision.

        ``expected_revision`` must be the stored revision (``0``: none yet) or
        :class:`~bot.services.types.StaleRevisionError` is raised; ``None`` saves unconditionally.
        """
        ...


class UserDirectory(Protocol):
    """The users the bot knows: language preference and reachability."""

    async def get(self, user: UserRef) -> User | None:
        """The stored user, or ``None``."""
        ...

    async def upsert(
        self,
        user: UserRef,
        *,
        chat_id: str | None = None,
        display_name: str | None = None,
        default_language: str | None = None,
    ) -> User:
        """Create the user or refresh what the platform told; a chosen language is never overwritten."""
        ...

    async def set_language(self, user: UserRef, language: str) -> bool:
        """Set the user's language; ``False`` if the user is unknown."""
        ...

    async def mark_blocked(self, user: UserRef) -> bool:
        """The user blocked the bot; ``False`` if the user is unknown."""
        ...

    async def mark_unblocked(self, user: UserRef) -> bool:
        """The user wrote again; ``False`` if the user is unknown."""
        ...


class UpdateInboxRecords(Protocol):
    """Platform updates kept from receipt until handled (see ``adapters.telegram.inbox``)."""

    async def receive(self, key: str, payload: str, now: datetime) -> bool:
        """Keep ``payload`` under ``key``; ``False`` (no change) if the key is known."""
        ...

    async def receive_many(self, entries: Sequence[tuple[str, str]], now: datetime) -> int:
        """Keep each ``(key, payload)`` at once, as :meth:`receive` would; how many keys were new."""
        ...

    async def begin(self, key: str, now: datetime) -> int | None:
        """Count an attempt at ``key``; ``None`` when it was finished already."""
        ...

    async def finish(self, key: str) -> None:
        """``key`` has been handled; later deliveries are duplicates."""
        ...

    async def unfinished(self, prefix: str) -> list[InboxEntry]:
        """Entries under ``prefix`` not finished yet, oldest first."""
        ...

    async def take(self, key: str, received_at: datetime, now: datetime) -> bool:
        """Take over unfinished ``key``, seen received at ``received_at``, as received ``now``.

        ``False`` when it was taken or finished since it was seen.
        """
        ...

    async def purge(self, before: datetime) -> int:
        """Forget finished entries received at or before ``before``; how many."""
        ...


class DedupRecords(Protocol):
    """Keys remembered for a while to drop duplicate deliveries."""

    async def seen_once(self, key: str, now: datetime, ttl_seconds: float) -> bool:
        """``True`` the first time ``key`` is seen, ``False`` while it is remembered."""
        ...

    async def purge(self, before: datetime) -> int:
        """Forget keys whose time to live ended at or before ``before``; how many."""
        ...


class SnapshotRecords(Protocol):
    """Small named values (the Slack wizard's "waiting for a file" marks)."""

    async def save_snapshot(self, name: str, data: str) -> None:
        """Store ``data`` under ``name``, replacing what was there."""
        ...

    async def load_snapshot(self, name: str) -> str | None:
        """The value stored under ``name``, or ``None``."""
        ...


class PlatformRecords(Protocol):
    """What a platform adapter keeps in the store: users, its update inbox, dedup keys, marks.

    The composition root passes the store itself; the adapter sees only these.
    """

    @property
    def users(self) -> UserDirectory:
        """The users, to remember senders and who blocked the bot."""
        ...

    @property
    def inbox(self) -> UpdateInboxRecords:
        """Updates kept until handled."""
        ...

    @property
    def dedup(self) -> DedupRecords:
        """Keys of deliveries already seen."""
        ...

    @property
    def snapshots(self) -> SnapshotRecords:
        """Small named values."""
        ...

    @property
    def conversations(self) -> ConversationReader:
        """Stored conversations, read only."""
        ...


__all__ = [
    "ConversationReader",
    "ConversationStore",
    "DedupRecords",
    "PlatformRecords",
    "SnapshotRecords",
    "UpdateInboxRecords",
    "UserDirectory",
]
