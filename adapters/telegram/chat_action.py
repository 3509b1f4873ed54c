"""A "typing…" indicator for replies that take a while (slow Zadarma calls, uploads)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram.exceptions import TelegramAPIError

from adapters.telegram.sending import Sender, chat_action_call


class Typing:
    """The indicator of one :func:`typing_while_slow` block.

    Most replies are fast, so nothing runs until ``after`` seconds have
    passed: a timer, not a task, waits for that (a task per update costs
    far more than a timer that is cancelled).
    """

    def __init__(self, sender: Sender, chat_id: int, *, after: float, every: float) -> None:
        self._sender = sender
        self._chat_id = chat_id
        self._every = every
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(after, self._begin)

    def _begin(self) -> None:
        self._timer = None
        self._task = asyncio.get_running_loop().create_task(self._keep_typing())

    async def _keep_typing(self) -> None:
        while True:
            try:
                await self._sender.call(chat_action_call(self._chat_id, "typing"), max_wait=0)
            except TelegramAPIError:
                return
            await asyncio.sleep(self._every)

    def stop(self) -> None:
        """Send no more "typing…" (the chat now shows what is going on, such as a "⏳" message)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            self._task.cancel()

    async def close(self) -> None:
        """Stop, and wait for a call under way to end (its cancellation is not the caller's)."""
        self.stop()
        task = self._task
        if task is None:
            return
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise


@asynccontextmanager
async def typing_while_slow(
    sender: Sender, chat_id: int, *, after: float = 1.0, every: float = 4.5
) -> AsyncIterator[Typing]:
    """Show "typing…" in ``chat_id`` if the block runs longer than ``after`` seconds.

    Telegram shows the indicator for about five seconds, so it is renewed every
    ``every`` seconds until the block ends or :meth:`Typing.stop` is called.
    Fast replies send nothing.
    """
    typing = Typing(sender, chat_id, after=after, every=every)
    try:
        yield typing
    finally:
        await typing.close()
