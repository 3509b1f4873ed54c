"""When the settler looks at an unknown outcome again: soon, doubling, capped, last at the window's end."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest

from bot.coord.in_hand import MARGIN, InHand, WorkView, intent_key
from bot.services.errors import OutcomePending
from bot.services.settlement import IDLE_SECONDS, Settler
from bot.storage import IntentKind, IntentStatus
from tests.fakes.clock import FakeClock
from tests.stack import services_over
from tests.unit.services.conftest import ALICE, Stack
from tests.unit.services.test_settlement import plain_direction, renewal_left_unknown, request_for


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


class Watching(httpx.AsyncBaseTransport):
    """Calls ``look()`` as each request goes out, then sends it through ``inner``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, look: Callable[[], object]) -> None:
        self._inner = inner
        self._look = look

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._look()
        return await self._inner.handle_async_request(request)


class FixedRoster:
    """A roster whose view the test sets: what the live replicas said they hold, and since when."""

    def __init__(self, view: WorkView | None, heartbeat: float = 2.0) -> None:
        self.seen: WorkView | None = view
        self._heartbeat = heartbeat

    @property
    def heartbeat(self) -> float:
        return self._heartbeat

    async def view(self) -> WorkView | None:
        return self.seen


async def test_with_a_roster_an_intent_nobody_holds_is_taken_over_once_every_live_list_is_newer(
    stack: Stack,
) -> None:
    start = await left_pending(stack, "orphan")
    await left_pending(stack, "held")  # a live replica is placing this one
    clock = FakeClock(start)
    roster = FixedRoster(WorkView(frozenset({intent_key("held")}), start))
    settler = Settler(stack.services.ordering, stack.storage, clock=clock, orphan_after=600.0, roster=roster)
    settler.recovered.set()

    # Every live list is as old as the intents: a live replica may not have listed them yet.
    clock.at(start, 1)
    assert await settler.settle_due() == 2.0  # the next look: the roster's heartbeat, not 300 s
    assert await status_of(stack, "orphan") == IntentStatus.PENDING

    # Every live list is now well newer than both; only the one no replica holds is taken over,
    # long before orphan_after.
    roster.seen = WorkView(frozenset({intent_key("held")}), start + MARGIN + timedelta(seconds=1))
    clock.at(start, 5)
    await settler.settle_due()
    assert await status_of(stack, "orphan") == IntentStatus.FAILED
    assert await status_of(stack, "held") == IntentStatus.PENDING

    # Redis cannot tell: age alone decides again, and the held one is old enough only after orphan_after.
    roster.seen = None
    clock.at(start, 599)
    await settler.settle_due()
    assert await status_of(stack, "held") == IntentStatus.PENDING
    clock.at(start, 601)
    await settler.settle_due()
    assert await status_of(stack, "held") == IntentStatus.FAILED


async def test_the_start_up_recovery_of_a_replica_takes_what_nobody_holds_and_leaves_what_a_live_one_holds(
    stack: Stack,
) -> None:
    start = await left_pending(stack, "orphan")
    await left_pending(stack, "held")
    later = start + MARGIN + timedelta(seconds=1)
    roster = FixedRoster(WorkView(frozenset({intent_key("held")}), later))
    settler = Settler(
        stack.services.ordering, stack.storage, clock=FakeClock(later), orphan_after=600.0, roster=roster
    )
    await settler.start()
    try:
        await asyncio.wait_for(settler.recovered.wait(), 5)
    finally:
        await settler.stop()
    assert await status_of(stack, "orphan") == IntentStatus.FAILED
    assert await status_of(stack, "held") == IntentStatus.PENDING


async def test_an_order_a_renewal_and_a_settling_are_in_hand_while_they_call_zadarma(stack: Stack) -> None:
    in_hand = InHand()
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    seen: list[frozenset[str]] = []
    watching = Watching(stack.sandbox.transport(), lambda: seen.append(in_hand.keys()))
    async with services_over(stack, watching, in_hand=in_hand) as services:
        placed = await services.ordering.place_order(ALICE, "placing", request, direction)
        assert len(seen) >= 2  # at least the look at the account and the order itself
        assert all(intent_key("placing") in keys for keys in seen)
        assert in_hand.keys() == frozenset()

        seen.clear()
        await services.ordering.prolong(ALICE, "renewing", placed.number, 1)
        assert len(seen) >= 2 and all(intent_key("renewing") in keys for keys in seen)
        assert in_hand.keys() == frozenset()

        seen.clear()
        await renewal_left_unknown(stack, "lost", placed.number, price="5.00", currency="USD")
        lost = await stack.storage.intents.get("lost")
        assert lost is not None
        await services.ordering.settle(lost, final=False)
        assert seen and all(intent_key("lost") in keys for keys in seen)
        assert in_hand.keys() == frozenset()
