"""When the settler looks at an unknown outcome again: soon, doubling, capped, last at the window's end."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from bot.services import Services
from bot.services.errors import OutcomePending
from bot.services.settlement import IDLE_SECONDS, Settler
from bot.storage import IntentStatus
from bot.zadarma import RateLimiter, ZadarmaClient
from tests.unit.services.conftest import ALICE, Stack
from tests.unit.services.test_settlement import plain_direction, request_for


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, start: datetime, seconds: float) -> None:
        self.now = start + timedelta(seconds=seconds)


async def test_an_unreadable_account_is_looked_at_with_backoff_until_the_outcome_is_proved(
    stack: Stack,
) -> None:
    direction = await plain_direction(stack)
    stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
    with pytest.raises(OutcomePending):
        await stack.services.ordering.place_order(
            ALICE, "lost", await request_for(stack, direction), direction
        )
    intent = await stack.storage.intents.get("lost")
    assert intent is not None and intent.status == IntentStatus.UNKNOWN
    ends = stack.services.ordering.window_ends(intent)
    start = intent.updated_at
    clock = Clock(start)
    stack.sandbox.set_faults(error_rate=1.0)  # the account cannot be read at all
    async with httpx.AsyncClient(transport=stack.sandbox.transport()) as http:
        # one try per look (no retries): the settler's own schedule is what is measured
        client = ZadarmaClient(
            http,
            base_url="http://sandbox.local",
            key=stack.sandbox.key,
            secret=stack.sandbox.secret,
            limiter=RateLimiter(10_000),
            max_retries=0,
        )
        ordering = Services.build(client, stack.storage).ordering
        settler = Settler(ordering, stack.storage, first_check=1.0, max_interval=8.0, clock=clock)
        await looks_with_backoff(stack, settler, clock, start, ends)


async def looks_with_backoff(
    stack: Stack, settler: Settler, clock: Clock, start: datetime, ends: datetime
) -> None:

    waits = []
    for at in (0, 0.5, 1, 3, 7, 15, 23):
        clock.at(start, at)
        waits.append(await settler.settle_due())
    # looked at 0, 1, 3, 7, 15, 23 (not at 0.5: not due yet); the wait doubles up to the cap
    assert waits == [1.0, 0.5, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert settler.last_error is not None and settler.settled == 0
    assert settler.health()["checking"] == 1

    # A look due shortly before the window ends is followed by one right at its end.
    last = (ends - start).total_seconds() - 3
    clock.at(start, last)
    assert await settler.settle_due() == pytest.approx(3.0)
    clock.now = ends  # the decisive look: the account still cannot be read, so nothing is guessed
    assert await settler.settle_due() == 8.0
    assert (await stack.storage.intents.get("lost")).status == IntentStatus.UNKNOWN  # type: ignore[union-attr]

    stack.sandbox.clear_faults()
    clock.at(ends, 8)
    assert await settler.settle_due() == IDLE_SECONDS
    assert (await stack.storage.intents.get("lost")).status != IntentStatus.UNKNOWN  # type: ignore[union-attr]
    assert (settler.settled, settler.last_error) == (1, None)
    assert settler.health()["checking"] == 0
