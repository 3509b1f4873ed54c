"""Background work after ``ack()``: tracked tasks, awaited on stop, failures logged, never lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("adapters.slack.tasks")


class BackgroundTasks:
    """Runs coroutines as tasks the adapter owns (unlike fire-and-forget ``ensure_future``).

    A failing task is logged with its traceback (request payloads are never
    put into the log message) and reported to ``on_error``; :meth:`wait_idle` lets shutdown (and tests)
    wait until nothing is running.
    """

    def __init__(self, on_error: Callable[[BaseException], None] | None = None) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_error = on_error
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Start ``work`` now; it runs until done even if nobody awaits it."""
        task = asyncio.get_running_loop().create_task(self._guard(work, name), name=f"slack:{name}")
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)
        return task

    async def _guard(self, work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error(
                "slack background task failed",
                extra={"task": name, "error": type(exc).__name__},
                exc_info=exc,
            )
            if self._on_error is not None:
                self._on_error(exc)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def wait_idle(self, seconds: float = 10.0) -> bool:
        """Wait until no task runs (tasks spawned meanwhile included); False on timeout."""
        try:
            async with asyncio.timeout(seconds):
                while self._tasks:
                    await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def close(self, seconds: float = 10.0) -> None:
        """Let running tasks finish for up to ``seconds``, then cancel the rest."""
        if await self.wait_idle(seconds):
            return
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
