"""The Zadarma API budget shared by replicas through a real Redis (bot.coord.redis_budget).

Two limiters with their own connections stand for two replicas of one bot.
Windows are shortened to a second or two so that the tests run quickly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from bot.coord.redis_budget import RedisRateLimiter
from bot.coord.redis_conn import RedisCoord
from bot.zadarma.ratelimit import Priority

API_KEY = "a1b2c3-secret-api-key"


def limiter(coord: RedisCoord, per_minute: int = 10, window: float = 2.0) -> RedisRateLimiter:
    return RedisRateLimiter(coord, API_KEY, per_minute, window_seconds=window)


async def blocked(budget: RedisRateLimiter, priority: int, within: float = 0.15) -> bool:
    """Whether ``acquire(priority)`` is still waiting after ``within`` seconds (it is cancelled then)."""
    try:
        await asyncio.wait_for(budget.acquire(priority), within)
    except TimeoutError:
        return True
    return False


async def test_two_replicas_draw_from_one_budget(coords: Callable[[], RedisCoord]) -> None:
    a, b = limiter(coords()), limiter(coords())
    for _ in range(5):
        await a.acquire(Priority.FINISH)
        await b.acquire(Priority.FINISH)
    # Ten calls started between them: the eleventh waits in either replica.
    assert await a.delay(Priority.FINISH) > 0.5
    assert await blocked(b, Priority.FINISH)
    assert b.waiting == 0  # the cancelled waiter left the queue


async def test_a_slot_comes_back_when_its_call_leaves_the_window(coords: Callable[[], RedisCoord]) -> None:
    a, b = limiter(coords(), per_minute=2, window=1.0), limiter(coords(), per_minute=2, window=1.0)
    started = time.monotonic()
    await a.acquire()
    await a.acquire()
    await b.acquire()  # waits for a's first call to leave the shared window
    assert time.monotonic() - started >= 0.9


async def test_a_429_in_one_replica_blocks_the_other(coords: Callable[[], RedisCoord]) -> None:
    a, b = limiter(coords()), limiter(coords())
    assert await b.delay() == 0
    a.block_until(time.time() + 1.0)
    await a.flush()
    assert 0.5 < await b.delay() <= 1.01
    started = time.monotonic()
    await b.acquire(Priority.FINISH)
    assert time.monotonic() - started >= 0.5


async def test_remaining_zero_in_one_replica_blocks_the_other(coords: Callable[[], RedisCoord]) -> None:
    a, b = limiter(coords()), limiter(coords())
    a.observe({"x-ratelimit-limit": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})
    await a.flush()
    assert a.state.remaining == 0
    assert await blocked(b, Priority.FINISH)
    a.observe({"x-ratelimit-limit": "100", "x-ratelimit-remaining": "7", "x-ratelimit-reset": "1"})
    assert a.state.remaining == 7  # a later header does not lift the block early, it only tells the budget


async def test_a_block_never_outlasts_one_window(coords: Callable[[], RedisCoord]) -> None:
    a, b = limiter(coords(), window=1.0), limiter(coords(), window=1.0)
    a.block_until(time.time() + 3600)
    await a.flush()
    assert await b.delay() <= 1.01


async def test_background_calls_leave_a_reserve_for_customers_in_every_replica(
    coords: Callable[[], RedisCoord],
) -> None:
    scanner, customer = limiter(coords()), limiter(coords())
    # Browsing and scans may fill half of the window (reserve 0.5 of 10): five calls.
    for _ in range(5):
        await scanner.acquire(Priority.BROWSE)
    assert await blocked(scanner, Priority.BROWSE)
    assert await blocked(customer, Priority.BROWSE)
    # The other replica's confirmed order and last screen still go at once.
    async with asyncio.timeout(0.5):
        await customer.acquire(Priority.SPEND)
        await customer.acquire(Priority.FINISH)
    # Seven of ten used: other reads (up to six) wait too, other writes (up to nine) do not.
    assert await scanner.delay(Priority.NORMAL) > 0
    assert await scanner.delay(Priority.URGENT) == 0


async def test_within_a_replica_higher_priority_waiters_go_first(coords: Callable[[], RedisCoord]) -> None:
    a, b = limiter(coords(), per_minute=2, window=1.0), limiter(coords(), per_minute=2, window=1.0)
    await a.acquire()
    await a.acquire()
    order: list[str] = []

    async def call(name: str, priority: int) -> None:
        await b.acquire(priority)
        order.append(name)

    browse = asyncio.create_task(call("browse", Priority.BROWSE))
    await asyncio.sleep(0.05)
    finish = asyncio.create_task(call("finish", Priority.FINISH))
    await asyncio.gather(browse, finish)
    assert order == ["finish", "browse"]


async def test_callers_arriving_while_the_head_asks_redis_each_get_one_slot(
    coords: Callable[[], RedisCoord],
) -> None:
    # Asking Redis suspends the head; callers of every priority arrive meanwhile (the soak on
    # PostgreSQL and Redis lost a renewal's screen to the queue's bookkeeping here).
    budget = limiter(coords(), per_minute=1000, window=60.0)
    priorities = [list(Priority)[i % len(Priority)] for i in range(48)]

    async def call(index: int, priority: int) -> None:
        await asyncio.sleep(index * 0.0005)
        await budget.acquire(priority)

    await asyncio.wait_for(asyncio.gather(*(call(i, p) for i, p in enumerate(priorities))), 20)
    assert budget.waiting == 0
    assert await budget.budget_left() == 1000 - len(priorities)


async def test_the_api_key_is_never_a_redis_key(coord: RedisCoord, prefix: str) -> None:
    budget = limiter(coord)
    await budget.acquire()
    budget.block_until(time.time() + 1)
    await budget.flush()
    keys = [key.decode() async for key in coord.client.scan_iter(match=f"{prefix}*")]
    assert len(keys) == 2
    assert not any(API_KEY in key for key in keys)
    for key in keys:
        assert API_KEY.encode() not in (await coord.client.dump(key) or b"")


async def test_without_redis_each_replica_keeps_its_own_budget(caplog: pytest.LogCaptureFixture) -> None:
    dead = RedisCoord.from_url("redis://127.0.0.1:1/0", "test-coord-dead:")
    try:
        budget = RedisRateLimiter(dead, API_KEY, 2, window_seconds=1.0)
        async with asyncio.timeout(2):
            await budget.acquire()
            await budget.acquire()
        assert await budget.delay() > 0.5  # the in-process window still counts
        assert "Redis unreachable" in caplog.text
    finally:
        await dead.aclose()


async def test_the_budget_left_for_metrics_counts_every_replicas_calls(
    coords: Callable[[], RedisCoord],
) -> None:
    a, b = limiter(coords()), limiter(coords())
    assert await a.budget_left() == 10
    for _ in range(3):
        await a.acquire()
    await b.acquire()
    assert await a.budget_left() == await b.budget_left() == 6
    b.block_until(time.time() + 1.0)
    await b.flush()
    assert await a.budget_left() == 0  # blocked by the other replica's 429
