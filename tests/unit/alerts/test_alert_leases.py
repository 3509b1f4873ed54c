"""Short leases kept by a heartbeat: a dead holder frees the work within the TTL, a live one keeps it.

Dying is what a ``kill -9`` leaves behind: a lease row nobody renews or
releases (here: a holder whose store connection is gone). Expiry is driven by
a fake clock; the heartbeat tests use small TTLs on real time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.services.alerts import AlertMessage, DeliveryResult, OutboxSettings
from bot.services.alerts.lease import HeldLease
from bot.services.alerts.outbox import DELIVERY_LEASE, Outbox
from bot.services.alerts.scheduler import DEFAULT_DELIVERY_INTERVAL, DEFAULT_SCAN_LEASE_TTL
from bot.storage import MemoryStorage, SqliteStorage, UserRef
from tests.fakes.clock import FakeClock
from tests.unit.alerts.alert_fakes import FakeChat, routes, utc
from tests.waiting import eventually

START = utc(2026, 11, 20, 8, 0)
PAYLOAD = {"params": {"number": "48221234567", "days_left": "7"}, "actions": ["prolong"]}


def real_clock() -> Callable[[], datetime]:
    """Machine time: lease expiry follows the heartbeat's real sleeps."""
    return lambda: datetime.now(UTC)


async def claim(storage: MemoryStorage | SqliteStorage, key: str, *destinations: str) -> None:
    assert await storage.alerts.claim(key, "expiry_warning", "48221234567", PAYLOAD, list(destinations))


# -- the defaults --------------------------------------------------------------------


def test_with_the_defaults_a_crash_stalls_delivery_at_most_30_seconds() -> None:
    assert OutboxSettings().lease_ttl + DEFAULT_DELIVERY_INTERVAL <= 30
    assert DEFAULT_SCAN_LEASE_TTL <= 30
    assert Settings().alert_lease_ttl == OutboxSettings().lease_ttl


@pytest.mark.parametrize("ttl", [1.0, 2.5, 20.0, 45.0, 600.0])
def test_settings_for_any_allowed_ttl_pass_validation(ttl: float) -> None:
    settings = OutboxSettings.for_lease_ttl(ttl)
    assert settings.lease_ttl == ttl
    assert 0 < settings.send_timeout < ttl * 2 / 3


# -- HeldLease -----------------------------------------------------------------------


async def test_a_holder_that_stops_renewing_loses_the_lease_within_the_ttl() -> None:
    clock = FakeClock(START)
    storage = MemoryStorage(clock=clock)
    a = HeldLease(storage.leases, "work", "a", 20.0, clock)
    b = HeldLease(storage.leases, "work", "b", 20.0, clock)
    try:
        assert await a.acquire()
        assert not await b.acquire()
        clock.advance(19.9)  # a renews nothing any more (its heartbeat would, on real time)
        assert not await b.acquire()
        clock.advance(0.1)
        assert await b.acquire()
        assert not await a.renew() and a.lost and a.remaining() == 0
    finally:
        await a.release()
        await b.release()


async def test_the_heartbeat_keeps_the_lease_through_work_longer_than_the_ttl() -> None:
    storage = MemoryStorage()
    clock = real_clock()
    a = HeldLease(storage.leases, "work", "a", 0.3, clock)
    assert await a.acquire()
    tries = 0
    deadline = time.monotonic() + 1.0  # three times the TTL
    while time.monotonic() < deadline:
        tries += 1
        assert not await storage.leases.try_acquire_lease("work", "b", 0.3, clock())
        assert a.remaining() > 0 and not a.lost
        await asyncio.sleep(0.03)
    assert tries > 20
    await a.release()
    assert await storage.leases.try_acquire_lease("work", "b", 0.3, clock())  # freed at once


async def test_without_a_heartbeat_the_same_work_would_lose_it() -> None:
    """The control for the test above: the lease itself does lapse after the TTL."""
    storage = MemoryStorage()
    clock = real_clock()
    assert await storage.leases.try_acquire_lease("work", "a", 0.3, clock())
    await asyncio.sleep(0.35)
    assert await storage.leases.try_acquire_lease("work", "b", 0.3, clock())


async def test_remaining_counts_from_the_start_of_the_last_successful_renewal() -> None:
    clock = FakeClock(START)
    storage = MemoryStorage(clock=clock)
    lease = HeldLease(storage.leases, "work", "a", 20.0, clock, monotonic=clock.monotonic)
    assert lease.remaining() == 0
    assert await lease.renew()
    clock.mono += 15
    assert lease.remaining() == pytest.approx(5)
    assert await lease.renew()
    assert lease.remaining() == pytest.approx(20)


async def test_a_failed_renewal_lets_the_lease_run_down(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(START)
    storage = MemoryStorage(clock=clock)
    lease = HeldLease(storage.leases, "work", "a", 20.0, clock, monotonic=clock.monotonic)
    assert await lease.renew()

    async def broken(*_: object) -> bool:
        raise OSError("disk I/O error")

    monkeypatch.setattr(storage.leases, "try_acquire_lease", broken)
    clock.mono += 12
    with pytest.raises(OSError):
        await lease.renew()
    assert lease.remaining() == pytest.approx(8) and not lease.lost


async def test_a_lost_lease_is_not_released_from_under_its_new_holder() -> None:
    clock = FakeClock(START)
    storage = MemoryStorage(clock=clock)
    a = HeldLease(storage.leases, "work", "a", 20.0, clock)
    assert await a.acquire()
    clock.advance(21)
    assert await storage.leases.try_acquire_lease("work", "b", 20.0, clock())
    assert not await a.renew()
    await a.release()
    assert not await storage.leases.try_acquire_lease("work", "c", 20.0, clock())  # still b's


# -- the outbox ------------------------------------------------------------------------


class Hanging:
    """A sink whose send never returns (the process dies in the middle of it)."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        self.entered.set()
        await asyncio.Event().wait()
        return DeliveryResult.sent()


@pytest.fixture
async def two_processes(tmp_path: Path) -> AsyncIterator[tuple[SqliteStorage, SqliteStorage, FakeClock]]:
    """Two connections to one SQLite file, as two replicas have."""
    clock = FakeClock(START)
    first = await SqliteStorage.open(tmp_path / "bot.db", clock=clock)
    second = await SqliteStorage.open(tmp_path / "bot.db", clock=clock)
    yield first, second, clock
    await first.close()
    await second.close()


async def test_a_delivering_replica_that_dies_holds_up_the_others_at_most_the_ttl(
    two_processes: tuple[SqliteStorage, SqliteStorage, FakeClock],
) -> None:
    dying, survivor, clock = two_processes
    await claim(dying, "k1", "slack:C1")
    hanging = Hanging()
    a = Outbox(dying, routes(team={"slack": hanging}), clock=clock, holder="a")  # the defaults
    round_a = asyncio.create_task(a.deliver_due())
    await asyncio.wait_for(hanging.entered.wait(), 5)
    await dying.close()  # dead: it neither renews nor releases anything any more
    slack = FakeChat("slack")
    b = Outbox(survivor, routes(team={"slack": slack}), clock=clock, holder="b")
    ttl = OutboxSettings().lease_ttl
    clock.advance(ttl - 0.5)
    assert await b.deliver_due() == 0
    clock.advance(0.5)
    assert await b.deliver_due() == 1
    assert slack.keys() == ["k1"]
    round_a.cancel()
    with pytest.raises(asyncio.CancelledError):
        await round_a


SLOW_SENDS = 36


async def test_a_slow_round_keeps_the_lease_and_sends_nothing_twice() -> None:
    clock = real_clock()
    storage = MemoryStorage(clock=clock)
    await storage.users.upsert(UserRef("telegram", "1001"), chat_id="1001")
    for i in range(SLOW_SENDS):
        await claim(storage, f"k{i:02d}", "slack:C1")
    # 36 sends of 0.08 s: about 3 s, over three TTLs. Each send has 0.5 s (not 0.15 s) before it
    # times out, so a loaded machine (the suite's parallel workers and more) does not fail one.
    slow = FakeChat("slack", delay=0.08)
    settings = OutboxSettings(lease_ttl=0.9, send_timeout=0.5)
    a = Outbox(storage, routes(team={"slack": slow}), clock=clock, holder="a", settings=settings)
    b = Outbox(storage, routes(team={"slack": slow}), clock=clock, holder="b", settings=settings)
    round_a = asyncio.create_task(a.deliver_due())
    await eventually(lambda: slow.attempts, every=0.005, what="a holding the lease and sending")
    by_b = 0
    while not round_a.done():
        by_b += await b.deliver_due()
        await asyncio.sleep(0.02)
    assert await round_a == SLOW_SENDS and by_b == 0
    assert slow.keys() == [f"k{i:02d}" for i in range(SLOW_SENDS)]
    assert await storage.leases.try_acquire_lease(DELIVERY_LEASE, "c", 1, clock())  # released


def test_the_lease_needs_a_positive_ttl() -> None:
    with pytest.raises(ValueError):
        HeldLease(MemoryStorage().leases, "work", "a", 0, FakeClock(START))
    with pytest.raises(ValueError):
        OutboxSettings(lease_ttl=-1.0, send_timeout=-2.0)
    assert timedelta(seconds=OutboxSettings().send_timeout) < timedelta(seconds=OutboxSettings().lease_ttl)


class Blocking:
    """A sink whose send blocks the event loop (a synchronous call inside it): no heartbeat runs meanwhile."""

    def __init__(self, seconds: float, after: Callable[[], None] = lambda: None) -> None:
        self.seconds = seconds
        self.after = after
        self.sent: list[str] = []

    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        time.sleep(self.seconds)  # noqa: ASYNC251 - blocking the loop is the point
        self.sent.append(alert.key)
        self.after()
        return DeliveryResult.sent()


# ttl 1.5 s, sends bounded at 0.9 s: after a 0.7 s send the lease is surely held 0.8 s at most,
# too little for the next send, so the outbox renews it first.
MARGIN = OutboxSettings(lease_ttl=1.5, send_timeout=0.9)


async def test_a_lease_run_down_by_a_long_send_is_renewed_before_the_next_send() -> None:
    clock = real_clock()
    storage = MemoryStorage(clock=clock)
    for key in ("k1", "k2", "k3"):
        await claim(storage, key, "slack:C1")
    sink = Blocking(0.7)
    outbox = Outbox(storage, routes(team={"slack": sink}), clock=clock, holder="a", settings=MARGIN)
    assert await outbox.deliver_due() == 3
    assert sink.sent == ["k1", "k2", "k3"]


async def test_a_renewal_answered_too_late_to_cover_a_send_stops_the_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = real_clock()
    storage = MemoryStorage(clock=clock)
    for key in ("k1", "k2", "k3"):
        await claim(storage, key, "slack:C1")
    renew = storage.leases.try_acquire_lease
    slow_store = False

    async def late(name: str, holder: str, ttl: float, now: datetime) -> bool:
        if slow_store:
            time.sleep(0.7)  # noqa: ASYNC251 - late answer: only 0.8 s of the lease are sure afterwards
        return await renew(name, holder, ttl, now)

    def store_turns_slow() -> None:
        nonlocal slow_store
        slow_store = True

    monkeypatch.setattr(storage.leases, "try_acquire_lease", late)
    sink = Blocking(0.7, after=store_turns_slow)
    outbox = Outbox(storage, routes(team={"slack": sink}), clock=clock, holder="a", settings=MARGIN)
    assert await outbox.deliver_due() == 1
    assert sink.sent == ["k1"]
    assert [d.status.value for d in await storage.alerts.deliveries("k2")] == ["pending"]
    slow_store = False
    sink.seconds = 0.0
    assert await outbox.deliver_due() == 2  # the next round sends the rest, each once
    assert sink.sent == ["k1", "k2", "k3"]
