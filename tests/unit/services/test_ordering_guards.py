"""The guards around an order's idempotency key: whose key it is, and who lost the race to record it.

Both are about a second confirmation arriving with a key that is (or is about to be)
another confirmation's: a customer replaying someone else's key, and two replicas of
the bot handling confirmations for one key at the same moment. The real service runs
over the emulator and a real SQLite file.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.services.errors import NotYours
from bot.services.ordering import OrderOutcome, OrderRequest
from bot.storage import IntentRepository, UserRef
from bot.zadarma.models import Direction
from tests.unit.services.conftest import ALICE, BOB, OPERATOR, Stack


async def plain_direction(stack: Stack) -> Direction:
    return next(d for d in await stack.services.catalog.directions("US", "en") if not d.needs_documents)


async def request_for(stack: Stack, direction: Direction, index: int) -> OrderRequest:
    free = await stack.services.catalog.free_numbers(direction.id)
    return OrderRequest(direction_id=direction.id, number_id=free[index].id, number=free[index].number)


async def test_another_customer_replaying_a_key_is_refused_and_learns_nothing(stack: Stack) -> None:
    direction = await plain_direction(stack)
    alices = await request_for(stack, direction, 0)
    bobs = await request_for(stack, direction, 1)
    placed = await stack.services.ordering.place_order(ALICE, "alice-key", alices, direction)

    with pytest.raises(NotYours) as refused:
        await stack.services.ordering.place_order(BOB, "alice-key", bobs, direction)

    assert placed.number not in str(refused.value) and refused.value.params == {"number": bobs.number}
    assert stack.sandbox.call_count("order") == 1
    assert await stack.storage.ownership.numbers_of(BOB.user) == []
    assert await stack.storage.ownership.owner_of_number(placed.number) == ALICE.user


async def test_an_operator_replaying_a_customers_key_gets_its_result_without_a_second_order(
    stack: Stack,
) -> None:
    direction = await plain_direction(stack)
    placed = await stack.services.ordering.place_order(
        ALICE, "alice-key", await request_for(stack, direction, 0), direction
    )

    again = await stack.services.ordering.place_order(
        OPERATOR, "alice-key", await request_for(stack, direction, 1), direction
    )

    assert again.number == placed.number and again.repeated
    assert stack.sandbox.call_count("order") == 1


class HeldIntents:
    """The real intents store, holding two confirmations of one key at the points where they race.

    Both are held after their first read until both have read (so both find no intent),
    the loser's insert waits for the winner's, and the winner waits after its insert until
    the loser is done: the order in which two replicas sharing the database could run.
    """

    def __init__(self, inner: IntentRepository, loser: UserRef) -> None:
        self._inner = inner
        self._loser = loser
        self._reads = 0
        self._both_read = asyncio.Barrier(2)
        self._winner_created = asyncio.Event()
        self.loser_done = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def get(self, key: str) -> Any:
        found = await self._inner.get(key)
        self._reads += 1
        if self._reads <= 2:
            await self._both_read.wait()
        return found

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        owner = next(a for a in (*args, *kwargs.values()) if isinstance(a, UserRef))
        if owner == self._loser:
            await self._winner_created.wait()
            return await self._inner.create(*args, **kwargs)
        created = await self._inner.create(*args, **kwargs)
        self._winner_created.set()
        await self.loser_done.wait()
        return created


async def test_the_confirmation_that_lost_the_race_to_record_a_key_never_orders(stack: Stack) -> None:
    direction = await plain_direction(stack)
    alices = await request_for(stack, direction, 0)
    bobs = await request_for(stack, direction, 1)
    held = HeldIntents(stack.storage.intents, loser=BOB.user)
    stack.storage.intents = held
    ordering = stack.services.ordering

    alice = asyncio.create_task(ordering.place_order(ALICE, "one-key", alices, direction))
    bob = asyncio.create_task(ordering.place_order(BOB, "one-key", bobs, direction))
    bob.add_done_callback(lambda _: held.loser_done.set())
    async with asyncio.timeout(20):
        alice_result, bob_result = await asyncio.gather(alice, bob, return_exceptions=True)

    assert isinstance(bob_result, NotYours), bob_result
    assert bob_result.params == {"number": bobs.number}  # only what Bob himself sent
    assert isinstance(alice_result, OrderOutcome), alice_result
    assert alice_result.number == alices.number and not alice_result.repeated
    assert stack.sandbox.call_count("order") == 1
    assert await stack.storage.ownership.owner_of_number(alices.number) == ALICE.user
    assert await stack.storage.ownership.numbers_of(BOB.user) == []
    assert bobs.number not in [n.number for n in await stack.client.direct_numbers()]
