"""Contract: the Storage object itself and time handling (every storage implementation)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.storage import Clock, ConversationKey, IntentKind, Storage, UserRef
from tests.fakes.clock import FakeClock

StorageFactory = Callable[[Clock], Awaitable[Storage]]


async def test_usable_as_async_context_manager_and_close_twice(
    storage_factory: StorageFactory, clock: FakeClock
) -> None:
    storage = await storage_factory(clock)
    async with storage as entered:
        assert entered is storage
        await entered.audit.record("a", "b", "c", {}, "ok")
    await storage.close()


async def test_snapshots_and_leases_views_share_the_alert_store(storage: Storage, clock: FakeClock) -> None:
    await storage.snapshots.save_snapshot("s", "1")
    assert await storage.alerts.load_snapshot("s") == "1"
    assert await storage.alerts.try_acquire_lease("l", "a", 10, clock.now) is True
    assert await storage.leases.try_acquire_lease("l", "b", 10, clock.now) is False


async def test_clock_in_another_timezone_is_stored_and_returned_as_utc(
    storage_factory: StorageFactory, clock_at: Callable[[datetime], FakeClock]
) -> None:
    tokyo = timezone(timedelta(hours=9))
    local = datetime(2026, 5, 1, 9, 30, 0, 999, tzinfo=tokyo)
    storage = await storage_factory(clock_at(local))
    key = ConversationKey("telegram", "1", "1")
    await storage.conversations.save(key, "{}", None)
    intent, _ = await storage.intents.create("i", IntentKind.ORDER, UserRef("telegram", "1"), {})
    user = await storage.users.upsert(UserRef("telegram", "1"))
    conversation = await storage.conversations.get(key)
    assert conversation is not None
    for stamp in (conversation.updated_at, intent.created_at, intent.updated_at, user.created_at):
        assert stamp == local
        assert stamp.tzinfo is UTC
        assert (stamp.hour, stamp.microsecond) == (0, 999)


async def test_naive_clock_is_rejected(storage_factory: StorageFactory) -> None:
    naive = datetime(2026, 5, 1, 9, 30)
    try:
        storage = await storage_factory(lambda: naive)
    except ValueError:
        return  # SQLite stamps its migrations at open and refuses there already
    with pytest.raises(ValueError, match="naive"):
        await storage.conversations.save(ConversationKey("t", "1", "1"), "{}", None)


async def test_the_write_probe_succeeds_again_and_again_and_touches_no_data(storage: Storage) -> None:
    for _ in range(3):
        await storage.probe_write()
    assert await storage.conversations.count() == 0
    assert await storage.audit.list() == []
