"""Per-key locks across replicas through a real Redis (bot.coord.redis_locks).

Each ``RedisLocks`` has its own connection and stands for one replica.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from bot.coord.redis_conn import RedisCoord
from bot.coord.redis_locks import LockTimeout, RedisLocks


def locks(
    coord: RedisCoord, *, ttl: float = 15.0, wait: float = 60.0, renew_every: float | None = None
) -> RedisLocks:
    return RedisLocks(coord, "conv", ttl=ttl, wait=wait, renew_every=renew_every)


async def test_two_replicas_never_hold_one_key_together(coords: Callable[[], RedisCoord]) -> None:
    replicas = [locks(coords()), locks(coords())]
    inside = 0
    most_inside = 0
    done = {0: 0, 1: 0}

    async def work(replica: int) -> None:
        nonlocal inside, most_inside
        for _ in range(15):
            async with replicas[replica].hold("ann"):
                inside += 1
                most_inside = max(most_inside, inside)
                await asyncio.sleep(0.005)
                inside -= 1
                done[replica] += 1

    async with asyncio.timeout(30):
        await asyncio.gather(work(0), work(0), work(1), work(1))
    assert most_inside == 1
    assert done == {0: 30, 1: 30}  # both replicas made progress to the end


async def holding(replica: RedisLocks, key: str, release: asyncio.Event) -> asyncio.Task[None]:
    """A task of ``replica`` holding ``key`` until ``release`` is set; returned once it holds it."""
    held = asyncio.Event()

    async def hold() -> None:
        async with replica.hold(key):
            held.set()
            await release.wait()

    task = asyncio.create_task(hold())
    await held.wait()
    return task


async def test_waiters_in_one_replica_keep_arrival_order(coords: Callable[[], RedisCoord]) -> None:
    a, b = locks(coords()), locks(coords())
    order: list[str] = []
    release = asyncio.Event()

    async def waiter(name: str) -> None:
        async with a.hold("ann"):
            order.append(name)

    task = await holding(b, "ann", release)
    waiters = [asyncio.create_task(waiter(name)) for name in "xyz"]
    await asyncio.sleep(0.05)
    assert order == []  # the other replica holds it
    release.set()
    async with asyncio.timeout(5):
        await asyncio.gather(task, *waiters)
    assert order == ["x", "y", "z"]


async def test_different_keys_do_not_wait_for_each_other(coords: Callable[[], RedisCoord]) -> None:
    a, b = locks(coords()), locks(coords())
    async with a.hold("ann"), asyncio.timeout(1), b.hold("bob"):
        pass


async def test_a_held_lock_outlives_its_ttl_while_renewed(coords: Callable[[], RedisCoord]) -> None:
    a = locks(coords(), ttl=0.3, renew_every=0.05)
    b = locks(coords(), ttl=0.3, wait=0.2)
    async with a.hold("ann"):
        await asyncio.sleep(0.6)  # twice the ttl
        with pytest.raises(LockTimeout):
            async with b.hold("ann"):
                pass
    assert a.lost == 0


async def test_a_patient_waiter_waits_as_long_as_a_live_holder_holds_and_says_so(
    coords: Callable[[], RedisCoord], caplog: pytest.LogCaptureFixture
) -> None:
    # Telegram's per-user locks: the user's earlier update may run long in another replica.
    holder = locks(coords(), ttl=0.3, renew_every=0.05)
    patient = RedisLocks(coords(), "conv", ttl=0.3, wait=0.2, give_up=False)
    release = asyncio.Event()
    task = await holding(holder, "ann", release)
    loop = asyncio.get_running_loop()
    loop.call_later(0.7, release.set)  # more than three waits, twice the ttl
    started = loop.time()
    with caplog.at_level(logging.WARNING, logger="bot.coord.locks"):
        async with asyncio.timeout(5), patient.hold("ann"):
            waited = loop.time() - started
    await task
    assert 0.6 < waited < 2
    warnings = [
        r for r in caplog.records if r.getMessage() == "a lock is still taken by its holder; waiting on"
    ]
    assert 2 <= len(warnings) <= 4
    assert holder.lost == 0


async def test_a_dead_holders_lock_expires(coords: Callable[[], RedisCoord]) -> None:
    # The holder "dies": it never renews (a heartbeat far beyond the ttl) and never releases.
    dead = locks(coords(), ttl=0.3, renew_every=3600)
    alive = locks(coords(), wait=5)
    entered = asyncio.Event()

    async def die_holding() -> None:
        async with dead.hold("ann"):
            entered.set()
            await asyncio.sleep(3600)

    corpse = asyncio.create_task(die_holding())
    await entered.wait()
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with alive.hold("ann"):
        waited = loop.time() - started
    assert 0.1 < waited < 2
    corpse.cancel()
    with pytest.raises(asyncio.CancelledError):
        await corpse


async def test_a_late_holder_does_not_release_the_next_ones_lock(
    coords: Callable[[], RedisCoord], caplog: pytest.LogCaptureFixture
) -> None:
    slow = locks(coords(), ttl=0.2, renew_every=3600)
    other_coord = coords()
    other = locks(other_coord, wait=5)
    third = locks(coords(), wait=0.3)
    slow_inside = asyncio.Event()
    other_inside = asyncio.Event()
    finish_other = asyncio.Event()

    async def stall() -> None:
        async with slow.hold("ann"):
            slow_inside.set()
            await other_inside.wait()  # its lock expired and was taken meanwhile

    async def take_over() -> None:
        await slow_inside.wait()
        async with other.hold("ann"):
            other_inside.set()
            await finish_other.wait()

    with caplog.at_level(logging.ERROR, logger="bot.coord.locks"):
        stalled = asyncio.create_task(stall())
        took = asyncio.create_task(take_over())
        async with asyncio.timeout(5):
            await stalled  # the slow holder leaves now: its release must not free other's lock
    assert slow.lost == 1
    assert "expired before its holder released it" in caplog.text
    assert await other_coord.client.exists(other.redis_key("ann")) == 1
    with pytest.raises(LockTimeout):
        async with third.hold("ann"):
            pass
    finish_other.set()
    await took
    assert await other_coord.client.exists(other.redis_key("ann")) == 0


async def test_a_lost_lock_is_reported_by_its_heartbeat(
    coord: RedisCoord, caplog: pytest.LogCaptureFixture
) -> None:
    held = locks(coord, ttl=5, renew_every=0.05)
    with caplog.at_level(logging.ERROR, logger="bot.coord.locks"):
        async with held.hold("ann"):
            await coord.client.set(held.redis_key("ann"), b"someone-else")
            await asyncio.sleep(0.2)
    assert held.lost == 2  # the heartbeat saw it gone, and the release found it not ours
    assert "lost a lock while holding it" in caplog.text
    assert await coord.client.get(held.redis_key("ann")) == b"someone-else"


async def test_a_failing_body_releases_the_lock(coords: Callable[[], RedisCoord]) -> None:
    a, b = locks(coords()), locks(coords(), wait=1)
    with pytest.raises(RuntimeError):
        async with a.hold("ann"):
            raise RuntimeError("boom")
    async with b.hold("ann"):
        pass


async def test_without_redis_the_key_is_held_in_this_process(caplog: pytest.LogCaptureFixture) -> None:
    dead = RedisCoord.from_url("redis://127.0.0.1:1/0", "test-coord-dead:")
    try:
        only_here = locks(dead)
        order: list[str] = []

        async def work(name: str) -> None:
            async with only_here.hold("ann"):
                order.append(f"{name}+")
                await asyncio.sleep(0.01)
                order.append(f"{name}-")

        async with asyncio.timeout(5):
            await asyncio.gather(work("a"), work("b"))
        assert order == ["a+", "a-", "b+", "b-"]
        assert "held in this process only" in caplog.text
    finally:
        await dead.aclose()
