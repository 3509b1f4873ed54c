"""Account checks share a list read only while it waits for the limiter (``SharedListReads``).

The real :class:`ZadarmaClient` against an httpx mock of ``GET /v1/direct_numbers/``
whose answer is the account as it is when the request arrives; the limiter is
the real one, held shut by a gate so that checks queue as they do under
Zadarma's rate limit.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging

import httpx
import pytest

from bot.zadarma import ZadarmaClient, ZadarmaTransportError
from bot.zadarma.models import DirectNumber
from bot.zadarma.ratelimit import Priority, RateLimiter
from tests.fakes.clock import FakeClock
from tests.waiting import eventually


class GatedLimiter(RateLimiter):
    """The real limiter, but no call goes before ``gate`` is set: checks queue as under the rate limit."""

    def __init__(self) -> None:
        super().__init__(10**6)
        self.gate = asyncio.Event()
        self.held = 0
        self.priorities: list[int] = []
        self.broken: Exception | None = (
            None  # raised once by the next call let through (a shared budget down)
        )

    async def acquire(self, priority: int = Priority.FINISH) -> None:
        self.held += 1
        self.priorities.append(priority)
        await self.gate.wait()
        self.held -= 1
        if self.broken is not None:
            broken, self.broken = self.broken, None
            raise broken
        await super().acquire(priority)


def item(number: str) -> dict[str, str]:
    return {"number": number, "status": "on", "sip": "100", "type": "order"}


class Account:
    """The emulated account: its list as it is when each request arrives."""

    def __init__(self, *numbers: str) -> None:
        self.numbers = list(numbers)
        self.requests = 0
        self.hold: asyncio.Event | None = None  # when set: requests wait here once they have arrived
        self.arrived = asyncio.Event()
        self.fail_next = False

    async def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "GET" and request.url.path == "/v1/direct_numbers/"
        self.requests += 1
        if self.fail_next:
            self.fail_next = False
            raise httpx.ConnectError("refused", request=request)
        body = json.dumps({"status": "success", "info": [item(n) for n in self.numbers]}).encode()
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        return httpx.Response(200, content=body)


def client_of(account: Account, limiter: RateLimiter) -> ZadarmaClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(account.handler))
    return ZadarmaClient(
        http,
        base_url="http://127.0.0.1:1",
        key="k",
        secret="s",
        limiter=limiter,
        max_retries=0,
        sleep=FakeClock().skip,
    )


async def queued(
    client: ZadarmaClient, limiter: GatedLimiter, *numbers: str, priority: int | None = None
) -> list[asyncio.Task[DirectNumber | None]]:
    """Checks of ``numbers``, waiting together for the limiter behind one read."""
    checks = [asyncio.create_task(client.find_direct_number(n, priority=priority)) for n in numbers]
    await eventually(lambda: limiter.held == 1, what="one read waits for the limiter")
    return checks


async def test_checks_waiting_for_the_limiter_share_one_read_and_each_gets_its_own_answer() -> None:
    account = Account("+48221234567", "48229876543")
    limiter = GatedLimiter()
    client = client_of(account, limiter)
    asked = ["48220000001", "+48229876543", "48220000002", "48221234567"]
    checks = await queued(client, limiter, *asked, priority=Priority.START)
    limiter.gate.set()
    found = await asyncio.gather(*checks)
    assert [r.number if r else None for r in found] == [None, "48229876543", None, "+48221234567"]
    assert account.requests == 1
    # Alone, each check reads the list itself and gets the same answer.
    for number, shared in zip(asked, found, strict=True):
        assert await client.find_direct_number(number, priority=Priority.START) == shared
    assert account.requests == 1 + len(asked)


async def test_checks_that_all_prove_absence_share_a_read_that_lists_nothing() -> None:
    account = Account("48221234567")
    limiter = GatedLimiter()
    client = client_of(account, limiter)
    checks = await queued(client, limiter, *(f"4822000000{i}" for i in range(5)))
    limiter.gate.set()
    assert await asyncio.gather(*checks) == [None] * 5
    assert account.requests == 1


async def test_a_check_asked_after_the_read_was_sent_reads_the_account_again_at_once() -> None:
    """The evidence before an order: the read must start after the check was asked."""
    account = Account("48221234567")
    account.hold = asyncio.Event()
    limiter = GatedLimiter()
    limiter.gate.set()
    client = client_of(account, limiter)
    first = asyncio.create_task(client.find_direct_number("48229999999", priority=Priority.START))
    await asyncio.wait_for(account.arrived.wait(), 5)
    # The number becomes the account's once the first read has been answered from the server's state.
    account.numbers.append("48229999999")
    second = asyncio.create_task(client.find_direct_number("48229999999", priority=Priority.START))
    # Its own read goes out while the first one's reply is still awaited.
    await eventually(lambda: account.requests == 2, what="the later check sends a read of its own")
    account.hold.set()
    assert await first is None
    found = await second
    assert found is not None and found.number == "48229999999"


async def test_checks_at_other_priorities_do_not_share_a_read() -> None:
    account = Account("48221234567")
    limiter = GatedLimiter()
    client = client_of(account, limiter)
    start = asyncio.create_task(client.find_direct_number("48221234567", priority=Priority.START))
    finish = asyncio.create_task(client.find_direct_number("48221234567", priority=Priority.FINISH))
    await eventually(lambda: limiter.held == 2, what="two reads wait, one per priority")
    limiter.gate.set()
    a, b = await asyncio.gather(start, finish)
    assert a is not None and a == b
    assert account.requests == 2


async def test_a_failed_read_fails_every_check_that_shared_it_and_the_next_check_reads_again() -> None:
    account = Account("48221234567")
    account.fail_next = True
    limiter = GatedLimiter()
    client = client_of(account, limiter)
    checks = await queued(client, limiter, "48221234567", "48220000000")
    limiter.gate.set()
    results = await asyncio.gather(*checks, return_exceptions=True)
    assert [type(r) for r in results] == [ZadarmaTransportError, ZadarmaTransportError]
    assert results[0] is results[1]
    again = await client.find_direct_number("48221234567")
    assert again is not None and account.requests == 2


async def test_a_check_given_up_leaves_the_shared_read_to_the_others() -> None:
    account = Account("48221234567")
    limiter = GatedLimiter()
    client = client_of(account, limiter)
    first, other = await queued(client, limiter, "48220000000", "48221234567")
    first.cancel()
    limiter.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await first
    found = await other
    assert found is not None and found.number == "48221234567"
    assert account.requests == 1


async def test_a_read_that_fails_before_its_turn_takes_no_later_check() -> None:
    account = Account("48221234567")
    limiter = GatedLimiter()
    limiter.broken = ConnectionError("the shared budget cannot be reached")
    client = client_of(account, limiter)
    checks = await queued(client, limiter, "48221234567", "48220000000", priority=Priority.START)
    limiter.gate.set()
    results = await asyncio.gather(*checks, return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    assert account.requests == 0
    found = await client.find_direct_number("48221234567", priority=Priority.START)
    assert found is not None and account.requests == 1


async def test_a_check_without_a_priority_waits_at_the_lists_own() -> None:
    account = Account()
    limiter = GatedLimiter()
    limiter.gate.set()
    client = client_of(account, limiter)
    await client.find_direct_number("48221234567")
    await client.find_direct_number("48221234567", priority=Priority.START)
    await client.direct_numbers()
    assert limiter.priorities == [limiter.priorities[2], Priority.START, limiter.priorities[2]]
    assert account.requests == 3


async def test_the_reads_failure_is_retrieved_when_every_check_gave_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    account = Account()
    account.fail_next = True
    limiter = GatedLimiter()
    client = client_of(account, limiter)
    [check] = await queued(client, limiter, "48220000000")
    check.cancel()
    limiter.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await check
    await eventually(lambda: account.requests == 1, what="the read is still sent")
    for _ in range(5):
        await asyncio.sleep(0)
    gc.collect()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await client.find_direct_number("48220000000") is None
    assert account.requests == 2
