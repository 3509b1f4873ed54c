"""The alert scheduler: scan the account, claim what is due, deliver it.

A scan reads ``info/timezone``, ``direct_numbers`` (one call for the whole
account) and ``info/balance``, plus ``checking-wrongs`` once per document
group of the numbers that just entered ``checking_upload``. It compares the
account with the snapshot stored by the previous scan
(:func:`~bot.services.alerts.rules.due_alerts`), claims every due alert in
storage in one batch (a key claimed before is skipped, so a repeated scan sends
nothing twice; the owners of the numbers are read at once too) and only then
stores the new snapshot. A crash anywhere in between
repeats the scan against the same previous snapshot, producing the same keys.

One scan runs at a time: an in-process lock for tasks of this process and a
storage lease for replicas, short (``scan_lease_ttl``) and renewed by a
heartbeat while the scan runs, so a slow scan keeps it and a crashed
scanner's replica takes over within that time. Delivery is the :class:`~bot.services.alerts.outbox.Outbox`'s
job. :class:`AlertScheduler` is also a runtime part (``bot.runtime.Part``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from bot.services.alerts.drafts import TEAM_ONLY, AlertDraft
from bot.services.alerts.lease import HeldLease
from bot.services.alerts.outbox import DeliveryObserver, Outbox, OutboxSettings
from bot.services.alerts.rejections import RejectionFinder
from bot.services.alerts.routing import AlertRoutes
from bot.services.alerts.rules import due_alerts, entering_upload
from bot.services.alerts.snapshot import Snapshot, SnapshotError
from bot.services.waiting import stop_task, wait_event
from bot.storage import AlertClaim, Storage, User, UserRef, utc_now
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.errors import ZadarmaError

if TYPE_CHECKING:
    from aiohttp import web

    from bot.config import Settings

log = logging.getLogger("bot.services.alerts")
T = TypeVar("T")

SNAPSHOT_NAME = "alerts:account"
SCAN_LEASE = "alerts:scan"
DEFAULT_LEAD_DAYS: tuple[int, ...] = (14, 7, 3, 1)
DEFAULT_SCAN_LEASE_TTL = 20.0
DEFAULT_DELIVERY_INTERVAL = 10.0
"""Seconds between delivery rounds (plus the lease's time to live: the longest stall after a crash)."""
UNHEALTHY_AFTER_FAILURES = 3


def default_lease_holder() -> str:
    """A holder name unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class ScanReport:
    """What one :meth:`AlertScheduler.scan_once` did.

    ``skipped`` is ``"busy"`` (this process is scanning) or ``"lease"``
    (another replica is) when nothing was done. ``api_calls`` counts the
    Zadarma calls made; ``claimed`` the new alerts, ``duplicates`` those
    claimed before, ``undeliverable`` the due alerts with no destination.
    ``snapshot_saved`` is False when a newer snapshot or a lost lease
    prevented storing this one.
    """

    skipped: str | None = None
    first_scan: bool = False
    numbers: int = 0
    api_calls: int = 0
    drafts: int = 0
    claimed: int = 0
    duplicates: int = 0
    undeliverable: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    snapshot_saved: bool = False
    seconds: float = 0.0


class AlertScheduler:
    """Finds account events by scanning and sends each alert once (a runtime part named ``alerts``)."""

    def __init__(
        self,
        client: ZadarmaClient,
        storage: Storage,
        routes: AlertRoutes,
        *,
        interval: float = 900.0,
        lead_days: Iterable[int] = DEFAULT_LEAD_DAYS,
        digest_hour: int = 9,
        lease_holder: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        rates: Mapping[str, Decimal] | None = None,
        delivery_interval: float = DEFAULT_DELIVERY_INTERVAL,
        scan_lease_ttl: float = DEFAULT_SCAN_LEASE_TTL,
        outbox: OutboxSettings | None = None,
        required: bool = False,
        observer: DeliveryObserver | None = None,
    ) -> None:
        """Wire the scheduler.

        ``routes`` say which platforms alerts reach and whom they serve
        (:mod:`~bot.services.alerts.routing`): a number's alerts go to its owner
        on a customers' platform, and to every team destination; with no team
        destination there are no team alerts and no digest. ``interval`` is seconds
        between scans (``ALERT_INTERVAL``), ``lead_days`` the expiry lead times
        (``ALERT_DAYS``), ``digest_hour`` the account-local hour of the daily digest
        (``ALERT_DIGEST_HOUR``). ``clock`` is the machine clock used for
        leases and retries (the account's own clock comes from the API);
        ``rates`` convert fees in other currencies into the balance's.
        ``scan_lease_ttl`` and ``outbox.lease_ttl`` (``ALERT_LEASE_TTL``) bound
        how long a crashed replica holds up the others; ``delivery_interval``
        is the pause between delivery rounds. ``observer`` is told the
        result of every delivery attempt (metrics).
        """
        if not 0 <= digest_hour <= 23:
            raise ValueError("digest_hour must be from 0 to 23")
        self.name = "alerts"
        self.required = required
        self._client = client
        self._storage = storage
        self._routes = routes
        self._interval = interval
        self._lead_days = tuple(sorted({int(d) for d in lead_days}, reverse=True))
        if not self._lead_days or self._lead_days[-1] < 1:
            raise ValueError("lead_days must be positive whole days, at least one")
        self._digest_hour = digest_hour
        self._holder = lease_holder or default_lease_holder()
        self._clock = clock
        self._rates = dict(rates or {})
        self._delivery_interval = delivery_interval
        self._scan_lease_ttl = scan_lease_ttl
        self._rejections = RejectionFinder(client, storage)
        self._outbox = Outbox(
            storage, routes, clock=clock, holder=self._holder, settings=outbox, observer=observer
        )
        self._scan_lock = asyncio.Lock()
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failures = 0
        self._last_error: str | None = None
        self._last_scan_at: datetime | None = None
        self._last_report: ScanReport | None = None
        # the last snapshot stored, with its text's digest: the next scan's previous one unless
        # another replica stored one since (a large account's snapshot takes a second to parse)
        self._saved: tuple[bytes, Snapshot] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        client: ZadarmaClient,
        storage: Storage,
        routes: AlertRoutes,
        *,
        observer: DeliveryObserver | None = None,
    ) -> AlertScheduler:
        """A scheduler configured from the settings.

        Uses ``ALERT_INTERVAL``, ``ALERT_DAYS``, ``ALERT_DIGEST_HOUR`` and
        ``ALERT_LEASE_TTL``; the team's destinations come with ``routes``.
        """
        return cls(
            client,
            storage,
            routes,
            interval=settings.alert_interval,
            lead_days=settings.alert_lead_days,
            digest_hour=settings.alert_digest_hour,
            scan_lease_ttl=settings.alert_lease_ttl,
            outbox=OutboxSettings.for_lease_ttl(settings.alert_lease_ttl),
            observer=observer,
        )

    @property
    def lease_holder(self) -> str:
        """The name this scheduler holds leases under."""
        return self._holder

    # -- scanning ------------------------------------------------------------------

    async def scan_once(self) -> ScanReport:
        """Scan the account once and claim the alerts now due (see the module docstring).

        Returns at once with ``skipped`` set when a scan is already running
        here or in another replica. Zadarma and storage errors propagate;
        nothing is lost, the next scan repeats the work.
        """
        if self._scan_lock.locked():
            return ScanReport(skipped="busy")
        async with self._scan_lock:
            lease = HeldLease(
                self._storage.leases, SCAN_LEASE, self._holder, self._scan_lease_ttl, self._clock
            )
            if not await lease.acquire():
                return ScanReport(skipped="lease")
            started = time.perf_counter()
            try:
                report = await self._scan(lease)
            except Exception as exc:
                self._failures += 1
                self._last_error = f"{type(exc).__name__}: {exc}"[:300]
                raise
            finally:
                await lease.release()
            report.seconds = time.perf_counter() - started
            self._failures = 0
            self._last_error = None
            self._last_scan_at = self._clock()
            self._last_report = report
            log.info(
                "alerts scan",
                extra={
                    "numbers": report.numbers,
                    "claimed": report.claimed,
                    "api_calls": report.api_calls,
                    "ms": round(report.seconds * 1000, 1),
                },
            )
            return report

    async def _scan(self, lease: HeldLease) -> ScanReport:
        clock = await self._client.account_clock()
        records = await self._client.number_briefs()
        balance = await self._client.balance()
        report = ScanReport(numbers=len(records), api_calls=3)
        raw_previous = await self._storage.snapshots.load_snapshot(SNAPSHOT_NAME)
        previous_digest = _digest(raw_previous)
        previous = self._previous(raw_previous, previous_digest)
        del raw_previous  # a large account's text: only its digest is kept
        report.first_scan = previous is None
        drained = _drained(records)  # each brief let go of once it is a state
        current = Snapshot.from_account(drained, clock, balance)
        entered = entering_upload(previous, current)
        if entered:
            reasons, calls = await self._rejections.reasons(entered)
            report.api_calls += calls
            current = current.with_rejections(reasons)
        drafts = due_alerts(
            previous,
            current,
            balance,
            clock.now,
            self._lead_days,
            digest_hour=self._digest_hour if self._routes.team else None,
            rates=self._rates,
        )
        del previous  # a large account's snapshot: not kept while claiming and saving
        report.drafts = len(drafts)
        await self._claim(drafts, report)
        report.snapshot_saved = await self._save(current, previous_digest, lease)
        return report

    async def _claim(self, drafts: list[AlertDraft], report: ScanReport) -> None:
        """Claim every due alert that has a destination, in one batch; count the new ones."""
        owners = await self._owners(drafts)
        users: dict[UserRef, User | None] = {}  # read once per owner: one may have thousands of alerts
        claims: list[AlertClaim] = []
        for draft in drafts:
            destinations = await self._destinations(draft, owners, users)
            if not destinations:
                report.undeliverable += 1
                continue
            payload = {"params": dict(draft.params), "actions": list(draft.actions)}
            claims.append(
                AlertClaim(draft.key, draft.kind.value, draft.number or "", payload, tuple(destinations))
            )
        new = await self._storage.alerts.claim_many(claims)
        for claim in claims:
            if claim.key in new:
                new.discard(claim.key)  # a key repeated in the batch is claimed once
                report.claimed += 1
                report.by_kind[claim.kind] = report.by_kind.get(claim.kind, 0) + 1
            else:
                report.duplicates += 1
        if report.claimed:
            self._kick.set()

    def _owned_number(self, draft: AlertDraft) -> str | None:
        """The number whose owner ``draft`` may go to (on a customers' platform); ``None``: team only."""
        if draft.kind in TEAM_ONLY or not self._routes.customers:
            return None
        return draft.number

    async def _owners(self, drafts: list[AlertDraft]) -> dict[str, UserRef]:
        """The owners of the numbers whose alerts may go to their owners, in one read."""
        numbers = {number for draft in drafts if (number := self._owned_number(draft)) is not None}
        return await self._storage.ownership.owners_of_numbers(numbers)

    async def _destinations(
        self, draft: AlertDraft, owners: dict[str, UserRef], users: dict[UserRef, User | None]
    ) -> list[str]:
        """The owner on a customers' platform (unless they block the bot), then the team's destinations."""
        destinations: list[str] = []
        number = self._owned_number(draft)
        owner = None if number is None else owners.get(number)
        if owner is not None and owner.platform in self._routes.customers:
            if owner not in users:
                users[owner] = await self._storage.users.get(owner)
            user = users[owner]
            if user is None or not user.blocked:
                destinations.append(f"{owner.platform}:{owner.user_id}")
        destinations.extend(self._routes.team)
        return destinations

    async def _save(self, current: Snapshot, previous_digest: bytes | None, lease: HeldLease) -> bool:
        """Store ``current`` unless the lease was lost or someone stored a newer snapshot meanwhile."""
        if not await lease.renew():
            log.warning("alerts scan lease lost; snapshot not stored")
            return False
        if await self._newer_stored(current, previous_digest):
            return False
        text = current.to_json()
        await self._storage.snapshots.save_snapshot(SNAPSHOT_NAME, text)
        self._saved = (_text_digest(text), current)
        return True

    def _previous(self, raw: str | None, digest: bytes | None) -> Snapshot | None:
        """The stored snapshot: the one this scheduler saved last when the text is still that, else parsed."""
        saved, self._saved = self._saved, None
        if saved is not None and digest is not None and saved[0] == digest:
            return saved[1]
        return _parse(raw)

    async def _newer_stored(self, current: Snapshot, previous_digest: bytes | None) -> bool:
        """Whether another scan stored a snapshot newer than ``current`` since the previous one was read."""
        stored = await self._storage.snapshots.load_snapshot(SNAPSHOT_NAME)
        if stored is None or _digest(stored) == previous_digest:
            return False
        other = _parse(stored)
        return other is not None and other.taken_at > current.taken_at

    # -- delivering ----------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Deliver the due alert deliveries in bounded batches; return how many were sent."""
        return await self._outbox.deliver_due()

    # -- running -------------------------------------------------------------------

    async def run_forever(self) -> None:
        """Scan every ``interval`` seconds and deliver after each scan and every ``delivery_interval``."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._scan_loop())
            group.create_task(self._delivery_loop())

    async def _scan_loop(self) -> None:
        while True:
            try:
                await self.scan_once()
            except ZadarmaError as exc:
                log.warning("alerts scan failed", extra={"error": type(exc).__name__})
            except Exception:
                log.exception("alerts scan failed")
            self._kick.set()
            await asyncio.sleep(self._interval)

    async def _delivery_loop(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:
                log.exception("alert delivery failed")
            if self._outbox.more_due:
                await asyncio.sleep(0)  # a full round: go on at once, letting others run
                continue
            await wait_event(self._kick, self._delivery_interval)
            self._kick.clear()

    def install_routes(self, app: web.Application) -> None:
        """The scheduler serves no HTTP routes."""

    def wake(self) -> None:
        """Deliver what is due now instead of at the next interval (an alert was just claimed)."""
        self._kick.set()

    async def start(self) -> None:
        """Start :meth:`run_forever` in the background (does nothing if running)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run_forever(), name="alert-scheduler")

    async def stop(self) -> None:
        """Stop the background loop and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            await stop_task(task)

    def health(self) -> dict[str, Any]:
        """``ok`` while running and the last scans did not fail repeatedly; plus the last scan's figures."""
        running = self._task is not None and not self._task.done()
        report = self._last_report
        return {
            "ok": running and self._failures < UNHEALTHY_AFTER_FAILURES,
            "running": running,
            "last_scan_at": self._last_scan_at.isoformat() if self._last_scan_at else None,
            "consecutive_failures": self._failures,
            "last_error": self._last_error,
            "numbers": report.numbers if report else None,
            "last_claimed": report.claimed if report else None,
        }


def _digest(text: str | None) -> bytes | None:
    """A digest of a stored snapshot's text (a large account's text is not kept to compare)."""
    return None if text is None else _text_digest(text)


def _text_digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _drained(items: list[T]) -> Iterator[T]:
    """The items of ``items`` in order, each let go of as it is taken (the list ends empty)."""
    items.reverse()
    while items:
        yield items.pop()


def _parse(raw: str | None) -> Snapshot | None:
    if raw is None:
        return None
    try:
        return Snapshot.from_json(raw)
    except SnapshotError as exc:
        log.warning("stored alert snapshot unreadable; starting afresh", extra={"error": str(exc)})
        return None
