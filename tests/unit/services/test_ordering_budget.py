"""Under a short request budget, customers who paid are served before new spending starts.

The real services and client over the emulator, with the client's own limiter on
a fake clock: the window is filled, calls queue, and one slot is freed at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.services import Services
from bot.services.errors import OutcomePending
from bot.services.ordering import OrderRequest
from bot.storage import IntentStatus
from bot.zadarma.models import Direction
from bot.zadarma.ratelimit import WINDOW_SECONDS, Priority, RateLimiter
from tests.fakes.clock import FakeClock
from tests.stack import services_over
from tests.unit.services.conftest import ALICE, BOB, Stack

PER_MINUTE = 10
LIST_PATH = "/v1/direct_numbers/"


class Recorder(httpx.AsyncBaseTransport):
    """The emulator's transport, keeping the path of every request in the order they arrived."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._inner = sandbox.transport()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self._inner.handle_async_request(request)


@asynccontextmanager
async def short_budget(stack: Stack) -> AsyncIterator[tuple[Services, RateLimiter, FakeClock, Recorder]]:
    clock = FakeClock()
    limiter = RateLimiter(PER_MINUTE, clock=clock.monotonic, wall=clock.time, sleep=clock.sleep)
    recorder = Recorder(stack.sandbox)
    async with services_over(stack, recorder, limiter=limiter) as services:
        yield services, limiter, clock, recorder


async def settle() -> None:
    """Let every runnable task run until it blocks again."""
    for _ in range(200):
        await asyncio.sleep(0)


async def fill_window(limiter: RateLimiter, clock: FakeClock) -> float:
    """Use every slot of the current window (one second apart), so the next call must queue.

    Returns when (monotonic) the first of those slots frees again.
    """
    clock.advance(WINDOW_SECONDS)  # the calls made before have left the window
    first = clock.monotonic()
    while limiter.delay(Priority.FINISH) == 0:
        await limiter.acquire(Priority.FINISH)
        clock.advance(1)
    return first + WINDOW_SECONDS


async def an_order(services: Services) -> tuple[Direction, OrderRequest]:
    direction = next(d for d in await services.catalog.directions("US", "en") if not d.needs_documents)
    free = await services.catalog.free_numbers(direction.id)
    await services.catalog.balance()  # the confirmation screen has read it
    return direction, OrderRequest(direction_id=direction.id, number_id=free[0].id, number=free[0].number)


async def until_one_more_call(clock: FakeClock, recorder: Recorder) -> list[str]:
    """Let the window drain a second at a time until a queued call is sent; the paths sent then."""
    before = len(recorder.paths)
    for _ in range(120):
        clock.advance(1)
        await settle()
        if len(recorder.paths) > before:
            return recorder.paths[before:]
    raise AssertionError("no queued call was sent within two windows")


async def test_a_paid_customers_next_screen_goes_before_another_customers_order(stack: Stack) -> None:
    async with short_budget(stack) as (services, limiter, clock, recorder):
        direction, request = await an_order(services)
        await fill_window(limiter, clock)
        # Bob confirms first: his order's account check queues.
        bob = asyncio.create_task(services.ordering.place_order(BOB, "bob-1", request, direction))
        await settle()
        # Alice has just paid; her next screen (the SIP targets) needs a read, asked for after Bob's.
        alice = asyncio.create_task(services.numbers.sip_logins())
        await settle()
        first = await until_one_more_call(clock, recorder)
        assert first == ["/v1/sip/"]
        assert alice.done() and await alice
        assert not bob.done()
        clock.advance(60)
        await settle()
        outcome = await bob
    assert outcome.number and recorder.paths[-2:] == [LIST_PATH, "/v1/direct_numbers/order/"]


async def test_settling_a_paid_order_goes_before_another_customers_order(stack: Stack) -> None:
    async with short_budget(stack) as (services, limiter, clock, recorder):
        direction, request = await an_order(services)
        free = await services.catalog.free_numbers(direction.id)
        # Alice's order reached Zadarma but its reply was lost: unknown until the account shows it.
        alice_request = OrderRequest(direction_id=direction.id, number_id=free[1].id, number=free[1].number)
        stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
        with pytest.raises(OutcomePending):
            await services.ordering.place_order(ALICE, "alice-lost", alice_request, direction)
        stack.sandbox.clear_faults()
        intent = await stack.storage.intents.get("alice-lost")
        assert intent is not None and intent.status == IntentStatus.UNKNOWN
        frees = await fill_window(limiter, clock)
        bob = asyncio.create_task(services.ordering.place_order(BOB, "bob-2", request, direction))
        await settle()
        settling = asyncio.create_task(services.ordering.settle(intent, final=False))
        await settle()
        first = await until_one_more_call(clock, recorder)
        # The one call that fitted was Alice's settling read, in the first slot that freed (it may
        # fill the window: lower priorities leave part of it): she is settled, Bob has not started.
        assert first == [LIST_PATH] and clock.monotonic() == frees
        assert await asyncio.wait_for(settling, 10)
        assert await stack.storage.intents.get("bob-2") is None and not bob.done()
        clock.advance(60)
        await settle()
        await bob
    settled = await stack.storage.intents.get("alice-lost")
    assert settled is not None and settled.status == IntentStatus.SUCCEEDED
    placed = await stack.storage.intents.get("bob-2")
    assert placed is not None and placed.status == IntentStatus.SUCCEEDED
