"""The kit's task supervisor: work is kept and awaited, failures logged, everything cancelled on close."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.kit.tasks import TaskSupervisor


async def test_a_crashed_task_is_logged_and_reported_and_the_others_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures: list[BaseException] = []
    tasks = TaskSupervisor("demo", on_error=failures.append)
    done = asyncio.Event()

    async def works() -> None:
        await asyncio.sleep(0)
        done.set()

    async def crashes() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="adapters.kit.tasks"):
        crashed = tasks.spawn(crashes(), "crashes")
        tasks.spawn(works(), "works")
        assert await tasks.wait_idle(1.0)
    assert done.is_set() and len(tasks) == 0
    assert crashed.get_name() == "demo:crashes" and not crashed.cancelled()
    assert [type(f) for f in failures] == [RuntimeError]
    (record,) = caplog.records
    assert record.message == "background task failed"
    assert (getattr(record, "task", None), getattr(record, "error", None)) == ("crashes", "RuntimeError")
    assert record.exc_info is not None  # the traceback is kept


async def test_close_cancels_loops_at_once_lets_work_finish_then_cancels_what_is_stuck() -> None:
    tasks = TaskSupervisor("demo")
    release = asyncio.Event()
    finished: list[str] = []

    async def loop() -> None:
        while True:
            await asyncio.sleep(3600)

    async def short_work() -> None:
        await release.wait()
        finished.append("short")

    async def stuck() -> None:
        await asyncio.sleep(3600)

    forever = tasks.loop(loop(), "loop")
    short = tasks.spawn(short_work(), "short")
    hung = tasks.spawn(stuck(), "stuck")
    assert len(tasks) == 2  # loops are not work
    asyncio.get_running_loop().call_later(0.01, release.set)
    assert await tasks.close(0.2) is False
    assert forever.cancelled() and hung.cancelled()
    assert short.done() and not short.cancelled() and finished == ["short"]
    assert len(tasks) == 0


async def test_close_returns_true_when_all_work_finished_and_stop_loops_leaves_work_running() -> None:
    tasks = TaskSupervisor("demo")
    gate = asyncio.Event()

    async def loop() -> None:
        await asyncio.sleep(3600)

    async def work() -> None:
        await gate.wait()

    forever = tasks.loop(loop(), "loop")
    running = tasks.spawn(work(), "work")
    await tasks.stop_loops()
    assert forever.cancelled() and not running.done()
    gate.set()
    assert await tasks.close(1.0) is True
    assert running.done() and not running.cancelled()


async def test_wait_idle_waits_for_work_spawned_meanwhile() -> None:
    tasks = TaskSupervisor("demo")
    order: list[str] = []

    async def second() -> None:
        await asyncio.sleep(0.01)
        order.append("second")

    async def first() -> None:
        tasks.spawn(second(), "second")
        order.append("first")

    tasks.spawn(first(), "first")
    assert await tasks.wait_idle(1.0)
    assert order == ["first", "second"]
