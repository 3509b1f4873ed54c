"""Contract: alerts, deliveries, snapshots and leases (every storage implementation)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.storage import DeliveryStatus, NotFoundError, Storage
from tests.fakes.clock import FakeClock

KEY = "expiry:48221234567:2026-12-01:7"
TG = "telegram:12345"
SLACK = "slack:C0123"


async def claim(storage: Storage, key: str = KEY, destinations: tuple[str, ...] = (TG, SLACK)) -> bool:
    return await storage.alerts.claim(key, "expiry", "48221234567", {"days": 7}, list(destinations))


async def test_claim_inserts_alert_and_pending_deliveries(storage: Storage, clock: FakeClock) -> None:
    assert await claim(storage) is True
    alert = await storage.alerts.get(KEY)
    assert alert is not None
    assert (alert.key, alert.kind, alert.number, alert.payload) == (KEY, "expiry", "48221234567", {"days": 7})
    assert alert.created_at == clock.now
    assert alert.created_at.tzinfo is UTC
    deliveries = await storage.alerts.deliveries(KEY)
    assert [d.destination for d in deliveries] == [TG, SLACK]
    for d in deliveries:
        assert d.alert == alert
        assert d.alert_key == KEY
        assert (d.status, d.attempts, d.last_error) == (DeliveryStatus.PENDING, 0, None)
        assert d.next_attempt_at == d.updated_at == clock.now


async def test_second_claim_changes_nothing(storage: Storage, clock: FakeClock) -> None:
    assert await claim(storage) is True
    clock.advance(60)
    again = await storage.alerts.claim(KEY, "other", "48000000000", {"days": 1}, ["slack:C9"])
    assert again is False
    alert = await storage.alerts.get(KEY)
    assert alert is not None
    assert (alert.kind, alert.payload) == ("expiry", {"days": 7})
    assert [d.destination for d in await storage.alerts.deliveries(KEY)] == [TG, SLACK]


async def test_concurrent_claims_claim_once(storage: Storage) -> None:
    results = await asyncio.gather(*(claim(storage) for _ in range(20)))
    assert results.count(True) == 1
    assert len(await storage.alerts.deliveries(KEY)) == 2


async def test_duplicate_destinations_are_stored_once(storage: Storage) -> None:
    await claim(storage, destinations=(TG, SLACK, TG))
    assert [d.destination for d in await storage.alerts.deliveries(KEY)] == [TG, SLACK]


async def test_unknown_alert(storage: Storage) -> None:
    assert await storage.alerts.get("nope") is None
    assert await storage.alerts.deliveries("nope") == []


async def test_payload_must_be_json_and_a_failed_claim_leaves_nothing(storage: Storage) -> None:
    with pytest.raises(TypeError):
        await storage.alerts.claim(KEY, "expiry", "1", {"at": datetime.now(UTC)}, [TG])
    assert await storage.alerts.get(KEY) is None
    assert await claim(storage) is True


async def test_payload_is_checked_even_when_the_key_exists(storage: Storage) -> None:
    await claim(storage)
    with pytest.raises(TypeError):
        await storage.alerts.claim(KEY, "expiry", "1", {"bad": object()}, [TG])


async def test_due_deliveries(storage: Storage, clock: FakeClock) -> None:
    claimed_at = clock.now
    await claim(storage, "a")
    clock.advance(10)
    await claim(storage, "b", destinations=(TG,))
    assert await storage.alerts.due_deliveries(claimed_at - timedelta(microseconds=1), 10) == []
    assert [(d.alert_key, d.destination) for d in await storage.alerts.due_deliveries(claimed_at, 10)] == [
        ("a", TG),
        ("a", SLACK),
    ]
    due = await storage.alerts.due_deliveries(clock.now, 10)
    assert [(d.alert_key, d.destination) for d in due] == [("a", TG), ("a", SLACK), ("b", TG)]
    assert due[2].alert.payload == {"days": 7}
    assert [d.destination for d in await storage.alerts.due_deliveries(clock.now, 1)] == [TG]


async def test_a_claim_due_later_is_not_due_before_then(storage: Storage, clock: FakeClock) -> None:
    later = clock.now + timedelta(seconds=60)
    assert await storage.alerts.claim(KEY, "expiry", "48221234567", {"days": 7}, [TG], due_at=later) is True
    [delivery] = await storage.alerts.deliveries(KEY)
    assert delivery.next_attempt_at == later
    assert await storage.alerts.due_deliveries(later - timedelta(seconds=1), 10) == []
    assert [d.alert_key for d in await storage.alerts.due_deliveries(later, 10)] == [KEY]


async def test_due_deliveries_rejects_bad_arguments(storage: Storage) -> None:
    with pytest.raises(ValueError, match="naive"):
        await storage.alerts.due_deliveries(datetime(2026, 1, 1), 10)
    with pytest.raises(ValueError, match="limit"):
        await storage.alerts.due_deliveries(datetime.now(UTC), 0)


async def test_mark_delivered(storage: Storage, clock: FakeClock) -> None:
    await claim(storage)
    sent_at = clock.advance(2)
    assert await storage.alerts.mark_delivered(KEY, TG) is True
    tg, slack = await storage.alerts.deliveries(KEY)
    assert (tg.status, tg.attempts, tg.next_attempt_at, tg.updated_at) == (
        DeliveryStatus.SENT,
        1,
        None,
        sent_at,
    )
    assert slack.status is DeliveryStatus.PENDING
    assert [d.destination for d in await storage.alerts.due_deliveries(clock.now, 10)] == [SLACK]
    assert await storage.alerts.mark_delivered(KEY, TG) is False
    assert (await storage.alerts.deliveries(KEY))[0].attempts == 1


async def test_failed_delivery_is_retried_at_retry_at(storage: Storage, clock: FakeClock) -> None:
    await claim(storage, destinations=(TG,))
    retry_at = clock.now + timedelta(minutes=5)
    assert await storage.alerts.mark_delivery_failed(KEY, TG, "502 Bad Gateway", retry_at) is True
    [d] = await storage.alerts.deliveries(KEY)
    assert (d.status, d.attempts, d.last_error, d.next_attempt_at) == (
        DeliveryStatus.FAILED,
        1,
        "502 Bad Gateway",
        retry_at,
    )
    assert await storage.alerts.due_deliveries(retry_at - timedelta(seconds=1), 10) == []
    [due] = await storage.alerts.due_deliveries(retry_at, 10)
    assert due.destination == TG

    assert await storage.alerts.mark_delivery_failed(KEY, TG, "timeout", retry_at + timedelta(minutes=10))
    assert await storage.alerts.mark_delivered(KEY, TG) is True
    [d] = await storage.alerts.deliveries(KEY)
    assert (d.status, d.attempts, d.last_error) == (DeliveryStatus.SENT, 3, None)


async def test_retry_at_in_another_timezone_comes_back_in_utc(storage: Storage, clock: FakeClock) -> None:
    await claim(storage, destinations=(TG,))
    warsaw_summer = timezone(timedelta(hours=2))
    retry_at = datetime(2026, 6, 1, 14, 0, 0, 5, tzinfo=warsaw_summer)
    await storage.alerts.mark_delivery_failed(KEY, TG, "x", retry_at)
    [d] = await storage.alerts.deliveries(KEY)
    assert d.next_attempt_at == retry_at
    assert d.next_attempt_at is not None and d.next_attempt_at.tzinfo is UTC
    assert d.next_attempt_at.hour == 12
    assert await storage.alerts.due_deliveries(datetime(2026, 6, 1, 12, 0, 0, 4, tzinfo=UTC), 10) == []
    assert len(await storage.alerts.due_deliveries(datetime(2026, 6, 1, 12, 0, 0, 5, tzinfo=UTC), 10)) == 1


async def test_failed_without_retry_at_gives_up(storage: Storage, clock: FakeClock) -> None:
    await claim(storage, destinations=(TG,))
    assert await storage.alerts.mark_delivery_failed(KEY, TG, "gave up", None) is True
    [d] = await storage.alerts.deliveries(KEY)
    assert (d.status, d.next_attempt_at) == (DeliveryStatus.FAILED, None)
    assert await storage.alerts.due_deliveries(clock.now + timedelta(days=365), 10) == []


async def test_mark_delivery_failed_rejects_naive_retry_at(storage: Storage) -> None:
    await claim(storage, destinations=(TG,))
    with pytest.raises(ValueError, match="naive"):
        await storage.alerts.mark_delivery_failed(KEY, TG, "x", datetime(2026, 1, 1))
    [d] = await storage.alerts.deliveries(KEY)
    assert (d.status, d.attempts) == (DeliveryStatus.PENDING, 0)


async def test_blocked_delivery_is_final(storage: Storage, clock: FakeClock) -> None:
    await claim(storage, destinations=(TG,))
    assert await storage.alerts.mark_delivery_blocked(KEY, TG, "403 Forbidden: bot was blocked") is True
    [d] = await storage.alerts.deliveries(KEY)
    assert (d.status, d.attempts, d.last_error, d.next_attempt_at) == (
        DeliveryStatus.BLOCKED,
        1,
        "403 Forbidden: bot was blocked",
        None,
    )
    assert await storage.alerts.due_deliveries(clock.now + timedelta(days=1), 10) == []
    assert await storage.alerts.mark_delivered(KEY, TG) is False
    assert await storage.alerts.mark_delivery_failed(KEY, TG, "x", clock.now) is False
    assert await storage.alerts.mark_delivery_blocked(KEY, TG, "x") is False


async def test_marking_unknown_deliveries_raises(storage: Storage, clock: FakeClock) -> None:
    await claim(storage, destinations=(TG,))
    with pytest.raises(NotFoundError) as missing:
        await storage.alerts.mark_delivered(KEY, SLACK)
    assert KEY in str(missing.value) and SLACK in str(missing.value)  # the log says which one
    with pytest.raises(NotFoundError):
        await storage.alerts.mark_delivery_failed("nope", TG, "x", clock.now)
    with pytest.raises(NotFoundError):
        await storage.alerts.mark_delivery_blocked("nope", TG, "x")


async def test_snapshots(storage: Storage) -> None:
    assert await storage.alerts.load_snapshot("direct_numbers") is None
    await storage.alerts.save_snapshot("direct_numbers", '{"numbers": []}')
    await storage.alerts.save_snapshot("balance", '{"balance": 10}')
    assert await storage.alerts.load_snapshot("direct_numbers") == '{"numbers": []}'
    await storage.alerts.save_snapshot("direct_numbers", '{"numbers": [1]}')
    assert await storage.alerts.load_snapshot("direct_numbers") == '{"numbers": [1]}'
    assert await storage.snapshots.load_snapshot("balance") == '{"balance": 10}'


async def test_lease_is_exclusive_until_it_expires(storage: Storage, clock: FakeClock) -> None:
    now = clock.now
    assert await storage.alerts.try_acquire_lease("scan", "replica-a", 30, now) is True
    assert await storage.alerts.try_acquire_lease("scan", "replica-b", 30, now) is False
    assert (
        await storage.alerts.try_acquire_lease("scan", "replica-b", 30, now + timedelta(seconds=29)) is False
    )
    assert (
        await storage.alerts.try_acquire_lease("scan", "replica-b", 30, now + timedelta(seconds=30)) is True
    )
    assert (
        await storage.alerts.try_acquire_lease("scan", "replica-a", 30, now + timedelta(seconds=31)) is False
    )


async def test_lease_renewal_extends_it(storage: Storage, clock: FakeClock) -> None:
    now = clock.now
    assert await storage.leases.try_acquire_lease("scan", "a", 30, now) is True
    assert await storage.leases.try_acquire_lease("scan", "a", 30, now + timedelta(seconds=20)) is True
    assert await storage.leases.try_acquire_lease("scan", "b", 30, now + timedelta(seconds=40)) is False
    assert await storage.leases.try_acquire_lease("scan", "b", 30, now + timedelta(seconds=50)) is True


async def test_leases_are_independent_by_name(storage: Storage, clock: FakeClock) -> None:
    assert await storage.alerts.try_acquire_lease("scan", "a", 30, clock.now) is True
    assert await storage.alerts.try_acquire_lease("digest", "b", 30, clock.now) is True


async def test_release_lease(storage: Storage, clock: FakeClock) -> None:
    await storage.alerts.try_acquire_lease("scan", "a", 30, clock.now)
    assert await storage.alerts.release_lease("scan", "b") is False
    assert await storage.alerts.try_acquire_lease("scan", "b", 30, clock.now) is False
    assert await storage.alerts.release_lease("scan", "a") is True
    assert await storage.alerts.release_lease("scan", "a") is False
    assert await storage.alerts.try_acquire_lease("scan", "b", 30, clock.now) is True


async def test_concurrent_lease_attempts_one_holder(storage: Storage, clock: FakeClock) -> None:
    results = await asyncio.gather(
        *(storage.alerts.try_acquire_lease("scan", f"holder-{i}", 30, clock.now) for i in range(20))
    )
    assert results.count(True) == 1
    winner = f"holder-{results.index(True)}"
    assert await storage.alerts.release_lease("scan", winner) is True


async def test_lease_arguments_are_checked(storage: Storage, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await storage.alerts.try_acquire_lease("scan", "a", 0, clock.now)
    with pytest.raises(ValueError, match="naive"):
        await storage.alerts.try_acquire_lease("scan", "a", 30, datetime(2026, 1, 1))
    assert await storage.alerts.try_acquire_lease("scan", "b", 30, clock.now) is True
