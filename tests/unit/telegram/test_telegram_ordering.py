"""One update per user at a time (bot.coord.LocalLocks, used by the Telegram gate and the engine)."""

from __future__ import annotations

import asyncio

from bot.coord import LocalLocks as KeyedLocks


async def test_one_key_runs_in_arrival_order_one_at_a_time() -> None:
    locks = KeyedLocks()
    log: list[str] = []

    async def work(name: str, delay: float) -> None:
        async with locks.hold("ann"):
            log.append(f"{name}+")
            await asyncio.sleep(delay)
            log.append(f"{name}-")

    await asyncio.gather(work("a", 0.02), work("b", 0.0), work("c", 0.01))
    assert log == ["a+", "a-", "b+", "b-", "c+", "c-"]


async def test_different_keys_run_in_parallel() -> None:
    locks = KeyedLocks()
    inside = asyncio.Event()
    released = asyncio.Event()

    async def slow() -> None:
        async with locks.hold("ann"):
            inside.set()
            await released.wait()

    task = asyncio.create_task(slow())
    await inside.wait()
    async with asyncio.timeout(1):
        async with locks.hold("bob"):
            pass  # bob is not held up by ann
    released.set()
    await task


async def test_locks_are_dropped_when_nobody_needs_them() -> None:
    locks = KeyedLocks()
    async with locks.hold("ann"):
        assert len(locks) == 1
    assert len(locks) == 0


async def test_a_failing_holder_releases_the_lock() -> None:
    locks = KeyedLocks()

    async def fail() -> None:
        async with locks.hold("ann"):
            raise RuntimeError("boom")

    results = await asyncio.gather(fail(), fail(), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert len(locks) == 0
