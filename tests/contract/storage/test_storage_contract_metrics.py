"""Contract: the two small queries ``/metrics`` reads at scrape time (every storage implementation)."""

from __future__ import annotations

from datetime import timedelta

from bot.storage import DeliveryBacklog, IntentKind, IntentStatus, Storage, UserRef
from tests.fakes.clock import FakeClock

ALICE = UserRef("telegram", "501")


async def test_count_by_status_counts_each_status(storage: Storage) -> None:
    assert await storage.intents.count_by_status() == {}
    for key in ("a", "b", "c", "d", "e"):
        await storage.intents.create(key, IntentKind.ORDER, ALICE, {})
    for key in ("b", "c", "d", "e"):
        await storage.intents.mark_sending(key)
    await storage.intents.mark_succeeded("b", {"number": "48221234567"})
    await storage.intents.mark_succeeded("c", {})
    await storage.intents.mark_unknown("d", "timeout")
    counts = await storage.intents.count_by_status()
    assert {s: n for s, n in counts.items() if n} == {
        IntentStatus.PENDING: 1,
        IntentStatus.SUCCEEDED: 2,
        IntentStatus.UNKNOWN: 1,
        IntentStatus.SENDING: 1,
    }
    assert all(isinstance(s, IntentStatus) for s in counts)


async def test_delivery_backlog_counts_what_is_still_to_be_sent(storage: Storage, clock: FakeClock) -> None:
    assert await storage.alerts.delivery_backlog(clock.now) == DeliveryBacklog(0, None)
    await storage.alerts.claim("a1", "expiry", "1", {}, ["telegram:1", "telegram:2", "slack:C1", "slack:C2"])
    clock.advance(30)
    later = clock.now + timedelta(hours=1)
    await storage.alerts.claim("a2", "expiry", "2", {}, ["telegram:3"], due_at=later)
    await storage.alerts.mark_delivered("a1", "telegram:1")
    await storage.alerts.mark_delivery_blocked("a1", "telegram:2", "blocked")
    await storage.alerts.mark_delivery_failed("a1", "slack:C1", "given up", None)
    retry_at = clock.now + timedelta(minutes=5)
    await storage.alerts.mark_delivery_failed("a1", "slack:C2", "try again", retry_at)
    # Waiting: slack:C2 (retry in 5 min) and telegram:3 (due in an hour); none of them due yet.
    assert await storage.alerts.delivery_backlog(clock.now) == DeliveryBacklog(2, None)
    clock.advance(600)
    backlog = await storage.alerts.delivery_backlog(clock.now)
    assert backlog == DeliveryBacklog(2, retry_at)
    assert backlog.oldest_due_at is not None and backlog.oldest_due_at.tzinfo is not None
    await storage.alerts.mark_delivered("a1", "slack:C2")
    assert await storage.alerts.delivery_backlog(later) == DeliveryBacklog(1, later)
