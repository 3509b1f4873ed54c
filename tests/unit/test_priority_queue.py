"""The limiters' queue of waiters (bot.zadarma.ratelimit.PriorityQueue) when taking a slot takes time.

The shared budget asks Redis for a slot, so a waiter at the head is suspended inside ``take``;
a caller of higher priority that arrives meanwhile becomes the head and asks too. Each waiter
must leave the queue with its own entry, whoever is at the head when its answer comes.
"""

from __future__ import annotations

import asyncio

from bot.zadarma.ratelimit import Priority, PriorityQueue
from tests.waiting import eventually


class SlowSlots:
    """A ``take`` whose answer each caller gets only when the test lets it through."""

    def __init__(self) -> None:
        self.asked: list[int] = []
        self._gates: dict[int, asyncio.Event] = {}

    async def take(self, priority: int) -> float:
        self.asked.append(priority)
        gate = self._gates.setdefault(priority, asyncio.Event())
        await gate.wait()
        return 0.0

    def answer(self, priority: int) -> None:
        self._gates.setdefault(priority, asyncio.Event()).set()


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


async def test_a_waiter_answered_after_a_newcomer_took_the_head_leaves_with_its_own_entry() -> None:
    queue, slots = PriorityQueue(), SlowSlots()
    first = asyncio.create_task(queue.wait_turn(Priority.BROWSE, slots.take, no_sleep))
    await eventually(lambda: slots.asked == [Priority.BROWSE], what="the first waiter asking for a slot")
    newcomer = asyncio.create_task(queue.wait_turn(Priority.FINISH, slots.take, no_sleep))
    await eventually(lambda: Priority.FINISH in slots.asked, what="the newcomer at the head asking too")
    behind = asyncio.create_task(queue.wait_turn(Priority.NORMAL, slots.take, no_sleep))
    await asyncio.sleep(0.01)
    assert queue.waiting == 3

    slots.answer(Priority.BROWSE)  # the first waiter's slot comes while the newcomer heads the queue
    await asyncio.wait_for(first, 1)
    assert queue.waiting == 2
    slots.answer(Priority.FINISH)
    await asyncio.wait_for(newcomer, 1)
    assert queue.waiting == 1
    slots.answer(Priority.NORMAL)
    await asyncio.wait_for(behind, 1)  # the one behind was not dropped from the queue: it got its turn
    assert queue.waiting == 0


async def test_many_waiters_of_mixed_priorities_with_a_slow_take_all_get_a_slot_once() -> None:
    queue = PriorityQueue()
    taken: list[int] = []

    async def take(priority: int) -> float:
        await asyncio.sleep(0.001)  # a round trip to the shared budget
        taken.append(priority)
        return 0.0

    priorities = [list(Priority)[i % len(Priority)] for i in range(60)]

    async def caller(index: int, priority: int) -> None:
        await asyncio.sleep(index * 0.0003)
        await queue.wait_turn(priority, take, no_sleep)

    await asyncio.wait_for(asyncio.gather(*(caller(i, p) for i, p in enumerate(priorities))), 10)
    assert queue.waiting == 0
    assert sorted(taken) == sorted(priorities)
