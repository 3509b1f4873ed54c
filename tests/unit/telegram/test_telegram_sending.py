"""Flood waits and error classes (adapters.telegram.sending)."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import GetMe, SendMessage

from adapters.telegram.sending import Sender, describe, is_not_modified, is_uneditable, is_unreachable
from tests.fakes.clock import FakeClock

METHOD = SendMessage(chat_id=1, text="hi")


class ScriptedBot:
    """Stands in for ``Bot.__call__``: raises or returns what the script says, in order."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    async def __call__(self, method: Any) -> Any:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def flood(seconds: int) -> TelegramRetryAfter:
    return TelegramRetryAfter(method=METHOD, message="Too Many Requests", retry_after=seconds)


async def test_a_flood_wait_is_sat_out_and_the_call_repeated() -> None:
    bot, clock = ScriptedBot(flood(3), flood(1), "ok"), FakeClock()
    sender = Sender(bot, sleep=clock.skip)  # type: ignore[arg-type]
    assert await sender.call(GetMe()) == "ok"  # type: ignore[comparison-overlap]
    assert clock.sleeps == [3, 1]
    assert bot.calls == 3


async def test_a_flood_wait_longer_than_allowed_is_raised() -> None:
    bot, clock = ScriptedBot(flood(120)), FakeClock()
    sender = Sender(bot, sleep=clock.skip)  # type: ignore[arg-type]
    with pytest.raises(TelegramRetryAfter):
        await sender.call(GetMe(), max_wait=30)
    assert clock.sleeps == []


async def test_attempts_are_bounded() -> None:
    bot, clock = ScriptedBot(flood(1), flood(1), flood(1)), FakeClock()
    sender = Sender(bot, attempts=3, sleep=clock.skip)  # type: ignore[arg-type]
    with pytest.raises(TelegramRetryAfter):
        await sender.call(GetMe())
    assert bot.calls == 3


def test_error_classes() -> None:
    not_modified = TelegramBadRequest(
        METHOD, "Bad Request: message is not modified: specified new message content"
    )
    gone = TelegramBadRequest(METHOD, "Bad Request: message to edit not found")
    blocked = TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user")
    no_chat = TelegramBadRequest(METHOD, "Bad Request: chat not found")
    assert is_not_modified(not_modified) and not is_not_modified(gone)
    assert is_uneditable(gone) and not is_uneditable(not_modified)
    assert is_unreachable(blocked) and is_unreachable(no_chat) and not is_unreachable(gone)
    assert describe(flood(4)) == "TelegramRetryAfter: retry after 4 s"
    assert describe(blocked) == "TelegramForbiddenError: Forbidden: bot was blocked by the user"


@pytest.mark.parametrize(("retry_after", "waited"), [(5, [5]), (6, [])])
async def test_a_press_is_answered_after_a_flood_wait_of_at_most_five_seconds(
    retry_after: int, waited: list[int]
) -> None:
    """The spinner's answer is only useful shortly after the press: a longer flood wait gives it up."""
    bot, clock = ScriptedBot(flood(retry_after), True), FakeClock()
    await Sender(bot, sleep=clock.skip).answer("cb-1")  # type: ignore[arg-type]
    assert clock.sleeps == waited
    assert bot.calls == 1 + len(waited)
