"""Contract: duplicate-delivery detection (runs against every storage implementation)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.storage import Storage
from tests.fakes.clock import FakeClock


async def test_first_sight_only(storage: Storage, clock: FakeClock) -> None:
    assert await storage.dedup.seen_once("slack:Ev01", clock.now, 3600) is True
    assert await storage.dedup.seen_once("slack:Ev01", clock.now, 3600) is False
    assert await storage.dedup.seen_once("slack:Ev01", clock.now + timedelta(seconds=3599), 3600) is False
    assert await storage.dedup.seen_once("slack:Ev02", clock.now, 3600) is True


async def test_key_is_new_again_after_its_ttl(storage: Storage, clock: FakeClock) -> None:
    assert await storage.dedup.seen_once("k", clock.now, 60) is True
    later = clock.now + timedelta(seconds=60)
    assert await storage.dedup.seen_once("k", later, 60) is True
    assert await storage.dedup.seen_once("k", later + timedelta(seconds=59), 60) is False


async def test_concurrent_first_sight_is_reported_once(storage: Storage, clock: FakeClock) -> None:
    results = await asyncio.gather(
        *(storage.dedup.seen_once("tg:update:42", clock.now, 60) for _ in range(20))
    )
    assert results.count(True) == 1


async def test_purge_forgets_expired_keys_only(storage: Storage, clock: FakeClock) -> None:
    now = clock.now
    await storage.dedup.seen_once("short", now, 10)
    await storage.dedup.seen_once("long", now, 1000)
    assert await storage.dedup.purge(now + timedelta(seconds=9)) == 0
    assert await storage.dedup.purge(now + timedelta(seconds=10)) == 1
    assert await storage.dedup.purge(now + timedelta(seconds=10)) == 0
    assert await storage.dedup.seen_once("long", now + timedelta(seconds=11), 1000) is False
    assert await storage.dedup.seen_once("short", now + timedelta(seconds=11), 10) is True


async def test_arguments_are_checked(storage: Storage, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await storage.dedup.seen_once("k", clock.now, -1)
    with pytest.raises(ValueError, match="naive"):
        await storage.dedup.seen_once("k", datetime(2026, 1, 1), 60)
    with pytest.raises(ValueError, match="naive"):
        await storage.dedup.purge(datetime(2026, 1, 1))
    assert await storage.dedup.seen_once("k", clock.now, 60) is True
