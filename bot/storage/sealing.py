"""Conversation states encrypted at rest (AES-256-GCM), below an unaware engine.

A saved conversation can hold a document form's answers (surname, ID number,
address...) until the document group is created. :class:`SealedConversations`
wraps a :class:`~bot.storage.interfaces.ConversationRepository` and stores
every state as ``sealed:v1:<key id>:<base64(nonce + ciphertext)>``, the
conversation key bound in as associated data (a row copied onto another
user's does not open). The engine reads and writes plain JSON as before.

Keys are 32 random bytes in URL-safe base64 (:func:`new_key_text`). The
current key seals; the old ones (:class:`StateKeys`) only open, so a key is
rotated by setting the new one and naming the old one as old: the start-up
pass :func:`reseal_conversations` rewrites every row under the current key,
after which the old key can be dropped. A row sealed with a key that is not
given stops the start with one line (:class:`StateKeyError`).

The same keys seal what a customer receives on their numbers: each SMS's
sender and text in the history (:class:`SealedNumberEvents`) and the
``from``/``text`` values of alerts in the outbox (:class:`SealedAlerts`), so
neither an SMS nor who sent it lies in the database in plain text.

When a save replaces a state that held secrets (``holds_secrets``) with one
that does not, or deletes it, the repository's ``purge`` runs, so that no
copy of the old ciphertext is left in the database's journal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.storage.errors import StorageError
from bot.storage.interfaces import (
    AlertRepository,
    ConversationRepository,
    InboxRepository,
    NumberEventsRepository,
)
from bot.storage.records import (
    Alert,
    AlertClaim,
    ConversationKey,
    Delivery,
    DeliveryBacklog,
    InboxEntry,
    JsonObject,
    NumberPrefs,
    ReceivedSms,
    StoredConversation,
)

log = logging.getLogger("bot.storage.sealing")

KEY_BYTES = 32
NONCE_BYTES = 12
PREFIX = "sealed:v1:"
KEY_FORMAT = "32 random bytes in URL-safe base64 (44 characters)"


class StateKeyError(StorageError):
    """The state encryption key is malformed, or cannot open the saved conversations (one line)."""


class UnsealError(StorageError):
    """One stored state cannot be opened: sealed with an unknown key, or altered."""


def new_key_text() -> str:
    """A fresh random key as stored in ``STATE_ENCRYPTION_KEY`` or the key file."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(text: str) -> bytes:
    """The 32 key bytes from their base64 text; ``ValueError`` (never quoting the text) otherwise."""
    cleaned = text.strip()
    try:
        raw = base64.urlsafe_b64decode(cleaned.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValueError(f"must be {KEY_FORMAT}") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"must be {KEY_FORMAT}")
    return raw


def key_id(key: bytes) -> str:
    """A short public name of a key (a hash prefix): which key sealed a row, without revealing it."""
    return hashlib.sha256(b"zadarma-bot state key\0" + key).hexdigest()[:12]


@dataclass(frozen=True)
class StateKeys:
    """The key that seals (``current``) and the earlier ones that may still open rows (``old``)."""

    current: bytes
    old: tuple[bytes, ...] = ()

    def __repr__(self) -> str:
        return f"StateKeys(current={key_id(self.current)}, old={[key_id(k) for k in self.old]})"


def _associated(key: ConversationKey) -> bytes:
    return "\0".join((key.platform, key.chat_id, key.user_id)).encode("utf-8")


class StateCipher:
    """Seals and opens conversation states with :class:`StateKeys`."""

    def __init__(self, keys: StateKeys) -> None:
        self.current_id = key_id(keys.current)
        self._current = AESGCM(keys.current)
        self._by_id = {key_id(k): AESGCM(k) for k in (*keys.old, keys.current)}

    def seal(self, key: ConversationKey, plain: str) -> str:
        """``plain`` encrypted under the current key, bound to ``key``."""
        return self.seal_bound(_associated(key), plain)

    def open(self, key: ConversationKey, stored: str) -> str:
        """The plain state; text that is not sealed (written before encryption) is returned as it is.

        Raises :class:`UnsealError` for an unknown key or a row that does not authenticate.
        """
        return self.open_bound(_associated(key), stored)

    def seal_bound(self, associated: bytes, plain: str) -> str:
        """``plain`` encrypted under the current key, bound to ``associated`` (e.g. a row's key)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, plain.encode("utf-8"), associated)
        return f"{PREFIX}{self.current_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def open_bound(self, associated: bytes, stored: str) -> str:
        """Like :meth:`open`, for text sealed with :meth:`seal_bound`."""
        if not stored.startswith(PREFIX):
            return stored
        kid, _, body = stored[len(PREFIX) :].partition(":")
        aead = self._by_id.get(kid)
        if aead is None:
            raise UnsealError(f"sealed with the unknown key {kid}")
        try:
            raw = base64.b64decode(body, validate=True)
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated).decode("utf-8")
        except (binascii.Error, ValueError, InvalidTag):
            raise UnsealError(f"does not authenticate under the key {kid}") from None

    def is_current(self, stored: str) -> bool:
        """Whether ``stored`` is sealed under the current key (nothing to re-encrypt)."""
        return stored.startswith(f"{PREFIX}{self.current_id}:")


def sealed_key_id(stored: str) -> str | None:
    """The id of the key a stored state is sealed with (``None`` when it is not sealed)."""
    if not stored.startswith(PREFIX):
        return None
    return stored[len(PREFIX) :].partition(":")[0]


WRITTEN_KEPT = 256
"""Conversations whose last state this process sealed are read back without decrypting, at most this many."""


class SealedConversations:
    """A :class:`ConversationRepository` that keeps every state encrypted in ``inner``.

    The sealed text and plain state of the last :data:`WRITTEN_KEPT` saves are
    remembered: reading back a row that still holds exactly the text this
    process sealed for that key gives the plain state without decrypting it
    (a row rewritten by another process or by re-encryption, or moved from
    another key, never matches and is opened as usual).
    """

    def __init__(
        self,
        inner: ConversationRepository,
        cipher: StateCipher,
        *,
        holds_secrets: Callable[[str], bool] | None = None,
        purge: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """``holds_secrets`` tells whether a plain state holds secrets; ``purge`` wipes replaced copies."""
        self._inner = inner
        self._cipher = cipher
        self._holds_secrets = holds_secrets
        self._purge = purge
        self._holding: set[ConversationKey] = set()
        self._written: OrderedDict[ConversationKey, tuple[str, str]] = OrderedDict()

    async def get(self, key: ConversationKey) -> StoredConversation | None:
        stored = await self._inner.get(key)
        if stored is None:
            return None
        written = self._written.get(key)
        if written is not None and written[0] == stored.data:
            # What this process sealed for this key (its nonce makes it unique): the plain state is
            # known, and was noted when saved.
            return StoredConversation(stored.key, written[1], stored.revision, stored.updated_at)
        try:
            plain = self._cipher.open(key, stored.data)
        except UnsealError as exc:
            # Empty data is unreadable for the engine: it starts this conversation over and says so.
            log.warning("a saved conversation cannot be decrypted (%s); starting it over", exc)
            plain = ""
        self._note(key, plain)
        return StoredConversation(stored.key, plain, stored.revision, stored.updated_at)

    async def save(self, key: ConversationKey, data: str, expected_revision: int | None) -> int:
        sealed = self._cipher.seal(key, data)
        revision = await self._inner.save(key, sealed, expected_revision)
        self._written[key] = (sealed, data)
        self._written.move_to_end(key)
        if len(self._written) > WRITTEN_KEPT:
            self._written.popitem(last=False)
        if self._note(key, data):
            await self._wipe()
        return revision

    async def delete(self, key: ConversationKey) -> bool:
        existed = await self._inner.delete(key)
        self._written.pop(key, None)
        if existed and key in self._holding:
            self._holding.discard(key)
            await self._wipe()
        return existed

    async def count(self) -> int:
        return await self._inner.count()

    def _note(self, key: ConversationKey, plain: str) -> bool:
        """Track which conversations hold secrets; True when ``key`` just stopped holding them."""
        if self._holds_secrets is None:
            return False
        if self._holds_secrets(plain):
            self._holding.add(key)
            return False
        if key in self._holding:
            self._holding.discard(key)
            return True
        return False

    async def _wipe(self) -> None:
        if self._purge is None:
            return
        try:
            await self._purge()
        except Exception as exc:  # the state is saved; a failed wipe is retried at the next one
            log.warning("could not wipe replaced conversation data: %s", type(exc).__name__)


class RawConversationRows(Protocol):
    """What the re-encryption pass needs from a store: the rows as stored, and a guarded rewrite."""

    async def rows_not_sealed_with(self, kid: str) -> Sequence[tuple[ConversationKey, str]]:
        """Every (key, stored data) not sealed under the key ``kid``."""
        ...

    async def replace_data(self, key: ConversationKey, old: str, new: str) -> bool:
        """Set the row's data to ``new`` if it still is ``old`` (revision unchanged); True if it was."""
        ...


async def reseal_conversations(rows: RawConversationRows, cipher: StateCipher, where: str) -> int:
    """Re-encrypt under the current key every row that is plain or sealed with an old key.

    Returns how many rows were rewritten. Raises :class:`StateKeyError` (one
    line naming ``where`` and the key ids, never a key) when some row was
    sealed with a key that is neither current nor old; nothing is rewritten then.
    """
    pending = await rows.rows_not_sealed_with(cipher.current_id)
    unknown: dict[str, int] = {}
    opened: list[tuple[ConversationKey, str, str]] = []
    for key, stored in pending:
        try:
            opened.append((key, stored, cipher.open(key, stored)))
        except UnsealError:
            kid = sealed_key_id(stored) or "?"
            unknown[kid] = unknown.get(kid, 0) + 1
    if unknown:
        count = sum(unknown.values())
        ids = ", ".join(sorted(unknown))
        raise StateKeyError(
            f"STATE_ENCRYPTION_KEY (key id {cipher.current_id}) cannot decrypt {count} saved "
            f"conversation(s) in {where}, sealed with key id {ids}: set STATE_ENCRYPTION_KEY to the key "
            "they were written with, or add that key to STATE_ENCRYPTION_OLD_KEYS"
        )
    rewritten = 0
    for key, stored, plain in opened:
        if await rows.replace_data(key, stored, cipher.seal(key, plain)):
            rewritten += 1
    return rewritten


class SealedInbox:
    """An :class:`InboxRepository` that keeps received updates (a customer's typed answers) encrypted."""

    def __init__(self, inner: InboxRepository, cipher: StateCipher) -> None:
        self._inner = inner
        self._cipher = cipher

    async def receive(self, key: str, payload: str, now: datetime) -> bool:
        return await self._inner.receive(key, self._cipher.seal_bound(_inbox_bound(key), payload), now)

    async def receive_many(self, entries: Sequence[tuple[str, str]], now: datetime) -> int:
        sealed = [(key, self._cipher.seal_bound(_inbox_bound(key), payload)) for key, payload in entries]
        return await self._inner.receive_many(sealed, now)

    async def begin(self, key: str, now: datetime) -> int | None:
        return await self._inner.begin(key, now)

    async def finish(self, key: str) -> None:
        await self._inner.finish(key)

    async def unfinished(self, prefix: str) -> list[InboxEntry]:
        opened: list[InboxEntry] = []
        for entry in await self._inner.unfinished(prefix):
            payload = entry.payload
            if payload is not None:
                try:
                    payload = self._cipher.open_bound(_inbox_bound(entry.key), payload)
                except UnsealError as exc:
                    log.warning("a kept update cannot be decrypted (%s)", exc)
                    payload = None  # given up by the receiver, like one never kept
            opened.append(replace(entry, payload=payload))
        return opened

    async def take(self, key: str, received_at: datetime, now: datetime) -> bool:
        return await self._inner.take(key, received_at, now)

    async def purge(self, before: datetime) -> int:
        return await self._inner.purge(before)


def _inbox_bound(key: str) -> bytes:
    return b"inbox\0" + key.encode("utf-8")


class SealedNumberEvents:
    """A :class:`NumberEventsRepository` that keeps each SMS's sender and text encrypted."""

    def __init__(self, inner: NumberEventsRepository, cipher: StateCipher) -> None:
        self._inner = inner
        self._cipher = cipher

    async def prefs(self, number: str) -> NumberPrefs:
        return await self._inner.prefs(number)

    async def set_prefs(
        self, number: str, *, sms_to_chat: bool | None = None, calls_to_chat: bool | None = None
    ) -> NumberPrefs:
        return await self._inner.set_prefs(number, sms_to_chat=sms_to_chat, calls_to_chat=calls_to_chat)

    async def add_sms(self, sms: ReceivedSms) -> bool:
        sealed = replace(
            sms,
            sender=self._cipher.seal_bound(_sms_bound(sms.key, "sender"), sms.sender.lstrip("+")),
            text=self._cipher.seal_bound(_sms_bound(sms.key, "text"), sms.text),
        )
        return await self._inner.add_sms(sealed)

    async def recent_sms(self, number: str, limit: int) -> list[ReceivedSms]:
        opened: list[ReceivedSms] = []
        for sms in await self._inner.recent_sms(number, limit):
            try:
                sender = self._cipher.open_bound(_sms_bound(sms.key, "sender"), sms.sender)
                text = self._cipher.open_bound(_sms_bound(sms.key, "text"), sms.text)
            except UnsealError as exc:
                log.warning("a kept SMS cannot be decrypted (%s); not listed", exc)
                continue
            opened.append(replace(sms, sender=sender, text=text))
        return opened

    async def purge_sms(self, before: datetime) -> int:
        return await self._inner.purge_sms(before)


def _sms_bound(key: str, part: str) -> bytes:
    return b"sms\0" + part.encode("ascii") + b"\0" + key.encode("utf-8")


SEALED_ALERT_PARAMS = ("from", "text")
"""Alert values that are a customer's correspondence (an SMS's text, who sent it or called)."""


class SealedAlerts:
    """An :class:`AlertRepository` whose payloads keep :data:`SEALED_ALERT_PARAMS` encrypted.

    Everything delivery needs stays readable to it (:meth:`get` and the
    deliveries, which carry their alert, open them);
    kinds, numbers and the rest of the payload are stored as they are.
    """

    def __init__(self, inner: AlertRepository, cipher: StateCipher) -> None:
        self._inner = inner
        self._cipher = cipher

    def _params(self, key: str, payload: JsonObject, change: Callable[[bytes, str], str]) -> JsonObject:
        params = payload.get("params")
        if not isinstance(params, dict) or not any(
            isinstance(params.get(n), str) for n in SEALED_ALERT_PARAMS
        ):
            return payload
        changed = dict(params)
        for name in SEALED_ALERT_PARAMS:
            value = params.get(name)
            if isinstance(value, str):
                changed[name] = change(_alert_bound(key, name), value)
        return {**payload, "params": changed}

    async def claim(
        self,
        key: str,
        kind: str,
        number: str,
        payload: JsonObject,
        destinations: list[str],
        *,
        due_at: datetime | None = None,
    ) -> bool:
        sealed = self._params(key, payload, self._cipher.seal_bound)
        return await self._inner.claim(key, kind, number, sealed, destinations, due_at=due_at)

    async def claim_many(self, claims: Iterable[AlertClaim]) -> set[str]:
        sealed = (replace(c, payload=self._params(c.key, c.payload, self._cipher.seal_bound)) for c in claims)
        return await self._inner.claim_many(sealed)

    async def get(self, key: str) -> Alert | None:
        alert = await self._inner.get(key)
        return self._open(alert) if alert is not None else None

    def _open(self, alert: Alert) -> Alert:
        key = alert.key
        try:
            return replace(alert, payload=self._params(key, alert.payload, self._cipher.open_bound))
        except UnsealError as exc:
            log.warning("an alert's sealed values cannot be decrypted (%s)", exc)
            blanked = self._params(key, alert.payload, lambda _bound, _value: "—")
            return replace(alert, payload=blanked)

    async def deliveries(self, key: str) -> list[Delivery]:
        return [replace(d, alert=self._open(d.alert)) for d in await self._inner.deliveries(key)]

    async def due_deliveries(self, now: datetime, limit: int) -> list[Delivery]:
        return [replace(d, alert=self._open(d.alert)) for d in await self._inner.due_deliveries(now, limit)]

    async def mark_delivered(self, alert_key: str, destination: str) -> bool:
        return await self._inner.mark_delivered(alert_key, destination)

    async def mark_delivery_failed(
        self, alert_key: str, destination: str, error: str, retry_at: datetime | None
    ) -> bool:
        return await self._inner.mark_delivery_failed(alert_key, destination, error, retry_at)

    async def mark_delivery_blocked(self, alert_key: str, destination: str, error: str) -> bool:
        return await self._inner.mark_delivery_blocked(alert_key, destination, error)

    async def delivery_backlog(self, now: datetime) -> DeliveryBacklog:
        return await self._inner.delivery_backlog(now)

    async def save_snapshot(self, name: str, data: str) -> None:
        await self._inner.save_snapshot(name, data)

    async def load_snapshot(self, name: str) -> str | None:
        return await self._inner.load_snapshot(name)

    async def try_acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        return await self._inner.try_acquire_lease(name, holder, ttl_seconds, now)

    async def release_lease(self, name: str, holder: str) -> bool:
        return await self._inner.release_lease(name, holder)


def _alert_bound(key: str, name: str) -> bytes:
    return b"alert\0" + name.encode("ascii") + b"\0" + key.encode("utf-8")
