"""Waiting on an event with a time limit, and stopping a background task, without losing a cancel.

``async with asyncio.timeout(...)`` around a wait can, on Python 3.11, turn a
cancellation that arrives as the time runs out into a plain ``TimeoutError``;
a loop that suppresses it then never stops, and whoever awaits it hangs.
``asyncio.wait`` has no such window.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("bot.services")


async def wait_event(event: asyncio.Event, seconds: float) -> None:
    """Return when ``event`` is set or ``seconds`` have passed; a cancel always propagates."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=seconds)
    finally:
        waiter.cancel()


async def stop_task(task: asyncio.Task[None], grace: float = 10.0) -> None:
    """Cancel ``task`` and wait up to ``grace`` seconds for it to end (a stop never hangs)."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=grace)
    if not done:
        log.error("a background task did not stop in time", extra={"task": task.get_name()})
    elif not task.cancelled() and task.exception() is not None:
        log.error("a background task ended with an error", extra={"task": task.get_name()})
