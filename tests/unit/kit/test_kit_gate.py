"""The kit's update gate: one ledger, per-sender order, one outcome per delivery, in-flight counting."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from collections.abc import Coroutine
from typing import Any

import pytest

from adapters.kit.gate import Delivery, UpdateGate
from bot.coord import LocalLocks
from bot.logs import correlation_id


class Ledger:
    """Remembers finished keys; a begun key counts attempts."""

    def __init__(self) -> None:
        self.attempts: dict[str, int] = {}
        self.finished: list[str] = []

    async def begin(self, key: str) -> int | None:
        if key in self.finished:
            return None
        self.attempts[key] = self.attempts.get(key, 0) + 1
        return self.attempts[key]

    async def finish(self, key: str) -> None:
        self.finished.append(key)


class Observer:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, float | None]] = []

    def update(self, platform: str, outcome: str, seconds: float | None) -> None:
        self.seen.append((platform, outcome, seconds))

    def outcomes(self) -> list[str]:
        return [outcome for _, outcome, _ in self.seen]


def make_gate() -> tuple[UpdateGate, Ledger, Observer]:
    ledger, observer = Ledger(), Observer()
    return UpdateGate("demo", ledger=ledger, locks=LocalLocks(), observer=observer), ledger, observer


# -- inline (Telegram) ---------------------------------------------------------------------


async def test_run_handles_once_and_drops_the_duplicate(caplog: pytest.LogCaptureFixture) -> None:
    gate, ledger, observer = make_gate()
    caplog.set_level(logging.INFO, logger="adapters.kit.gate")
    attempts: list[int] = []
    ids: list[str] = []

    async def handle(attempt: int) -> str:
        attempts.append(attempt)
        ids.append(correlation_id.get())
        return "done"

    delivery = Delivery("7", "ann", "message", 7)
    assert await gate.run(delivery, handle, dropped="dropped") == "done"
    assert await gate.run(delivery, handle, dropped="dropped") == "dropped"

    assert attempts == [1]
    assert ids[0] != "-"  # a fresh correlation id while handled
    [dropped] = [r for r in caplog.records if r.getMessage() == "duplicate delivery dropped"]
    fields = (dropped.platform, dropped.kind, dropped.update_id)  # type: ignore[attr-defined]
    assert fields == ("demo", "message", 7)
    assert ledger.finished == ["7"]
    assert observer.outcomes() == ["handled", "duplicate"]
    platform, _, seconds = observer.seen[0]
    assert platform == "demo" and seconds is not None and 0 <= seconds < 5
    assert observer.seen[1][2] is None
    [line] = [r for r in caplog.records if r.getMessage() == "demo update"]
    fields2 = (line.update_id, line.kind, line.user, line.outcome, line.attempt)  # type: ignore[attr-defined]
    assert fields2 == (7, "message", "ann", "handled", 1)
    assert gate.in_flight == 0 and not gate.handling("7")


async def test_a_failing_handler_is_finished_and_counted_as_failed() -> None:
    gate, ledger, observer = make_gate()

    async def handle(_attempt: int) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await gate.run(Delivery("1", "ann"), handle, dropped=None)

    assert ledger.finished == ["1"]  # a retry would fail the same way
    assert observer.outcomes() == ["failed"]
    assert observer.seen[0][2] is not None


async def test_a_cancelled_update_is_not_finished_so_it_is_handled_again() -> None:
    gate, ledger, observer = make_gate()
    started = asyncio.Event()

    async def handle(_attempt: int) -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(gate.run(Delivery("1", "ann"), handle, dropped=None))
    await started.wait()
    assert gate.in_flight == 1 and gate.handling("1")
    await gate.cancel()

    assert task.cancelled()
    assert ledger.finished == []
    assert observer.seen == [("demo", "cancelled", None)]
    assert gate.in_flight == 0
    await asyncio.wait_for(gate.idle(), 1.0)


async def test_one_senders_updates_run_in_arrival_order_and_others_in_parallel() -> None:
    gate, _, _ = make_gate()
    release = asyncio.Event()
    order: list[str] = []

    async def slow(_attempt: int) -> None:
        order.append("ann-1 start")
        await release.wait()
        order.append("ann-1 end")

    async def quick(name: str) -> None:
        order.append(name)

    first = asyncio.create_task(gate.run(Delivery("1", "ann"), slow, dropped=None))
    second = asyncio.create_task(gate.run(Delivery("2", "ann"), lambda _: quick("ann-2"), dropped=None))
    other = asyncio.create_task(gate.run(Delivery("3", "bob"), lambda _: quick("bob-1"), dropped=None))
    await other
    assert order == ["ann-1 start", "bob-1"]
    assert gate.in_flight == 2
    release.set()
    await asyncio.gather(first, second)

    assert order == ["ann-1 start", "bob-1", "ann-1 end", "ann-2"]
    await asyncio.wait_for(gate.idle(), 1.0)


# -- at the door, then in the background (Slack) -------------------------------------------


async def dispatch(
    gate: UpdateGate, delivery: Delivery, work: Coroutine[Any, Any, None] | None
) -> list[asyncio.Task[None]]:
    """What the Slack part does with a request: the gate's scope around the middleware and listener."""
    started: list[asyncio.Task[None]] = []
    async with gate.scope():
        ticket = await gate.admit(delivery)
        if ticket is not None:
            ticket.pass_on()
            if work is not None:
                started.append(asyncio.create_task(gate.adopt(work)))
    return started


async def test_a_users_second_request_waits_for_the_work_of_the_first() -> None:
    gate, _, observer = make_gate()
    release = asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        order.append("first start")
        await release.wait()
        order.append("first end")

    async def second() -> None:
        order.append("second")

    tasks = await dispatch(gate, Delivery("a", "U1"), first())
    tasks += await dispatch(gate, Delivery("b", "U1"), second())
    await asyncio.sleep(0.01)
    assert order == ["first start"]  # both acknowledged; the second's work waits
    assert gate.in_flight == 2
    assert observer.seen == []
    release.set()
    await asyncio.gather(*tasks)

    assert order == ["first start", "first end", "second"]
    assert observer.outcomes() == ["handled", "handled"]
    assert all(seconds is not None for _, _, seconds in observer.seen)
    assert gate.in_flight == 0


async def test_a_request_is_timed_until_its_work_ends() -> None:
    gate, ledger, observer = make_gate()

    async def work() -> None:
        await asyncio.sleep(0.05)

    tasks = await dispatch(gate, Delivery("a", "U1"), work())
    assert observer.seen == []  # the dispatch ended; its work has not
    await asyncio.gather(*tasks)

    [(_, outcome, seconds)] = observer.seen
    assert outcome == "handled"
    assert seconds is not None and 0.05 <= seconds < 5
    assert ledger.finished == ["a"]


async def test_a_request_without_work_ends_with_its_dispatch_and_a_repeat_is_dropped() -> None:
    gate, _, observer = make_gate()

    assert await dispatch(gate, Delivery("a", "U1"), None) == []
    assert await dispatch(gate, Delivery("a", "U1"), None) == []

    assert observer.outcomes() == ["handled", "duplicate"]
    assert observer.seen[0][2] is not None
    assert gate.in_flight == 0 and not gate.handling("a")


async def test_failing_work_fails_the_request() -> None:
    gate, _, observer = make_gate()

    async def work() -> None:
        raise RuntimeError("boom")

    [task] = await dispatch(gate, Delivery("a", "U1"), work())
    with pytest.raises(RuntimeError):
        await task

    assert observer.outcomes() == ["failed"]


async def test_a_failing_dispatch_fails_the_request() -> None:
    gate, _, observer = make_gate()

    with pytest.raises(RuntimeError):
        async with gate.scope():
            ticket = await gate.admit(Delivery("a", "U1"))
            assert ticket is not None
            ticket.pass_on()
            raise RuntimeError("the listener broke")

    assert observer.outcomes() == ["failed"]
    assert gate.in_flight == 0


async def test_cancelled_work_is_not_finished() -> None:
    gate, ledger, observer = make_gate()
    started = asyncio.Event()

    async def work() -> None:
        started.set()
        await asyncio.Event().wait()

    [task] = await dispatch(gate, Delivery("a", "U1"), work())
    await started.wait()
    await gate.cancel()

    assert task.cancelled()
    assert observer.seen == [("demo", "cancelled", None)]
    assert ledger.finished == []
    assert gate.in_flight == 0


async def test_work_cancelled_while_waiting_for_its_turn_never_starts() -> None:
    gate, _, observer = make_gate()
    release = asyncio.Event()
    ran: list[str] = []

    async def first() -> None:
        await release.wait()

    async def second() -> None:
        ran.append("second")

    [one] = await dispatch(gate, Delivery("a", "U1"), first())
    [two] = await dispatch(gate, Delivery("b", "U1"), second())
    await asyncio.sleep(0)
    two.cancel()
    release.set()
    await asyncio.gather(one, two, return_exceptions=True)

    assert ran == []
    assert sorted(observer.outcomes()) == ["cancelled", "handled"]
    assert gate.in_flight == 0


async def test_outcomes_decided_at_the_door() -> None:
    gate, _, observer = make_gate()

    for outcome, key in (("ignored", "a"), ("refused", "b")):
        ticket = await gate.admit(Delivery(key, "U1"))
        assert ticket is not None and gate.in_flight == 1
        ticket.end(outcome)
    gate.observe("malformed")

    assert observer.seen == [
        ("demo", "ignored", None),
        ("demo", "refused", None),
        ("demo", "malformed", None),
    ]
    assert gate.in_flight == 0


async def test_outside_a_dispatch_scope_a_let_in_request_counts_as_handled_at_once() -> None:
    gate, _, observer = make_gate()

    ticket = await gate.admit(Delivery("a", "U1"))
    assert ticket is not None
    ticket.pass_on()
    ran: list[str] = []

    async def work() -> None:
        ran.append("work")

    await gate.adopt(work())  # not adopted: run as it is

    assert observer.seen == [("demo", "handled", None)]
    assert ran == ["work"] and gate.in_flight == 0


async def test_a_dispatch_keeps_the_requests_correlation_id() -> None:
    gate, _, _ = make_gate()
    seen: list[str] = []
    token = correlation_id.set("abc")
    try:
        async with gate.scope():
            seen.append(correlation_id.get())
    finally:
        correlation_id.reset(token)
    async with gate.scope():
        seen.append(correlation_id.get())

    assert seen[0] == "abc"
    assert seen[1] not in ("abc", "-")


async def test_what_follows_an_update_is_awaited_while_it_still_counts_in_flight() -> None:
    gate, _, _ = make_gate()
    answered = asyncio.Event()
    counted: list[int] = []

    async def answer() -> None:
        await asyncio.sleep(0.01)
        counted.append(gate.in_flight)
        answered.set()

    async def handle(_attempt: int) -> None:
        return None

    delivery = Delivery("1", "ann")
    await gate.run(delivery, handle, dropped=None, then=asyncio.ensure_future(answer()))
    await gate.run(delivery, handle, dropped=None, then=asyncio.ensure_future(answer()))  # a duplicate too

    assert answered.is_set() and counted == [1, 1]
    assert gate.in_flight == 0


async def test_another_users_request_is_worked_on_meanwhile() -> None:
    gate, _, _ = make_gate()
    release = asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        await release.wait()
        order.append("ann")

    async def other() -> None:
        order.append("bob")

    tasks = await dispatch(gate, Delivery("a", "ann"), first())
    tasks += await dispatch(gate, Delivery("b", "bob"), other())
    await tasks[1]
    assert order == ["bob"]
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["bob", "ann"]


async def test_a_requests_log_line_names_it_and_its_attempt(caplog: pytest.LogCaptureFixture) -> None:
    gate, _, _ = make_gate()
    caplog.set_level(logging.INFO, logger="adapters.kit.gate")

    async def work() -> None:
        return None

    await asyncio.gather(*await dispatch(gate, Delivery("a", "slack:U1", "command", "x"), work()))

    [line] = [r for r in caplog.records if r.getMessage() == "demo update"]
    fields = (line.update_id, line.kind, line.user, line.outcome, line.attempt)  # type: ignore[attr-defined]
    assert fields == ("x", "command", "slack:U1", "handled", 1)
    assert 0 <= line.ms < 5000  # type: ignore[attr-defined]


async def test_finished_work_is_not_kept() -> None:
    gate, _, _ = make_gate()

    async def handle(_attempt: int) -> None:
        return None

    async def work() -> None:
        return None

    inline = asyncio.create_task(gate.run(Delivery("1", "ann"), handle, dropped=None))
    await inline
    [background] = await dispatch(gate, Delivery("2", "ann"), work())
    await background
    kept = [weakref.ref(inline), weakref.ref(background)]
    del inline, background
    await asyncio.sleep(0)  # the loop lets go of the callbacks that woke this test
    gc.collect()

    assert [ref() for ref in kept] == [None, None]  # the gate let go of both tasks


async def test_a_ledger_failing_at_the_door_leaves_nothing_in_flight() -> None:
    class Broken(Ledger):
        async def begin(self, key: str) -> int | None:
            raise RuntimeError("the store is away")

    gate = UpdateGate("demo", ledger=Broken(), locks=LocalLocks())

    with pytest.raises(RuntimeError, match="the store is away"):
        await gate.admit(Delivery("a", "U1"))

    assert gate.in_flight == 0 and not gate.handling("a")
    await asyncio.wait_for(gate.idle(), 1.0)
