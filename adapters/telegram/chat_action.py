"""A "typing…" indicator for replies that take a while (slow Zadarma calls, uploads)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import SendChatAction

from adapters.telegram.sending import Sender


@asynccontextmanager
async def typing_while_slow(
    sender: Sender, chat_id: int, *, after: float = 1.0, every: float = 4.5
) -> AsyncIterator[None]:
    """Show "typing…" in ``chat_id`` if the block runs longer than ``after`` seconds.

    Telegram shows the indicator for about five seconds, so it is renewed every
    ``every`` seconds until the block ends. Fast replies send nothing.
    """

    async def keep_typing() -> None:
        await asyncio.sleep(after)
        while True:
            try:
                await sender.call(SendChatAction(chat_id=chat_id, action=ChatAction.TYPING), max_wait=0)
            except TelegramAPIError:
                return
            await asyncio.sleep(every)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
