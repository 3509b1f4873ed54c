"""The client-side request budget."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime

import httpx
import pytest

from bot.zadarma import ZadarmaClient
from bot.zadarma.ratelimit import Priority, RateLimiter, parse_reset, reserve
from tests.fakes.clock import FakeClock

WALL_START = datetime.fromtimestamp(1_700_000_000, UTC)


def make(per_minute: int) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock(WALL_START)
    limiter = RateLimiter(per_minute, clock=clock.monotonic, wall=clock.time, sleep=clock.sleep)
    return limiter, clock


async def settle() -> None:
    """Let every runnable task run until it blocks again."""
    for _ in range(100):
        await asyncio.sleep(0)


def queue(limiter: RateLimiter, served: list[str], name: str, priority: int) -> asyncio.Task[None]:
    async def take() -> None:
        await limiter.acquire(priority)
        served.append(name)

    return asyncio.create_task(take(), name=name)


async def test_window_allows_the_budget_then_waits_for_the_oldest() -> None:
    limiter, clock = make(3)
    for _ in range(3):
        assert limiter.delay() == 0
        await limiter.acquire()
        clock.advance(1)
    assert limiter.delay() == 57.0
    clock.advance(57)
    assert limiter.delay() == 0


async def test_urgent_waiter_overtakes_queued_reads() -> None:
    limiter, clock = make(2)
    await limiter.acquire()
    clock.advance(1)
    await limiter.acquire()
    served: list[str] = []
    for i in range(3):
        queue(limiter, served, f"get{i}", Priority.NORMAL)
    await settle()  # get0 is now sleeping for the next slot
    queue(limiter, served, "post", Priority.URGENT)
    await settle()
    assert served == [] and limiter.waiting == 4
    clock.advance(59)  # the first start leaves the window: one slot
    await settle()
    assert served == ["post"]
    clock.advance(1)
    await settle()
    assert served == ["post", "get0"]
    clock.advance(60)
    await settle()
    assert served == ["post", "get0", "get1", "get2"]
    assert limiter.waiting == 0


async def test_same_priority_is_served_in_arrival_order() -> None:
    limiter, clock = make(1)
    await limiter.acquire()
    served: list[str] = []
    for name, priority in [("a", 0), ("b", 10), ("c", 0), ("d", 10), ("e", 5), ("f", 0)]:
        queue(limiter, served, name, priority)
        await settle()
    for _ in range(6):
        clock.advance(60)
        await settle()
    assert served == ["b", "d", "e", "a", "c", "f"]


async def test_window_is_never_exceeded_with_mixed_priorities() -> None:
    limiter, clock = make(5)
    rng = random.Random(7)
    starts: list[float] = []

    async def take(priority: int) -> None:
        await limiter.acquire(priority)
        starts.append(clock.mono)

    tasks = []
    for _ in range(60):
        for _ in range(rng.randint(0, 2)):
            tasks.append(asyncio.create_task(take(rng.choice([Priority.NORMAL, Priority.URGENT]))))
        await settle()
        clock.advance(rng.choice([0.5, 3.0, 7.0]))
    for _ in range(100):
        await settle()
        if all(t.done() for t in tasks):
            break
        clock.advance(10)
    assert all(t.done() for t in tasks) and len(starts) == len(tasks) > 40
    for first, sixth in zip(starts, starts[5:], strict=False):
        assert sixth - first >= 60
    assert limiter.waiting == 0
    # only the head sleeps, and only for a positive wait: no busy loop
    assert all(s > 0 for s in clock.sleeps)
    assert len(clock.sleeps) <= 2 * len(tasks)


async def test_cancelled_waiters_do_not_block_the_others() -> None:
    limiter, clock = make(1)
    await limiter.acquire()
    served: list[str] = []
    head = queue(limiter, served, "head", Priority.NORMAL)
    middle = queue(limiter, served, "middle", Priority.NORMAL)
    last = queue(limiter, served, "last", Priority.NORMAL)
    await settle()
    urgent = queue(limiter, served, "urgent", Priority.URGENT)
    await settle()
    assert limiter.waiting == 4
    for task in (urgent, head, middle):  # the new head, the old sleeping head, one behind
        task.cancel()
    await settle()
    for task in (urgent, head, middle):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert limiter.waiting == 1 and not last.done()
    clock.advance(60)
    await settle()
    assert served == ["last"] and limiter.waiting == 0
    clock.advance(60)
    await asyncio.wait_for(limiter.acquire(), 1)


async def test_block_until_delays_every_priority() -> None:
    limiter, clock = make(10)
    limiter.block_until(clock.time() + 30)
    served: list[str] = []
    queue(limiter, served, "get", Priority.NORMAL)
    queue(limiter, served, "post", Priority.URGENT)
    await settle()
    clock.advance(29.5)
    await settle()
    assert served == []
    clock.advance(0.5)
    await settle()
    assert served == ["post", "get"]


async def test_block_arriving_while_the_head_sleeps_extends_its_wait() -> None:
    limiter, clock = make(1)
    await limiter.acquire()
    served: list[str] = []
    queue(limiter, served, "post", Priority.URGENT)
    await settle()
    clock.advance(30)
    limiter.block_until(clock.time() + 45)  # until 75 s after the start in the window
    clock.advance(30)
    await settle()
    assert served == []
    clock.advance(15)
    await settle()
    assert served == ["post"]


async def test_client_sends_a_write_before_queued_reads() -> None:
    limiter, clock = make(1)
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if request.method == "GET":
            body: dict[str, object] = {"status": "success", "balance": "1.5", "currency": "USD"}
        else:
            body = {
                "status": "success",
                "number": "48221112233",
                "stop_date": "2024-02-01 00:00:00",
                "total_paid": {"amount": "1.5", "currency": "USD"},
            }
        return httpx.Response(200, content=json.dumps(body).encode())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = ZadarmaClient(http, base_url="http://127.0.0.1:1", key="k", secret="s", limiter=limiter)
        await client.balance()  # fills the window
        reads = [asyncio.create_task(client.balance()) for _ in range(3)]
        await settle()
        write = asyncio.create_task(client.prolong_number("48221112233", 1))
        await settle()
        assert sent == ["GET"]
        clock.advance(60)
        await settle()
        assert sent == ["GET", "POST"]
        for _ in range(3):
            clock.advance(60)
            await settle()
        await asyncio.gather(write, *reads)
    assert sent == ["GET", "POST", "GET", "GET", "GET"]


def test_server_headers_block_until_reset() -> None:
    limiter, clock = make(100)
    limiter.observe(
        {
            "x-ratelimit-limit": "100",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(clock.time() + 12),
        }
    )
    assert limiter.state.remaining == 0
    assert 11.9 < limiter.delay() <= 12
    clock.advance(12)
    assert limiter.delay() == 0


def test_reset_header_forms() -> None:
    assert parse_reset("1700000100", 1_700_000_000.0) == 1_700_000_100
    assert parse_reset("30", 1_700_000_000.0) == 1_700_000_030
    assert parse_reset("soon", 1.0) is None
    assert parse_reset(None, 1.0) is None


def test_calls_nearer_the_end_of_an_order_come_first() -> None:
    from bot.zadarma.client import call_priority

    flow_backwards = [
        ("GET", "/v1/direct_numbers/number/"),  # the final card
        ("PUT", "/v1/direct_numbers/set_sip_id/"),  # connecting the number
        ("POST", "/v1/direct_numbers/order/"),  # paying
        ("GET", "/v1/info/balance/"),  # the confirmation screen
        ("GET", "/v1/direct_numbers/available/3004/"),  # choosing a number
    ]
    ranks = [call_priority(method, path) for method, path in flow_backwards]
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) == len(ranks)
    assert call_priority("GET", "/v1/direct_numbers/countries/") == ranks[-1]
    assert call_priority("POST", "/v1/direct_numbers/prolong/") == ranks[2]


async def test_lower_priorities_leave_part_of_the_window_to_higher_ones() -> None:
    limiter, _ = make(100)
    taken = 0
    for priority in sorted(Priority):
        while limiter.delay(priority) == 0:
            await limiter.acquire(priority)
            taken += 1
        assert 0 < limiter.delay(priority) <= 60
        assert taken == 100 - round(100 * reserve(priority))
    assert taken == 100  # the top priority may fill the window


async def test_a_tiny_budget_still_serves_every_priority() -> None:
    limiter, _ = make(1)
    assert limiter.delay(Priority.BROWSE) == 0
    await limiter.acquire(Priority.BROWSE)
    assert limiter.delay(Priority.FINISH) == 60


async def test_budget_left_counts_the_window_and_follows_the_server() -> None:
    limiter, clock = make(10)
    assert limiter.budget_left() == 10
    for _ in range(4):
        await limiter.acquire()
        clock.advance(10)
    assert limiter.budget_left() == 6
    clock.advance(21)  # the first start (40 s ago before this) leaves the window
    assert limiter.budget_left() == 7
    # The server says fewer are left (other processes share the account) until its reset.
    limiter.observe({"x-ratelimit-remaining": "2", "x-ratelimit-reset": "30"})
    assert limiter.budget_left() == 2
    clock.advance(31)
    assert limiter.budget_left() == 10
    limiter.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "5"})
    assert limiter.budget_left() == 0
    clock.advance(6)
    assert limiter.budget_left() == 10
