"""In-memory storage: the same contract as SQLite, kept in dicts.

For tests and the demo. Nothing survives :meth:`MemoryStorage.close`'s
process. Every method runs without awaiting, so each call is atomic with
respect to other asyncio tasks; no locks are needed.
"""

from __future__ import annotations

import builtins
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.storage.clock import Clock, utc_now
from bot.storage.codec import copy_json_object, decode_json_object, encode_json_object, ensure_utc
from bot.storage.errors import NotFoundError, StaleRevisionError, TargetBusyError
from bot.storage.interfaces import Storage
from bot.storage.records import (
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
from bot.storage.validation import (
    check_intent_kind,
    check_limit,
    check_revision,
    check_ttl,
    claim_chunks,
)


class _Clocked:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def _now(self) -> datetime:
        return ensure_utc(self._clock())


class MemoryConversations(_Clocked):
    """In-memory :class:`~bot.storage.interfaces.ConversationRepository`."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._rows: dict[ConversationKey, StoredConversation] = {}

    async def get(self, key: ConversationKey) -> StoredConversation | None:
        return self._rows.get(key)

    async def save(self, key: ConversationKey, data: str, expected_revision: int | None) -> int:
        check_revision(expected_revision)
        current = self._rows.get(key)
        actual = 0 if current is None else current.revision
        if expected_revision is not None and expected_revision != actual:
            raise StaleRevisionError(key, expected_revision, actual)
        self._rows[key] = StoredConversation(key, data, actual + 1, self._now())
        return actual + 1

    async def delete(self, key: ConversationKey) -> bool:
        return self._rows.pop(key, None) is not None

    async def count(self) -> int:
        return len(self._rows)


class MemoryUsers(_Clocked):
    """In-memory :class:`~bot.storage.interfaces.UserRepository`."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._rows: dict[UserRef, User] = {}

    async def get(self, user: UserRef) -> User | None:
        return self._rows.get(user)

    async def upsert(
        self,
        user: UserRef,
        *,
        chat_id: str | None = None,
        display_name: str | None = None,
        default_language: str | None = None,
    ) -> User:
        now = self._now()
        current = self._rows.get(user)
        if current is None:
            stored = User(
                user.platform, user.user_id, chat_id, display_name, default_language, False, None, now, now
            )
        else:
            stored = replace(
                current,
                chat_id=current.chat_id if chat_id is None else chat_id,
                display_name=current.display_name if display_name is None else display_name,
                language=current.language if current.language is not None else default_language,
                updated_at=now,
            )
        self._rows[user] = stored
        return stored

    async def set_language(self, user: UserRef, language: str) -> bool:
        current = self._rows.get(user)
        if current is None:
            return False
        self._rows[user] = replace(current, language=language, updated_at=self._now())
        return True

    async def mark_blocked(self, user: UserRef) -> bool:
        current = self._rows.get(user)
        if current is None:
            return False
        now = self._now()
        self._rows[user] = replace(current, blocked=True, blocked_at=now, updated_at=now)
        return True

    async def mark_unblocked(self, user: UserRef) -> bool:
        current = self._rows.get(user)
        if current is None:
            return False
        self._rows[user] = replace(current, blocked=False, updated_at=self._now())
        return True


class MemoryOwnership(_Clocked):
    """In-memory :class:`~bot.storage.interfaces.OwnershipRepository`."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._numbers: dict[str, NumberAssignment] = {}
        self._groups: dict[int, UserRef] = {}

    async def assign_number(self, number: str, owner: UserRef, assigned_by: str) -> None:
        self._numbers[number] = NumberAssignment(number, owner, assigned_by, self._now())

    async def owner_of_number(self, number: str) -> UserRef | None:
        assignment = self._numbers.get(number)
        return None if assignment is None else assignment.owner

    async def owners_of_numbers(self, numbers: Iterable[str]) -> dict[str, UserRef]:
        assignments = (self._numbers.get(number) for number in numbers)
        return {a.number: a.owner for a in assignments if a is not None}

    async def number_assignment(self, number: str) -> NumberAssignment | None:
        return self._numbers.get(number)

    async def numbers_of(self, owner: UserRef) -> list[str]:
        return sorted(a.number for a in self._numbers.values() if a.owner == owner)

    async def claim_number(self, number: str, owner: UserRef, assigned_by: str) -> UserRef:
        current = self._numbers.get(number)
        if current is not None:
            return current.owner
        self._numbers[number] = NumberAssignment(number, owner, assigned_by, self._now())
        return owner

    async def release_number(self, number: str) -> bool:
        return self._numbers.pop(number, None) is not None

    async def assign_group(self, group_id: int, owner: UserRef) -> None:
        self._groups[group_id] = owner

    async def owner_of_group(self, group_id: int) -> UserRef | None:
        return self._groups.get(group_id)

    async def groups_of(self, owner: UserRef) -> list[int]:
        return sorted(g for g, o in self._groups.items() if o == owner)

    async def release_group(self, group_id: int) -> bool:
        return self._groups.pop(group_id, None) is not None


def _copy_intent(intent: Intent) -> Intent:
    return replace(
        intent,
        params=copy_json_object(intent.params),
        result=None if intent.result is None else copy_json_object(intent.result),
    )


class MemoryIntents(_Clocked):
    """In-memory :class:`~bot.storage.interfaces.IntentRepository`."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._rows: dict[str, Intent] = {}  # insertion order = creation order

    async def create(
        self,
        idempotency_key: str,
        kind: IntentKind,
        owner: UserRef,
        params: IntentParams,
        *,
        target: str | None = None,
    ) -> tuple[Intent, bool]:
        kind = check_intent_kind(kind)
        params = copy_json_object(params)
        existing = self._rows.get(idempotency_key)
        if existing is not None:
            return _copy_intent(existing), False
        if target is not None:
            holder = self._holder(target)
            if holder is not None:
                raise TargetBusyError(target, holder.key)
        now = self._now()
        intent = Intent(
            key=idempotency_key,
            kind=kind,
            owner=owner,
            params=params,
            status=IntentStatus.PENDING,
            result=None,
            error=None,
            attempts=0,
            created_at=now,
            updated_at=now,
            target=target,
        )
        self._rows[idempotency_key] = intent
        return _copy_intent(intent), True

    def _holder(self, target: str) -> Intent | None:
        return next((i for i in self._rows.values() if i.target == target and i.active), None)

    async def get(self, idempotency_key: str) -> Intent | None:
        intent = self._rows.get(idempotency_key)
        return None if intent is None else _copy_intent(intent)

    async def active_for_target(self, target: str) -> Intent | None:
        holder = self._holder(target)
        return None if holder is None else _copy_intent(holder)

    def _transition(
        self,
        key: str,
        allowed: tuple[IntentStatus, ...],
        status: IntentStatus,
        *,
        result: JsonObject | None = None,
        error: str | None = None,
        count_attempt: bool = False,
    ) -> bool:
        current = self._rows.get(key)
        if current is None:
            raise NotFoundError(f"no intent with key {key!r}")
        if current.status not in allowed:
            return False
        self._rows[key] = replace(
            current,
            status=status,
            result=None if result is None else copy_json_object(result),
            error=error,
            attempts=current.attempts + (1 if count_attempt else 0),
            updated_at=self._now(),
        )
        return True

    async def mark_sending(self, idempotency_key: str) -> bool:
        return self._transition(
            idempotency_key, (IntentStatus.PENDING,), IntentStatus.SENDING, count_attempt=True
        )

    async def mark_succeeded(self, idempotency_key: str, result: JsonObject) -> bool:
        encode_json_object(result)  # reject what SQLite would reject, before changing anything
        return self._transition(
            idempotency_key,
            (IntentStatus.SENDING, IntentStatus.UNKNOWN),
            IntentStatus.SUCCEEDED,
            result=result,
        )

    async def mark_failed(self, idempotency_key: str, error: str) -> bool:
        return self._transition(
            idempotency_key,
            (IntentStatus.PENDING, IntentStatus.SENDING, IntentStatus.UNKNOWN),
            IntentStatus.FAILED,
            error=error,
        )

    async def mark_unknown(self, idempotency_key: str, error: str) -> bool:
        return self._transition(idempotency_key, (IntentStatus.SENDING,), IntentStatus.UNKNOWN, error=error)

    async def mark_contested(self, idempotency_key: str, error: str) -> bool:
        return self._transition(
            idempotency_key, (IntentStatus.SENDING, IntentStatus.UNKNOWN), IntentStatus.CONTESTED, error=error
        )

    async def list_settled_since(self, since: datetime) -> list[Intent]:
        since = ensure_utc(since)
        settled = (IntentStatus.SUCCEEDED, IntentStatus.FAILED, IntentStatus.CONTESTED)
        rows = [i for i in self._rows.values() if i.status in settled and i.updated_at >= since]
        return [_copy_intent(i) for i in sorted(rows, key=lambda i: i.updated_at)]

    async def list_by_status(self, status: IntentStatus) -> list[Intent]:
        status = IntentStatus(status)
        return [_copy_intent(i) for i in self._rows.values() if i.status == status]

    async def list_for_owner(self, owner: UserRef) -> list[Intent]:
        return [_copy_intent(i) for i in reversed(self._rows.values()) if i.owner == owner]

    async def count_by_status(self) -> dict[IntentStatus, int]:
        return dict(Counter(i.status for i in self._rows.values()))


class MemoryAudit(_Clocked):
    """In-memory :class:`~bot.storage.interfaces.AuditLog`."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._entries: list[AuditEntry] = []

    async def record(self, actor: str, action: str, target: str, details: JsonObject, result: str) -> None:
        entry = AuditEntry(
            len(self._entries) + 1, self._now(), actor, action, target, copy_json_object(details), result
        )
        self._entries.append(entry)

    async def list(self, target: str | None = None, limit: int = 50) -> builtins.list[AuditEntry]:
        check_limit(limit)
        matching = (e for e in reversed(self._entries) if target is None or e.target == target)
        return [replace(e, details=copy_json_object(e.details)) for e in itertools.islice(matching, limit)]


@dataclass(slots=True)
class _DeliveryRow:
    seq: int
    alert_key: str
    destination: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    updated_at: datetime


@dataclass(slots=True)
class _Lease:
    holder: str
    expires_at: datetime


class MemoryAlerts(_Clocked):
    """In-memory :class:`~bot.storage.interfaces.AlertRepository` (with snapshots and leases)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._alerts: dict[str, Alert] = {}
        self._deliveries: dict[tuple[str, str], _DeliveryRow] = {}
        self._seq = itertools.count(1)
        self._snapshots: dict[str, str] = {}
        self._leases: dict[str, _Lease] = {}

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
        payload = copy_json_object(payload)
        if key in self._alerts:
            return False
        self._insert(AlertClaim(key, kind, number, payload, tuple(destinations), due_at), self._now())
        return True

    async def claim_many(self, claims: Iterable[AlertClaim]) -> builtins.set[str]:
        chunks = claim_chunks(claims)
        now = self._now()
        claimed: builtins.set[str] = set()
        for claim, payload in itertools.chain.from_iterable(chunks):
            if claim.key not in self._alerts:
                self._insert(replace(claim, payload=decode_json_object(payload)), now)
                claimed.add(claim.key)
        return claimed

    def _insert(self, claim: AlertClaim, now: datetime) -> None:
        key = claim.key
        due = now if claim.due_at is None else ensure_utc(claim.due_at)
        self._alerts[key] = Alert(key, claim.kind, claim.number, claim.payload, now)
        for destination in dict.fromkeys(claim.destinations):
            self._deliveries[(key, destination)] = _DeliveryRow(
                next(self._seq), key, destination, DeliveryStatus.PENDING, 0, None, due, now
            )

    def _alert(self, key: str) -> Alert:
        alert = self._alerts[key]
        return replace(alert, payload=copy_json_object(alert.payload))

    def _delivery(self, row: _DeliveryRow) -> Delivery:
        return Delivery(
            self._alert(row.alert_key),
            row.destination,
            row.status,
            row.attempts,
            row.last_error,
            row.next_attempt_at,
            row.updated_at,
        )

    async def get(self, key: str) -> Alert | None:
        return self._alert(key) if key in self._alerts else None

    async def deliveries(self, key: str) -> builtins.list[Delivery]:
        rows = sorted((r for r in self._deliveries.values() if r.alert_key == key), key=lambda r: r.seq)
        return [self._delivery(r) for r in rows]

    async def due_deliveries(self, now: datetime, limit: int) -> builtins.list[Delivery]:
        now = ensure_utc(now)
        check_limit(limit)
        due = [
            r
            for r in self._deliveries.values()
            if r.status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
            and r.next_attempt_at is not None
            and r.next_attempt_at <= now
        ]
        due.sort(key=lambda r: (r.next_attempt_at, r.seq))
        return [self._delivery(r) for r in due[:limit]]

    def _finish_attempt(
        self,
        alert_key: str,
        destination: str,
        status: DeliveryStatus,
        error: str | None,
        next_attempt_at: datetime | None,
    ) -> bool:
        row = self._deliveries.get((alert_key, destination))
        if row is None:
            raise NotFoundError(f"no delivery of alert {alert_key!r} to {destination!r}")
        if row.status not in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
            return False
        row.status = status
        row.attempts += 1
        row.last_error = error
        row.next_attempt_at = next_attempt_at
        row.updated_at = self._now()
        return True

    async def mark_delivered(self, alert_key: str, destination: str) -> bool:
        return self._finish_attempt(alert_key, destination, DeliveryStatus.SENT, None, None)

    async def mark_delivery_failed(
        self, alert_key: str, destination: str, error: str, retry_at: datetime | None
    ) -> bool:
        retry_at = None if retry_at is None else ensure_utc(retry_at)
        return self._finish_attempt(alert_key, destination, DeliveryStatus.FAILED, error, retry_at)

    async def mark_delivery_blocked(self, alert_key: str, destination: str, error: str) -> bool:
        return self._finish_attempt(alert_key, destination, DeliveryStatus.BLOCKED, error, None)

    async def delivery_backlog(self, now: datetime) -> DeliveryBacklog:
        now = ensure_utc(now)
        waiting = [
            r.next_attempt_at
            for r in self._deliveries.values()
            if r.status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED) and r.next_attempt_at is not None
        ]
        return DeliveryBacklog(len(waiting), min((t for t in waiting if t <= now), default=None))

    async def save_snapshot(self, name: str, data: str) -> None:
        self._snapshots[name] = data

    async def load_snapshot(self, name: str) -> str | None:
        return self._snapshots.get(name)

    async def try_acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        now = ensure_utc(now)
        expires_at = now + timedelta(seconds=check_ttl(ttl_seconds))
        current = self._leases.get(name)
        if current is not None and current.holder != holder and current.expires_at > now:
            return False
        self._leases[name] = _Lease(holder, expires_at)
        return True

    async def release_lease(self, name: str, holder: str) -> bool:
        current = self._leases.get(name)
        if current is None or current.holder != holder:
            return False
        del self._leases[name]
        return True


class MemoryDedup:
    """In-memory :class:`~bot.storage.interfaces.DedupRepository`."""

    def __init__(self) -> None:
        self._expiry: dict[str, datetime] = {}

    async def seen_once(self, key: str, now: datetime, ttl_seconds: float) -> bool:
        now = ensure_utc(now)
        expires_at = now + timedelta(seconds=check_ttl(ttl_seconds))
        current = self._expiry.get(key)
        if current is not None and current > now:
            return False
        self._expiry[key] = expires_at
        return True

    async def purge(self, before: datetime) -> int:
        before = ensure_utc(before)
        expired = [k for k, e in self._expiry.items() if e <= before]
        for key in expired:
            del self._expiry[key]
        return len(expired)


class MemoryInbox:
    """In-memory :class:`~bot.storage.interfaces.InboxRepository`."""

    def __init__(self) -> None:
        self._entries: dict[str, InboxEntry] = {}
        self._finished: set[str] = set()

    async def receive(self, key: str, payload: str, now: datetime) -> bool:
        if key in self._entries:
            return False
        self._entries[key] = InboxEntry(key, payload, 0, ensure_utc(now))
        return True

    async def receive_many(self, entries: Sequence[tuple[str, str]], now: datetime) -> int:
        at = ensure_utc(now)
        new: dict[str, InboxEntry] = {}
        for key, payload in entries:
            if key not in self._entries and key not in new:
                new[key] = InboxEntry(key, payload, 0, at)
        self._entries.update(new)  # all at once: nothing is kept if an entry above failed
        return len(new)

    async def begin(self, key: str, now: datetime) -> int | None:
        if key in self._finished:
            return None
        entry = self._entries.get(key) or InboxEntry(key, None, 0, ensure_utc(now))
        self._entries[key] = replace(entry, attempts=entry.attempts + 1)
        return entry.attempts + 1

    async def finish(self, key: str) -> None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries[key] = replace(entry, payload=None)
            self._finished.add(key)

    async def unfinished(self, prefix: str) -> list[InboxEntry]:
        found = [e for k, e in self._entries.items() if k.startswith(prefix) and k not in self._finished]
        return sorted(found, key=lambda e: (e.received_at, e.key))

    async def take(self, key: str, received_at: datetime, now: datetime) -> bool:
        entry = self._entries.get(key)
        if entry is None or key in self._finished or entry.received_at != ensure_utc(received_at):
            return False
        self._entries[key] = replace(entry, received_at=ensure_utc(now))
        return True

    async def purge(self, before: datetime) -> int:
        before = ensure_utc(before)
        old = [k for k in self._finished if self._entries[k].received_at <= before]
        for key in old:
            del self._entries[key]
            self._finished.discard(key)
        return len(old)


class MemoryNumberEvents:
    """In-memory :class:`~bot.storage.interfaces.NumberEventsRepository`."""

    def __init__(self) -> None:
        self._prefs: dict[str, NumberPrefs] = {}
        self._sms: dict[str, ReceivedSms] = {}

    async def prefs(self, number: str) -> NumberPrefs:
        digits = number.lstrip("+")
        return self._prefs.get(digits, NumberPrefs(digits))

    async def set_prefs(
        self, number: str, *, sms_to_chat: bool | None = None, calls_to_chat: bool | None = None
    ) -> NumberPrefs:
        current = await self.prefs(number)
        changed = replace(
            current,
            sms_to_chat=current.sms_to_chat if sms_to_chat is None else sms_to_chat,
            calls_to_chat=current.calls_to_chat if calls_to_chat is None else calls_to_chat,
        )
        self._prefs[current.number] = changed
        return changed

    async def add_sms(self, sms: ReceivedSms) -> bool:
        if sms.key in self._sms:
            return False
        self._sms[sms.key] = replace(
            sms,
            number=sms.number.lstrip("+"),
            sender=sms.sender.lstrip("+"),
            received_at=ensure_utc(sms.received_at),
        )
        return True

    async def recent_sms(self, number: str, limit: int) -> builtins.list[ReceivedSms]:
        digits = number.lstrip("+")
        found = [s for s in self._sms.values() if s.number == digits]
        found.sort(key=lambda s: (s.received_at, s.key), reverse=True)
        return found[: check_limit(limit)]

    async def purge_sms(self, before: datetime) -> int:
        before = ensure_utc(before)
        old = [k for k, s in self._sms.items() if s.received_at < before]
        for key in old:
            del self._sms[key]
        return len(old)


class MemoryStorage(Storage):
    """A :class:`~bot.storage.interfaces.Storage` kept in process memory."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self.conversations = MemoryConversations(clock)
        self.users = MemoryUsers(clock)
        self.ownership = MemoryOwnership(clock)
        self.intents = MemoryIntents(clock)
        self.audit = MemoryAudit(clock)
        self.alerts = self.snapshots = self.leases = MemoryAlerts(clock)
        self.dedup = MemoryDedup()
        self.inbox = MemoryInbox()
        self.number_events = MemoryNumberEvents()

    async def probe_write(self) -> None:
        """Memory always takes writes: nothing to check."""

    async def close(self) -> None:
        """Nothing to release; present for the :class:`Storage` contract."""
