"""One lock per key: the interface, and the in-process implementation.

A conversation (or a Telegram user's updates) is handled by one task at a
time. :class:`LocalLocks` does that inside one process;
:class:`bot.coord.redis_locks.RedisLocks` does it across replicas.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


class KeyLocks(Protocol):
    """Hands out one lock per string key."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold ``key``'s lock for the duration of the ``async with`` block.

        Callers queue before their first suspension point, so that waiters in
        one process are served in arrival order.
        """
        ...


class LocalLocks:
    """A FIFO :class:`asyncio.Lock` per key, made on first use, dropped when nobody holds or waits for it.

    Arrival order is kept: :meth:`hold` queues the caller before its first
    suspension point, and :class:`asyncio.Lock` wakes waiters in order.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold ``key``'s lock for the duration of the ``async with`` block."""
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            current, count = self._locks[key]
            if count <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (current, count - 1)

    def __len__(self) -> int:
        """How many keys are held or waited for right now."""
        return len(self._locks)
