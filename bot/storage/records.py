"""Value and record types returned by the storage repositories.

All records are frozen dataclasses. Datetimes in them are aware and in UTC.
Dict fields (``params``, ``result``, ``details``, ``payload``) are fresh
copies: mutating one never changes what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

JsonObject = dict[str, Any]
"""A JSON-serialisable dict as stored by the repositories."""

IntentParams = dict[str, str | int]
"""The parameters of a money-spending operation (number, direction id, months...)."""


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person on a platform: ``UserRef("telegram", "12345")`` or ``UserRef("slack", "U0ABC")``."""

    platform: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Identifies one conversation: a user in a chat on a platform."""

    platform: str
    chat_id: str
    user_id: str

    @property
    def user(self) -> UserRef:
        """The user taking part in this conversation."""
        return UserRef(self.platform, self.user_id)

    def __str__(self) -> str:
        return f"{self.platform}:{self.chat_id}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A conversation's saved state.

    ``data`` is the state machine's JSON text, opaque to the storage.
    ``revision`` starts at 1 and grows by one on every save; pass it back as
    ``expected_revision`` to detect a concurrent writer.
    """

    key: ConversationKey
    data: str
    revision: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    """What the bot remembers about a person.

    ``chat_id`` is where alerts for them go (``None`` if never seen in a chat);
    ``language`` is a code such as ``"en"`` or ``"pl"`` (``None`` if unknown);
    ``blocked`` is set when the platform refuses delivery (Telegram 403),
    with ``blocked_at`` the moment it was last set.
    """

    platform: str
    user_id: str
    chat_id: str | None
    display_name: str | None
    language: str | None
    blocked: bool
    blocked_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def ref(self) -> UserRef:
        """This user's reference."""
        return UserRef(self.platform, self.user_id)


@dataclass(frozen=True, slots=True)
class NumberAssignment:
    """Who owns a virtual number, who gave it to them and when."""

    number: str
    owner: UserRef
    assigned_by: str
    assigned_at: datetime


class IntentKind(StrEnum):
    """The money-spending operations guarded by intents."""

    ORDER = "order"
    PROLONG = "prolong"


class IntentStatus(StrEnum):
    """Lifecycle of an intent.

    ``pending`` -> ``sending`` -> ``succeeded`` | ``failed`` | ``unknown``;
    ``unknown`` (the request may or may not have reached Zadarma) is settled
    by evidence to ``succeeded`` or ``failed``, or to ``contested`` when the
    evidence contradicts itself and an operator must decide. ``pending`` may
    also go straight to ``failed`` (rejected before sending).
    """

    PENDING = "pending"
    SENDING = "sending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CONTESTED = "contested"


ACTIVE_INTENT_STATUSES: tuple[IntentStatus, ...] = (
    IntentStatus.PENDING,
    IntentStatus.SENDING,
    IntentStatus.UNKNOWN,
)
"""While an intent is in one of these, its ``target`` is busy: no other intent may hold it."""


@dataclass(frozen=True, slots=True)
class Intent:
    """An exactly-once money-spending operation, keyed by its idempotency key.

    ``attempts`` counts the times it entered ``sending``; ``result`` is the
    API's answer after success; ``error`` describes the last failure or why
    the outcome is unknown.
    """

    key: str
    kind: IntentKind
    owner: UserRef
    params: IntentParams
    status: IntentStatus
    result: JsonObject | None
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    target: str | None = None

    @property
    def active(self) -> bool:
        """Whether the outcome is still open (``pending``, ``sending`` or ``unknown``)."""
        return self.status in ACTIVE_INTENT_STATUSES


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the append-only audit log.

    ``actor`` is who acted (e.g. ``"slack:U0ABC"``, ``"scheduler"``), ``target``
    what was acted on (e.g. a number), ``result`` a short outcome
    (``"ok"``, ``"error: ..."``). ``id`` grows with insertion order.
    """

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    details: JsonObject
    result: str


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert claimed for delivery; ``key`` makes it unique across restarts and replicas."""

    key: str
    kind: str
    number: str
    payload: JsonObject
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AlertClaim:
    """One alert for :meth:`~bot.storage.interfaces.AlertRepository.claim_many`: ``claim``'s arguments."""

    key: str
    kind: str
    number: str
    payload: JsonObject
    destinations: tuple[str, ...]
    due_at: datetime | None = None


class DeliveryStatus(StrEnum):
    """State of one alert's delivery to one destination.

    ``pending`` (not tried yet), ``failed`` (tried; retried at ``next_attempt_at``
    unless that is ``None``), ``sent`` and ``blocked`` (the recipient refuses
    messages) are final.
    """

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class DeliveryBacklog:
    """The alert outbox at a glance (for metrics).

    ``waiting``: deliveries still to be sent (``pending``, or ``failed`` with a
    retry planned), due or not; ``oldest_due_at``: the earliest ``next_attempt_at``
    among those already due, ``None`` when none is due.
    """

    waiting: int
    oldest_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One alert going to one destination such as ``"telegram:12345"`` or ``"slack:C0123"``.

    Carries its ``alert`` so a sender can render it without another query.
    ``next_attempt_at`` is when it is due (``None`` once final or given up).
    """

    alert: Alert
    destination: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    updated_at: datetime

    @property
    def alert_key(self) -> str:
        """The key of the alert being delivered."""
        return self.alert.key


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """An update received from a platform and kept until it has been handled."""

    key: str
    payload: str | None
    """The update as received (JSON text); ``None`` once handled, or when it was never kept."""
    attempts: int
    """How many times handling it has begun."""
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ReceivedSms:
    """An SMS that arrived on one of the account's numbers (``number`` and ``sender``: digits)."""

    key: str
    number: str
    sender: str
    text: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class NumberPrefs:
    """What a number's owner wants in their chat: its SMS (on by default) and its calls (off)."""

    number: str
    sms_to_chat: bool = True
    calls_to_chat: bool = False
