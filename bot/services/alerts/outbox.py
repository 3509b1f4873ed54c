"""Sending claimed alerts: due deliveries in bounded batches, with backoff, under a lease.

A delivery row exists per (alert, destination) from the moment the alert is
claimed. :meth:`Outbox.deliver_due` takes the due ones (pending, or failed
and due again), hands each to the sink for its destination prefix and
records the outcome at once: ``sent``, ``blocked`` (never retried; a
customer is also marked blocked so later alerts skip them) or
``failed`` with the next attempt after an exponential backoff, until
``max_attempts`` have been made. One lease (shared by every replica) and one
in-process lock make sure a delivery is never handed to two sinks at once:
a delivery goes to its sink only while the lease surely outlasts the whole
(time-bounded) send.

The lease is short (``lease_ttl``, 20 s by default) and renewed by a
heartbeat while a round runs (:class:`~bot.services.alerts.lease.HeldLease`),
so a long round keeps it, and after a crash another replica (or the
restarted process) resumes delivering within ``lease_ttl`` plus the
scheduler's delivery interval: 30 s with the defaults.

The one window that cannot be closed without the platform's help: if the
process dies after the platform accepted a message and before ``sent`` is
written (a single local write), that delivery is sent again after restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.services.alerts.delivery import AlertMessage, AlertSink, DeliveryResult
from bot.services.alerts.drafts import AlertKind
from bot.services.alerts.lease import HeldLease
from bot.services.alerts.routing import AlertRoutes
from bot.storage import Delivery, Storage, UserRef

log = logging.getLogger("bot.services.alerts")

DELIVERY_LEASE = "alerts:deliver"
DEFAULT_LEASE_TTL = 20.0
DEFAULT_SEND_TIMEOUT = 12.0
SEND_SHARE_OF_TTL = 0.6
"""The share of a non-default ``lease_ttl`` that :meth:`OutboxSettings.for_lease_ttl` gives one send."""


class DeliveryObserver(Protocol):
    """Told about every delivery attempt's result (metrics); must not raise or block."""

    def delivery(self, platform: str, result: str) -> None:
        """``result``: ``sent``, ``blocked``, ``failed`` (retried later) or ``given_up``."""


class _LeaseLost(Exception):
    """The delivery lease cannot be shown to outlast the next send: stop the round."""


@dataclass(frozen=True)
class OutboxSettings:
    """Pacing and retry policy of the outbox.

    At most ``batch_size`` deliveries are read at a time and at most
    ``max_batches`` batches per :meth:`Outbox.deliver_due` call. A failed
    delivery is due again after ``base_backoff * 2 ** (attempts - 1)``
    seconds (at most ``max_backoff``, at least what the sink asked for) and is
    given up after ``max_attempts`` attempts. ``lease_ttl`` is the delivery
    lease's time to live: how long a crashed holder keeps others from
    delivering. ``send_timeout`` bounds one sink call (a timeout counts as a
    failure to retry); it must be shorter than two thirds of ``lease_ttl``,
    so the delivery lease never lapses while a message is being sent.
    """

    batch_size: int = 50
    max_batches: int = 20
    max_attempts: int = 12
    base_backoff: float = 30.0
    max_backoff: float = 6 * 3600.0
    lease_ttl: float = DEFAULT_LEASE_TTL
    send_timeout: float = DEFAULT_SEND_TIMEOUT

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.max_batches < 1 or self.max_attempts < 1:
            raise ValueError("batch_size, max_batches and max_attempts must be positive")
        if self.lease_ttl <= 0 or self.send_timeout <= 0:
            raise ValueError("lease_ttl and send_timeout must be positive")
        # a send starts only while the lease surely has more than send_timeout left; the heartbeat
        # renews it every third of its life, so more than two thirds are left: no wait for a renewal
        if self.send_timeout >= self.lease_ttl * 2 / 3:
            raise ValueError("send_timeout must be shorter than two thirds of lease_ttl")

    @classmethod
    def for_lease_ttl(cls, lease_ttl: float) -> OutboxSettings:
        """The defaults with another ``lease_ttl``, and a send timeout that fits in it."""
        return cls(lease_ttl=lease_ttl, send_timeout=min(DEFAULT_SEND_TIMEOUT, lease_ttl * SEND_SHARE_OF_TTL))

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        return float(min(self.max_backoff, self.base_backoff * 2 ** max(0, attempts - 1)))


class Outbox:
    """Delivers due alert deliveries through the sinks of ``routes``."""

    def __init__(
        self,
        storage: Storage,
        routes: AlertRoutes,
        *,
        clock: Callable[[], datetime],
        holder: str,
        settings: OutboxSettings | None = None,
        observer: DeliveryObserver | None = None,
    ) -> None:
        self._storage = storage
        self._observer = observer
        self._routes = routes
        self._sinks: Mapping[str, AlertSink] = routes.sinks
        self._clock = clock
        self._holder = holder
        self.settings = settings or OutboxSettings()
        self._lock = asyncio.Lock()
        # True when the last round stopped at ``max_batches`` with deliveries (possibly) left
        self.more_due = False

    async def deliver_due(self) -> int:
        """Deliver what is due now, in bounded batches; return how many were sent.

        Returns 0 at once when another task of this process or another
        replica is delivering.
        """
        if self._lock.locked():
            return 0
        async with self._lock:
            lease = HeldLease(
                self._storage.leases, DELIVERY_LEASE, self._holder, self.settings.lease_ttl, self._clock
            )
            if not await lease.acquire():
                return 0
            try:
                return await self._deliver_batches(lease)
            finally:
                await lease.release()

    async def _deliver_batches(self, lease: HeldLease) -> int:
        sent = 0
        self.more_due = False
        for _ in range(self.settings.max_batches):
            due = await self._storage.alerts.due_deliveries(self._clock(), self.settings.batch_size)
            for delivery in due:
                try:
                    if await self._deliver_one(delivery, lease):
                        sent += 1
                except _LeaseLost:
                    log.warning("alert delivery lease lost; stopping this round")
                    return sent
            if len(due) < self.settings.batch_size:
                return sent
        self.more_due = True
        return sent

    async def _secure(self, lease: HeldLease) -> None:
        """Make sure the lease outlasts one whole send (renewing it first if needed), else raise."""
        timeout = self.settings.send_timeout
        if lease.remaining() > timeout:
            return
        if not await lease.renew() or lease.remaining() <= timeout:
            raise _LeaseLost

    async def _deliver_one(self, delivery: Delivery, lease: HeldLease) -> bool:
        key, destination = delivery.alert_key, delivery.destination
        prefix, _, target = destination.partition(":")
        sink = self._sinks.get(prefix)
        if sink is None or not target:
            await self._failed(delivery, f"no sink for {prefix!r}", 0.0)
            return False
        if alert_kind(delivery.alert.kind) is None:  # written by another version: nobody can render it
            await self._storage.alerts.mark_delivery_failed(key, destination, "unknown alert kind", None)
            self._observe(prefix, "given_up")
            return False
        message = await self._message(delivery, prefix, target)
        if message is None:
            await self._storage.alerts.mark_delivery_blocked(key, destination, "the user has blocked the bot")
            self._observe(prefix, "blocked")
            return False
        await self._secure(lease)
        try:
            async with asyncio.timeout(self.settings.send_timeout):
                result = await sink.deliver(target, message)
        except TimeoutError:
            result = DeliveryResult.retry(0.0, "the sink timed out")
        except Exception as exc:  # a sink bug must not stop the other deliveries
            log.exception("alert sink failed", extra={"destination": prefix, "alert": key})
            result = DeliveryResult.retry(0.0, f"sink error: {type(exc).__name__}")
        if result.outcome == "sent":
            await self._storage.alerts.mark_delivered(key, destination)
            self._observe(prefix, "sent")
            return True
        if result.outcome == "blocked":
            await self._storage.alerts.mark_delivery_blocked(key, destination, result.error or "blocked")
            self._observe(prefix, "blocked")
            if self._routes.addresses_people(prefix):
                await self._storage.users.mark_blocked(UserRef(prefix, target))
            return False
        await self._failed(delivery, result.error or "not delivered", result.after_seconds)
        return False

    async def _message(self, delivery: Delivery, prefix: str, target: str) -> AlertMessage | None:
        """The message for one delivery; ``None`` when the customer is known to block the bot."""
        alert = delivery.alert
        language = chat_id = None
        if self._routes.addresses_people(prefix):
            user = await self._storage.users.get(UserRef(prefix, target))
            if user is not None:
                if user.blocked:
                    return None
                language, chat_id = user.language, user.chat_id
        payload = alert.payload
        raw_params = payload.get("params")
        params = {str(k): str(v) for k, v in raw_params.items()} if isinstance(raw_params, dict) else {}
        actions = payload.get("actions")
        return AlertMessage(
            key=alert.key,
            kind=AlertKind(alert.kind),
            number=alert.number or None,
            params=params,
            actions=tuple(str(a) for a in actions) if isinstance(actions, list) else (),
            language=language,
            chat_id=chat_id,
            created_at=alert.created_at,
        )

    async def _failed(self, delivery: Delivery, error: str, after_seconds: float) -> None:
        attempts = delivery.attempts + 1
        retry_at: datetime | None = None
        if attempts < self.settings.max_attempts:
            wait = max(after_seconds, self.settings.backoff(attempts))
            retry_at = self._clock() + timedelta(seconds=wait)
        else:
            log.error(
                "alert delivery given up",
                extra={"alert": delivery.alert_key, "destination": delivery.destination, "error": error},
            )
        await self._storage.alerts.mark_delivery_failed(
            delivery.alert_key, delivery.destination, error, retry_at
        )
        self._observe(delivery.destination.partition(":")[0], "failed" if retry_at else "given_up")

    def _observe(self, prefix: str, result: str) -> None:
        if self._observer is not None:
            # a destination written by another version may name any prefix: keep the label set small
            self._observer.delivery(prefix if prefix in self._sinks else "unknown", result)


def alert_kind(value: str) -> AlertKind | None:
    """The :class:`AlertKind` named ``value``, or ``None`` for a kind this version does not know."""
    try:
        return AlertKind(value)
    except ValueError:
        return None
