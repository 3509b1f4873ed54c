"""Dedup keys and leases shared by replicas through a real Redis (bot.coord.redis_store).

The same interfaces as the store's (``DedupRepository``, ``LeaseRepository``);
Redis expires on its own clock, so times to live are real and short here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.coord.redis_conn import RedisCoord
from bot.coord.redis_store import RedisDedup, RedisLeases
from bot.storage.interfaces import DedupRepository, LeaseRepository


def now() -> datetime:
    return datetime.now(UTC)


async def test_a_key_is_new_once_across_replicas(coords: Callable[[], RedisCoord]) -> None:
    a: DedupRepository = RedisDedup(coords())
    b: DedupRepository = RedisDedup(coords())
    assert await a.seen_once("slack:Ev01", now(), 3600) is True
    assert await b.seen_once("slack:Ev01", now(), 3600) is False
    assert await a.seen_once("slack:Ev01", now(), 3600) is False
    assert await b.seen_once("slack:Ev02", now(), 3600) is True


async def test_concurrent_first_sight_is_reported_once(coords: Callable[[], RedisCoord]) -> None:
    replicas = [RedisDedup(coords()) for _ in range(3)]
    results = await asyncio.gather(*(replicas[i % 3].seen_once("tg:update:42", now(), 60) for i in range(30)))
    assert results.count(True) == 1


async def test_a_key_is_new_again_after_its_ttl(coord: RedisCoord) -> None:
    dedup = RedisDedup(coord)
    assert await dedup.seen_once("k", now(), 0.2) is True
    assert await dedup.seen_once("k", now(), 0.2) is False
    await asyncio.sleep(0.3)
    assert await dedup.seen_once("k", now(), 0.2) is True


async def test_dedup_arguments_are_checked(coord: RedisCoord) -> None:
    dedup = RedisDedup(coord)
    with pytest.raises(ValueError, match="ttl"):
        await dedup.seen_once("k", now(), -1)
    with pytest.raises(ValueError, match="naive"):
        await dedup.seen_once("k", datetime(2026, 1, 1), 60)
    with pytest.raises(ValueError, match="naive"):
        await dedup.purge(datetime(2026, 1, 1))
    assert await dedup.purge(now()) == 0  # Redis forgets by itself
    assert await dedup.seen_once("k", now(), 60) is True


async def test_dedup_keys_live_under_the_prefix(coord: RedisCoord, prefix: str) -> None:
    await RedisDedup(coord).seen_once("slack:Ev09", now(), 60)
    assert await coord.client.exists(f"{prefix}dedup:slack:Ev09") == 1
    assert 0 < await coord.client.pttl(f"{prefix}dedup:slack:Ev09") <= 60_000


async def test_a_lease_is_exclusive_until_it_expires(coords: Callable[[], RedisCoord]) -> None:
    a: LeaseRepository = RedisLeases(coords())
    b: LeaseRepository = RedisLeases(coords())
    assert await a.try_acquire_lease("scan", "replica-a", 0.3, now()) is True
    assert await b.try_acquire_lease("scan", "replica-b", 0.3, now()) is False
    await asyncio.sleep(0.4)
    assert await b.try_acquire_lease("scan", "replica-b", 30, now()) is True
    assert await a.try_acquire_lease("scan", "replica-a", 30, now()) is False


async def test_renewal_by_the_holder_extends_the_lease(coords: Callable[[], RedisCoord]) -> None:
    a, b = RedisLeases(coords()), RedisLeases(coords())
    assert await a.try_acquire_lease("scan", "a", 0.4, now()) is True
    for _ in range(3):
        await asyncio.sleep(0.2)
        assert await a.try_acquire_lease("scan", "a", 0.4, now()) is True
    assert await b.try_acquire_lease("scan", "b", 0.4, now()) is False  # 0.6 s after taking a 0.4 s lease


async def test_only_the_holder_releases(coords: Callable[[], RedisCoord]) -> None:
    a, b = RedisLeases(coords()), RedisLeases(coords())
    await a.try_acquire_lease("scan", "a", 30, now())
    assert await b.release_lease("scan", "b") is False
    assert await b.try_acquire_lease("scan", "b", 30, now()) is False
    assert await a.release_lease("scan", "a") is True
    assert await a.release_lease("scan", "a") is False
    assert await b.try_acquire_lease("scan", "b", 30, now()) is True


async def test_leases_are_independent_by_name(coord: RedisCoord) -> None:
    leases = RedisLeases(coord)
    assert await leases.try_acquire_lease("scan", "a", 30, now()) is True
    assert await leases.try_acquire_lease("digest", "b", 30, now()) is True


async def test_concurrent_lease_attempts_have_one_winner(coords: Callable[[], RedisCoord]) -> None:
    replicas = [RedisLeases(coords()) for _ in range(4)]
    results = await asyncio.gather(
        *(replicas[i % 4].try_acquire_lease("scan", f"holder-{i}", 30, now()) for i in range(20))
    )
    assert results.count(True) == 1
    assert await replicas[0].release_lease("scan", f"holder-{results.index(True)}") is True


async def test_lease_arguments_are_checked(coord: RedisCoord) -> None:
    leases = RedisLeases(coord)
    with pytest.raises(ValueError, match="ttl"):
        await leases.try_acquire_lease("scan", "a", 0, now())
    with pytest.raises(ValueError, match="naive"):
        await leases.try_acquire_lease("scan", "a", 30, datetime(2026, 1, 1))
    assert await leases.try_acquire_lease("scan", "b", 30, now()) is True
