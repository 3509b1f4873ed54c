"""One retry-with-backoff loop, for reconnecting and for calls that must succeed eventually.

Pauses start at ``first`` seconds and grow by ``factor`` up to ``cap``; a success
resets them, so the next failure (a later disconnect) starts short again. The sleep
is injected, so tests run the loop without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]


class Backoff:
    """Growing pauses between attempts: ``first``, ``first * factor``, ... never over ``cap``."""

    def __init__(self, first: float = 1.0, cap: float = 60.0, factor: float = 2.0) -> None:
        if first <= 0 or cap < first or factor < 1:
            raise ValueError("need 0 < first <= cap and factor >= 1")
        self.first = first
        self.cap = cap
        self.factor = factor
        self._next = first

    @property
    def upcoming(self) -> float:
        """The pause the next failure will get (without taking it)."""
        return self._next

    def delay(self) -> float:
        """The pause after this failure; the one after the next failure grows."""
        current = self._next
        self._next = min(self._next * self.factor, self.cap)
        return current

    def reset(self) -> None:
        """After a success: the next failure waits ``first`` again."""
        self._next = self.first


async def retry(
    attempt: Callable[[], Awaitable[bool]], backoff: Backoff, *, sleep: Sleep = asyncio.sleep
) -> None:
    """Run ``attempt`` until it returns True, pausing ``backoff.delay()`` after each False.

    ``attempt`` handles (logs, records) its own failures and returns False to be tried
    again; it returns True when done, which includes giving up for good (a rejected
    token does not heal by waiting). Errors it lets through end the loop. The backoff is
    reset when the loop ends, so a loop run again later starts with short pauses.
    """
    try:
        while not await attempt():
            await sleep(backoff.delay())
    finally:
        backoff.reset()
