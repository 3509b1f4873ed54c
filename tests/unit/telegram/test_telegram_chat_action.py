"""The "typing…" indicator of slow replies (adapters.telegram.chat_action)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage

from adapters.telegram.chat_action import typing_while_slow
from adapters.telegram.sending import Sender


class RecordingBot:
    """Stands in for ``Bot.__call__``: records each call's method name and chat; ``refuse`` raises."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.refuse = refuse

    async def __call__(self, method: Any) -> bool:
        self.calls.append((method.__api_method__, method.fields))
        if self.refuse:
            raise TelegramForbiddenError(SendMessage(chat_id=1, text="x"), "Forbidden: bot was blocked")
        return True


def sender_of(bot: RecordingBot) -> Sender:
    return Sender(bot)  # type: ignore[arg-type]


async def test_a_fast_reply_shows_no_typing() -> None:
    bot = RecordingBot()
    async with typing_while_slow(sender_of(bot), 1001, after=0.2, every=0.2):
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)
    assert bot.calls == []


async def test_a_slow_reply_shows_typing_and_renews_it_until_done() -> None:
    bot = RecordingBot()
    async with typing_while_slow(sender_of(bot), 1001, after=0.02, every=0.05):
        await asyncio.sleep(0.4)
    made = len(bot.calls)
    await asyncio.sleep(0.2)

    assert 2 <= made == len(bot.calls)  # renewed while slow, nothing after the block
    assert set(map(str, bot.calls)) == {str(("sendChatAction", {"chat_id": 1001, "action": "typing"}))}


async def test_typing_stops_when_the_chat_shows_the_wait_itself() -> None:
    bot = RecordingBot()
    async with typing_while_slow(sender_of(bot), 1001, after=0.02, every=0.05) as typing:
        await asyncio.sleep(0.1)
        shown = len(bot.calls)
        typing.stop()  # a "⏳" message is on screen
        await asyncio.sleep(0.3)
        after_stop = len(bot.calls)

    assert shown >= 1 and after_stop == shown


async def test_typing_stopped_before_it_started_sends_nothing() -> None:
    bot = RecordingBot()
    async with typing_while_slow(sender_of(bot), 1001, after=0.05, every=0.05) as typing:
        typing.stop()
        await asyncio.sleep(0.3)
    assert bot.calls == []


async def test_a_refused_indicator_is_not_tried_again() -> None:
    bot = RecordingBot(refuse=True)
    async with typing_while_slow(sender_of(bot), 1001, after=0.01, every=0.02):
        await asyncio.sleep(0.3)
    assert len(bot.calls) == 1


async def test_a_fast_reply_starts_no_task() -> None:
    bot = RecordingBot()
    before = asyncio.all_tasks()
    async with typing_while_slow(sender_of(bot), 1001, after=0.2, every=0.2):
        during = asyncio.all_tasks()
    assert during == before  # only a timer waits for the indicator's second


async def test_a_block_cancelled_while_typing_stays_cancelled() -> None:
    bot = RecordingBot()
    started = asyncio.Event()

    async def reply() -> None:
        async with typing_while_slow(sender_of(bot), 1001, after=0.01, every=0.05):
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(reply())
    await started.wait()
    await asyncio.sleep(0.05)  # typing under way
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1)
    assert done == {task} and task.cancelled()
    made = len(bot.calls)
    await asyncio.sleep(0.15)
    assert made >= 1 and len(bot.calls) == made


async def test_a_flood_wait_ends_the_indicator_without_waiting_it_out() -> None:
    calls: list[str] = []
    slept: list[float] = []

    async def bot(method: Any) -> bool:
        calls.append(method.__api_method__)
        raise TelegramRetryAfter(method, "Too Many Requests: retry after 1", retry_after=1)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    sender = Sender(bot, sleep=sleep)  # type: ignore[arg-type]
    async with typing_while_slow(sender, 1001, after=0.01, every=0.02):
        await asyncio.sleep(0.2)
    assert calls == ["sendChatAction"]  # not worth even a second's wait: "typing…" is given up
    assert slept == []


async def test_a_call_under_way_has_ended_when_the_block_does() -> None:
    ended: list[str] = []
    started = asyncio.Event()

    async def bot(method: Any) -> bool:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise
        return True

    async with typing_while_slow(Sender(bot), 1001, after=0.01, every=1):  # type: ignore[arg-type]
        await started.wait()
    assert ended == ["cancelled"]


async def test_a_caller_cancelled_while_the_indicator_winds_down_stays_cancelled() -> None:
    started = asyncio.Event()
    after_block: list[str] = []

    async def bot(method: Any) -> bool:
        started.set()
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.shield(asyncio.sleep(0.2))  # the call takes a while to give up
        return True

    async def reply() -> None:
        async with typing_while_slow(Sender(bot), 1001, after=0.01, every=1):  # type: ignore[arg-type]
            await started.wait()
        after_block.append("went on")

    task = asyncio.create_task(reply())
    await started.wait()
    await asyncio.sleep(0.05)  # the block has ended; its indicator is winding down
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert done == {task} and task.cancelled()
    assert after_block == []
