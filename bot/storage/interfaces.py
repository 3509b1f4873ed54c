"""Repository interfaces and the ``Storage`` object that groups them.

Each repository is a ``typing.Protocol``; :class:`~bot.storage.memory.MemoryStorage`,
:class:`~bot.storage.sqlite.SqliteStorage` and
:class:`~bot.storage.postgres.PostgresStorage` implement all of them and pass
the same contract suite (``tests/contract/storage``). Services should depend on
the narrowest protocol they need.

Conventions shared by every repository:

* Datetimes passed in must be timezone-aware (naive ones raise ``ValueError``);
  datetimes returned are aware and in UTC. Timestamps the storage sets itself
  (``created_at``, ``updated_at``, ...) come from the clock given to the storage.
* Setters on records that may be absent return ``bool``: whether anything changed.
* State transitions (intents, deliveries) are compare-and-set: they return
  ``True`` if applied and ``False`` if the record was not in an allowed state
  (someone else moved it first); they raise ``NotFoundError`` for unknown records.
* Every method is safe to call from many asyncio tasks at once; a single call
  is atomic.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from bot.storage.records import (
    Alert,
    AlertClaim,
    AuditEntry,
    ConversationKey,
    Delivery,
    DeliveryBacklog,
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


class ConversationRepository(Protocol):
    """Conversation state per (platform, chat, user), with optimistic concurrency."""

    async def get(self, key: ConversationKey) -> StoredConversation | None:
        """Return the stored conversation, or ``None``."""
        ...

    async def save(self, key: ConversationKey, data: str, expected_revision: int | None) -> int:
        """Store ``data`` and return the new revision.

        ``expected_revision=None`` saves unconditionally (create or overwrite).
        Otherwise the stored revision must equal ``expected_revision`` (``0``
        meaning "does not exist yet", i.e. create-only), or
        :class:`~bot.storage.errors.StaleRevisionError` is raised and nothing changes.
        """
        ...

    async def delete(self, key: ConversationKey) -> bool:
        """Delete the conversation; return whether it existed."""
        ...

    async def count(self) -> int:
        """Return how many conversations are stored."""
        ...


class UserRepository(Protocol):
    """Per-user preferences and reachability."""

    async def get(self, user: UserRef) -> User | None:
        """Return the user, or ``None`` if never stored."""
        ...

    async def upsert(
        self,
        user: UserRef,
        *,
        chat_id: str | None = None,
        display_name: str | None = None,
        default_language: str | None = None,
    ) -> User:
        """Create the user or refresh what the platform told us; return the stored user.

        ``chat_id`` and ``display_name`` replace the stored values when given
        (``None`` keeps them). ``default_language`` (e.g. Telegram's
        ``language_code``) is stored only while the user has no language, so
        a choice made with :meth:`set_language` is never overwritten. The
        ``blocked`` flag is left alone.
        """
        ...

    async def set_language(self, user: UserRef, language: str) -> bool:
        """Set the user's language; return ``False`` if the user is unknown."""
        ...

    async def mark_blocked(self, user: UserRef) -> bool:
        """Record that the user blocked the bot; return ``False`` if the user is unknown."""
        ...

    async def mark_unblocked(self, user: UserRef) -> bool:
        """Clear the blocked flag (the user wrote again); return ``False`` if unknown."""
        ...


class OwnershipRepository(Protocol):
    """Who owns which virtual numbers and document groups."""

    async def assign_number(self, number: str, owner: UserRef, assigned_by: str) -> None:
        """Give ``number`` to ``owner``; if someone else owned it, it moves."""
        ...

    async def owner_of_number(self, number: str) -> UserRef | None:
        """Return the owner of ``number``, or ``None``."""
        ...

    async def owners_of_numbers(self, numbers: Iterable[str]) -> dict[str, UserRef]:
        """Return the owner of each of ``numbers`` that has one, in one read (the others are left out)."""
        ...

    async def number_assignment(self, number: str) -> NumberAssignment | None:
        """Return who owns ``number``, who assigned it and when, or ``None``."""
        ...

    async def numbers_of(self, owner: UserRef) -> list[str]:
        """Return the numbers ``owner`` owns, sorted."""
        ...

    async def claim_number(self, number: str, owner: UserRef, assigned_by: str) -> UserRef:
        """Give ``number`` to ``owner`` only if nobody owns it; return its owner afterwards.

        Never moves a number: when someone else owns it, that owner is returned
        unchanged (the caller compares it with ``owner``). Atomic.
        """
        ...

    async def release_number(self, number: str) -> bool:
        """Remove ``number``'s owner; return whether it had one."""
        ...

    async def assign_group(self, group_id: int, owner: UserRef) -> None:
        """Give document group ``group_id`` to ``owner`` (moving it if owned)."""
        ...

    async def owner_of_group(self, group_id: int) -> UserRef | None:
        """Return the owner of a document group, or ``None``."""
        ...

    async def groups_of(self, owner: UserRef) -> list[int]:
        """Return the document groups ``owner`` owns, sorted."""
        ...

    async def release_group(self, group_id: int) -> bool:
        """Remove a document group's owner; return whether it had one."""
        ...


class IntentRepository(Protocol):
    """Exactly-once money-spending operations (order, prolong).

    The protocol for a caller: ``create`` with a key derived from the user's
    confirmation, then ``mark_sending`` and call the API only if it returned
    ``True``; record the outcome with ``mark_succeeded``/``mark_failed``, or
    ``mark_unknown`` when the request may have reached the API (timeout,
    dropped connection), settled later by evidence (``mark_succeeded``,
    ``mark_failed`` or ``mark_contested``). On start-up settle
    ``list_by_status(SENDING)`` and ``list_by_status(UNKNOWN)``.

    An intent may name a ``target`` (the number it spends money on): while it
    is active (``pending``, ``sending`` or ``unknown``) no other intent can be
    created for that target, so two money operations on one number never
    overlap and an unknown outcome is never confused with another's.
    """

    async def create(
        self,
        idempotency_key: str,
        kind: IntentKind,
        owner: UserRef,
        params: IntentParams,
        *,
        target: str | None = None,
    ) -> tuple[Intent, bool]:
        """Create a ``pending`` intent; return ``(intent, True)``.

        If ``idempotency_key`` already exists, return ``(existing, False)``
        unchanged, whatever the other arguments are. If another active intent
        holds ``target``, raise :class:`~bot.storage.errors.TargetBusyError`
        and create nothing.
        """
        ...

    async def active_for_target(self, target: str) -> Intent | None:
        """Return the active intent holding ``target``, or ``None``."""
        ...

    async def get(self, idempotency_key: str) -> Intent | None:
        """Return the intent, or ``None``."""
        ...

    async def mark_sending(self, idempotency_key: str) -> bool:
        """``pending`` -> ``sending`` and count an attempt; ``False`` if not ``pending``.

        Exactly one of any number of concurrent callers gets ``True``.
        """
        ...

    async def mark_succeeded(self, idempotency_key: str, result: JsonObject) -> bool:
        """``sending``/``unknown`` -> ``succeeded`` with the API's result; clears ``error``."""
        ...

    async def mark_failed(self, idempotency_key: str, error: str) -> bool:
        """``pending``/``sending``/``unknown`` -> ``failed`` with the reason."""
        ...

    async def mark_unknown(self, idempotency_key: str, error: str) -> bool:
        """``sending`` -> ``unknown``: the outcome must be settled by evidence."""
        ...

    async def mark_contested(self, idempotency_key: str, error: str) -> bool:
        """``sending``/``unknown`` -> ``contested``: the evidence contradicts itself; an operator decides."""
        ...

    async def list_settled_since(self, since: datetime) -> list[Intent]:
        """Return the intents settled (``succeeded``, ``failed``, ``contested``) at or after ``since``."""
        ...

    async def list_by_status(self, status: IntentStatus) -> list[Intent]:
        """Return the intents in ``status``, oldest first."""
        ...

    async def list_for_owner(self, owner: UserRef) -> list[Intent]:
        """Return ``owner``'s intents, newest first."""
        ...

    async def count_by_status(self) -> dict[IntentStatus, int]:
        """How many intents are in each status (statuses without intents may be left out)."""
        ...


class AuditLog(Protocol):
    """Append-only record of who did what."""

    async def record(self, actor: str, action: str, target: str, details: JsonObject, result: str) -> None:
        """Append an entry stamped with the current time."""
        ...

    async def list(self, target: str | None = None, limit: int = 50) -> builtins.list[AuditEntry]:
        """Return up to ``limit`` entries (all targets, or one), newest first."""
        ...


class SnapshotStore(Protocol):
    """Named blobs of JSON text: the scheduler's last seen state of the account."""

    async def save_snapshot(self, name: str, data: str) -> None:
        """Store ``data`` under ``name``, replacing what was there."""
        ...

    async def load_snapshot(self, name: str) -> str | None:
        """Return the data saved under ``name``, or ``None``."""
        ...


class LeaseRepository(Protocol):
    """Named, expiring locks, so that two scans (or replicas) never overlap."""

    async def try_acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        """Take or renew the lease ``name`` until ``now + ttl_seconds``.

        Succeeds if the lease is free, expired (``expires_at <= now``) or
        already held by ``holder`` (renewal); returns ``False`` otherwise.
        """
        ...

    async def release_lease(self, name: str, holder: str) -> bool:
        """Release the lease if ``holder`` holds it; return whether it did."""
        ...


class AlertRepository(SnapshotStore, LeaseRepository, Protocol):
    """Exactly-once alerts and their per-destination deliveries.

    Also the scheduler's snapshot store and leases (the same object is
    exposed as ``Storage.snapshots`` and ``Storage.leases``).
    """

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
        """Insert the alert and one ``pending`` delivery per destination, atomically.

        Deliveries are due at ``due_at`` (default: at once); one marked
        delivered before then is never sent. Duplicate destinations are stored once.
        Returns ``False``, changing nothing, if ``key`` was claimed before.
        """
        ...

    async def claim_many(self, claims: Iterable[AlertClaim]) -> builtins.set[str]:
        """Claim each alert as :meth:`claim` would; return the keys this call claimed.

        Alerts go in transactions of up to
        :data:`~bot.storage.validation.CLAIM_CHUNK` each, not one per alert. A key
        claimed before is skipped, and so is a key repeated in ``claims`` (its first
        occurrence is the one claimed); concurrent claims of one key, by this
        call or any other, claim it once. Every payload is checked before
        anything is stored (``TypeError``: nothing claimed). A storage error
        may leave earlier chunks claimed; claiming them again skips them.
        """
        ...

    async def get(self, key: str) -> Alert | None:
        """Return the alert, or ``None``."""
        ...

    async def deliveries(self, key: str) -> builtins.list[Delivery]:
        """Return the alert's deliveries in the order of its destinations."""
        ...

    async def due_deliveries(self, now: datetime, limit: int) -> builtins.list[Delivery]:
        """Return up to ``limit`` ``pending``/``failed`` deliveries due at ``now``, earliest first."""
        ...

    async def mark_delivered(self, alert_key: str, destination: str) -> bool:
        """``pending``/``failed`` -> ``sent``, counting the attempt."""
        ...

    async def mark_delivery_failed(
        self, alert_key: str, destination: str, error: str, retry_at: datetime | None
    ) -> bool:
        """``pending``/``failed`` -> ``failed``, counting the attempt.

        The delivery is due again at ``retry_at``; ``None`` gives up on it.
        """
        ...

    async def mark_delivery_blocked(self, alert_key: str, destination: str, error: str) -> bool:
        """``pending``/``failed`` -> ``blocked`` (the recipient refuses messages), counting the attempt."""
        ...

    async def delivery_backlog(self, now: datetime) -> DeliveryBacklog:
        """How many deliveries are still to be sent, and since when the most overdue one is due."""
        ...


class DedupRepository(Protocol):
    """Remembers keys for a while to drop duplicate deliveries (Slack retries, Telegram updates)."""

    async def seen_once(self, key: str, now: datetime, ttl_seconds: float) -> bool:
        """Return ``True`` the first time ``key`` is seen, ``False`` while it is remembered.

        A key is remembered until ``now + ttl_seconds``; after that it counts
        as new again (even before :meth:`purge`).
        """
        ...

    async def purge(self, before: datetime) -> int:
        """Forget keys whose time to live ended at or before ``before``; return how many."""
        ...


class InboxRepository(Protocol):
    """Updates kept from receipt until handled, so a crash mid-handling does not lose them.

    The receiver keeps each update before it confirms receipt to the platform
    (before the next ``getUpdates`` offset, before a webhook's 200); handling
    begins with :meth:`begin` and ends with :meth:`finish`. After a crash,
    :meth:`unfinished` lists what to handle again. A finished key also drops
    duplicate deliveries of the same update until :meth:`purge` forgets it.
    """

    async def receive(self, key: str, payload: str, now: datetime) -> bool:
        """Keep ``payload`` under ``key``: ``True`` if the key is new, ``False`` (no change) if known."""
        ...

    async def receive_many(self, entries: Sequence[tuple[str, str]], now: datetime) -> int:
        """Keep each ``(key, payload)`` of ``entries`` at once; return how many keys were new.

        The same as :meth:`receive` for each entry in order (a known key, even a
        finished one, is left unchanged; a key repeated in ``entries`` keeps its
        first payload and counts once), but all in one transaction and, where
        the backend allows, one round trip: either every entry is kept or,
        when this raises, none of them.
        """
        ...

    async def begin(self, key: str, now: datetime) -> int | None:
        """Count an attempt at handling ``key`` and return its number (1 for the first).

        ``None`` when ``key`` has been finished already (a duplicate). An unknown
        key is recorded (without a payload) and this is its first attempt.
        """
        ...

    async def finish(self, key: str) -> None:
        """``key`` has been handled: drop its payload; later deliveries are duplicates."""
        ...

    async def unfinished(self, prefix: str) -> list[InboxEntry]:
        """Entries under keys starting with ``prefix`` not finished yet, oldest first."""
        ...

    async def take(self, key: str, received_at: datetime, now: datetime) -> bool:
        """Take over unfinished ``key``, seen received at ``received_at``: it counts as received ``now``.

        ``False`` (no change) when it was finished, or taken by someone else
        since it was seen: of processes taking over one entry at once, one wins.
        """
        ...

    async def purge(self, before: datetime) -> int:
        """Forget finished entries received at or before ``before``; return how many."""
        ...


class NumberEventsRepository(Protocol):
    """What arrives on the account's numbers: the SMS kept for a while, and each number's switches.

    Numbers are stored as digits (a leading ``+`` is dropped).
    """

    async def prefs(self, number: str) -> NumberPrefs:
        """The number's switches (the defaults when never set)."""
        ...

    async def set_prefs(
        self, number: str, *, sms_to_chat: bool | None = None, calls_to_chat: bool | None = None
    ) -> NumberPrefs:
        """Change the switches given (``None`` keeps one as it is); return them all."""
        ...

    async def add_sms(self, sms: ReceivedSms) -> bool:
        """Keep ``sms``; ``False`` (no change) when its ``key`` is kept already."""
        ...

    async def recent_sms(self, number: str, limit: int) -> builtins.list[ReceivedSms]:
        """The number's last ``limit`` SMS, newest first."""
        ...

    async def purge_sms(self, before: datetime) -> int:
        """Forget SMS received before ``before``; return how many."""
        ...


class Storage(ABC):
    """All repositories of one store, plus its lifetime.

    Use as ``async with await open_storage(url) as storage: ...`` or call
    :meth:`close` yourself.
    """

    conversations: ConversationRepository
    users: UserRepository
    ownership: OwnershipRepository
    intents: IntentRepository
    audit: AuditLog
    alerts: AlertRepository
    snapshots: SnapshotStore
    leases: LeaseRepository
    dedup: DedupRepository
    inbox: InboxRepository
    number_events: NumberEventsRepository

    @abstractmethod
    async def close(self) -> None:
        """Release the store's resources; calling it again does nothing."""

    @abstractmethod
    async def probe_write(self) -> None:
        """Make one small real write and commit it; raise if the store cannot take writes now.

        For ``/healthz``: a store that still reads may refuse every write (a
        read-only file system, a full disk, a failing device).
        """

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
