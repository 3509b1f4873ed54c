"""A "typing…" indicator for replies that take a while (slow Zadarma calls, uploads)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram.exceptions import TelegramAPIError

from adapters.telegram.sending import Sender, chat_action_call


class Typing:
    """The indicator of one :func:`typing_while_slow` block."""

    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    def stop(self) -> None:
        """Send no more "typing…" (the chat now shows what is going on, such as a "⏳" message)."""
        self._task.cancel()


@asynccontextmanager
async def typing_while_slow(
    sender: Sender, chat_id: int, *, after: float = 1.0, every: float = 4.5
) -> AsyncIterator[Typing]:
    """Show "typing…" in ``chat_id`` if the block runs longer than ``after`` seconds.

    Telegram shows the indicator for about five seconds, so it is renewed every
    ``every`` seconds until the block ends or :meth:`Typing.stop` is called.
    Fast replies send nothing.
    """

    async def keep_typing() -> None:
        await asyncio.sleep(after)
        while True:
            try:
                await sender.call(chat_action_call(chat_id, "typing"), max_wait=0)
            except TelegramAPIError:
                return
            await asyncio.sleep(every)

    task = asyncio.create_task(keep_typing())
    try:
        yield Typing(task)
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
