"""One task supervisor: background work a platform adapter owns, never fire-and-forget.

Two kinds of task: *work* (handling one update, one file, one replay), which shutdown
lets finish for a while, and *loops* (polling, reconnecting, housekeeping), which run
until cancelled. A failing task is logged with its traceback (never with the request's
payload) and reported to ``on_error``; :meth:`TaskSupervisor.close` cancels the loops,
waits for the work up to a time limit, and cancels what is left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("adapters.kit.tasks")


class TaskSupervisor:
    """Keeps every task an adapter starts; ``prefix`` names them (``slack:dm``, ``telegram:polling``)."""

    def __init__(self, prefix: str, on_error: Callable[[BaseException], None] | None = None) -> None:
        self._prefix = prefix
        self._on_error = on_error
        self._work: set[asyncio.Task[None]] = set()
        self._loops: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        """How many pieces of work are running (loops not counted)."""
        return len(self._work)

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Start ``work`` now; it runs until done even if nobody awaits it (shutdown waits for it)."""
        task = self._start(work, name)
        self._work.add(task)
        self._idle.clear()
        task.add_done_callback(self._work_done)
        return task

    def loop(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Start a loop that runs until cancelled (shutdown cancels it first, without waiting)."""
        task = self._start(work, name)
        self._loops.add(task)
        task.add_done_callback(self._loops.discard)
        return task

    def _start(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._guard(work, name), name=f"{self._prefix}:{name}")
        # A task cancelled before its first step never starts ``work``: close it (no "never awaited").
        task.add_done_callback(lambda _: work.close())
        return task

    async def _guard(self, work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error(
                "background task failed",
                extra={"platform": self._prefix, "task": name, "error": type(exc).__name__},
                exc_info=exc,
            )
            if self._on_error is not None:
                self._on_error(exc)

    def _work_done(self, task: asyncio.Task[None]) -> None:
        self._work.discard(task)
        if not self._work:
            self._idle.set()

    async def wait_idle(self, seconds: float | None = 10.0) -> bool:
        """Wait until no work runs (work spawned meanwhile included); False on timeout."""
        try:
            async with asyncio.timeout(seconds):
                while self._work:
                    await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def stop_loops(self) -> None:
        """Cancel every loop and wait until they have ended."""
        await _cancel(self._loops)

    async def close(self, seconds: float = 10.0) -> bool:
        """Cancel the loops, let the work finish for up to ``seconds``, then cancel the rest.

        Returns whether all the work finished by itself.
        """
        await self.stop_loops()
        if await self.wait_idle(seconds):
            return True
        await _cancel(self._work)
        return False


async def _cancel(tasks: set[asyncio.Task[None]]) -> None:
    pending = list(tasks)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
