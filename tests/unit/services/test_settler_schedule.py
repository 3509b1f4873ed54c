"""When the settler looks at an unknown outcome again: soon, doubling, capped, last at the window's end."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.services.errors import OutcomePending
from bot.services.settlement import IDLE_SECONDS, Settler
from bot.storage import IntentKind, IntentStatus
from tests.fakes.clock import FakeClock
from tests.stack import services_over
from tests.unit.services.conftest import ALICE, Stack
from tests.unit.services.test_settlement import plain_direction, request_for


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
    clock = FakeClock(start)
    stack.sandbox.set_faults(error_rate=1.0)  # the account cannot be read at all
    async with services_over(stack, stack.sandbox.transport(), max_retries=0) as services:
        # one try per look (no retries): the settler's own schedule is what is measured
        ordering = services.ordering
        settler = Settler(ordering, stack.storage, first_check=1.0, max_interval=8.0, clock=clock)
        await looks_with_backoff(stack, settler, clock, start, ends)


async def looks_with_backoff(
    stack: Stack, settler: Settler, clock: FakeClock, start: datetime, ends: datetime
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
    lost = await stack.storage.intents.get("lost")
    assert lost is not None and lost.status == IntentStatus.UNKNOWN

    stack.sandbox.clear_faults()
    clock.at(ends, 8)
    assert await settler.settle_due() == IDLE_SECONDS
    lost = await stack.storage.intents.get("lost")
    assert lost is not None and lost.status != IntentStatus.UNKNOWN
    assert settler.settled == 1 and settler.last_error is None
    assert settler.health()["checking"] == 0


# -- taking over what a dead replica left (replicas sharing one store) ---------------


async def left_pending(stack: Stack, key: str) -> datetime:
    """An order a replica recorded and died before sending; returns when it was last changed."""
    direction = await plain_direction(stack)
    params = (await request_for(stack, direction)).to_params()
    await stack.storage.intents.create(key, IntentKind.ORDER, ALICE.user, params)
    intent = await stack.storage.intents.get(key)
    assert intent is not None
    return intent.updated_at


async def status_of(stack: Stack, key: str) -> IntentStatus:
    intent = await stack.storage.intents.get(key)
    assert intent is not None
    return intent.status


async def test_rounds_take_over_an_intent_only_once_it_is_older_than_orphan_after_and_after_start_up(
    stack: Stack,
) -> None:
    start = await left_pending(stack, "orphan")
    clock = FakeClock(start)
    settler = Settler(stack.services.ordering, stack.storage, clock=clock, orphan_after=20.0)

    # Before its own start-up recovery has run, a round takes nothing over and keeps no takeover beat.
    clock.at(start, 100)
    assert await settler.settle_due() == IDLE_SECONDS
    assert await status_of(stack, "orphan") == IntentStatus.PENDING

    settler.recovered.set()
    for at in (0, 19, 20):  # not older than orphan_after yet (20 s exactly is not older)
        clock.at(start, at)
        assert await settler.settle_due() == 10.0  # the next look for orphans: half of orphan_after
        assert await status_of(stack, "orphan") == IntentStatus.PENDING
    clock.at(start, 20.5)
    assert await settler.settle_due() == 10.0
    assert await status_of(stack, "orphan") == IntentStatus.FAILED  # never sent: it failed


async def test_a_short_orphan_after_still_looks_for_orphans_at_most_once_a_second(stack: Stack) -> None:
    start = await left_pending(stack, "orphan")
    clock = FakeClock(start)
    settler = Settler(stack.services.ordering, stack.storage, clock=clock, orphan_after=0.5)
    settler.recovered.set()
    assert await settler.settle_due() == 1.0
    assert await status_of(stack, "orphan") == IntentStatus.PENDING
    clock.at(start, 0.6)
    assert await settler.settle_due() == 1.0
    assert await status_of(stack, "orphan") == IntentStatus.FAILED


async def test_a_single_replica_leaves_open_intents_to_its_start_up_recovery(stack: Stack) -> None:
    start = await left_pending(stack, "open")
    clock = FakeClock(start)
    settler = Settler(stack.services.ordering, stack.storage, clock=clock)  # no orphan_after
    settler.recovered.set()
    clock.at(start, 3600)
    assert await settler.settle_due() == IDLE_SECONDS
    assert await status_of(stack, "open") == IntentStatus.PENDING
