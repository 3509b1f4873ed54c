"""Pacing of bulk sends (alerts) under Telegram's broadcast limits.

Telegram allows about 30 messages a second overall and about one a second
to the same chat. :class:`Pacer` hands out send slots: at most ``rate`` a
second overall and one per ``per_chat_interval`` for each chat. Slots are
reserved synchronously, so concurrent senders never share one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    """Hands out send slots; ``await pacer.wait(chat_id)`` before each bulk message."""

    def __init__(
        self,
        *,
        rate: float = 25.0,
        per_chat_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or per_chat_interval < 0:
            raise ValueError("rate must be positive and per_chat_interval not negative")
        self._interval = 1.0 / rate
        self._per_chat = per_chat_interval
        self._clock = clock
        self._sleep = sleep
        self._next_global = 0.0
        self._next_chat: dict[str, float] = {}

    def reserve(self, chat_id: str) -> float:
        """Reserve the next free slot for ``chat_id``; return how long to wait for it (seconds)."""
        now = self._clock()
        self._forget_idle(now)
        slot = max(now, self._next_global, self._next_chat.get(chat_id, now))
        self._next_global = slot + self._interval
        self._next_chat[chat_id] = slot + self._per_chat
        return slot - now

    async def wait(self, chat_id: str) -> None:
        """Wait for the next slot for ``chat_id``."""
        delay = self.reserve(chat_id)
        if delay > 0:
            await self._sleep(delay)

    def _forget_idle(self, now: float) -> None:
        # Chats whose next slot has passed need no entry; keep the dict small.
        if len(self._next_chat) > 1024:
            self._next_chat = {chat: at for chat, at in self._next_chat.items() if at > now}
