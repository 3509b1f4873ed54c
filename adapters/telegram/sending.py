"""Calling the Bot API for the adapter: flood limits waited out, harmless errors told apart.

Every call the adapter makes goes through :class:`Sender`. On 429
(:class:`~aiogram.exceptions.TelegramRetryAfter`) it waits the ``retry_after``
Telegram asks for and tries again, as long as the wait is within the
caller's ``max_wait``. Other errors are the caller's to handle; the helpers
below classify them. Nothing here logs a URL, so the token never reaches a log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendChatAction,
    SendMessage,
    TelegramMethod,
)

from adapters.telegram.render import Outgoing
from adapters.telegram.session import PreparedCall

log = logging.getLogger("adapters.telegram")

R = TypeVar("R")

DEFAULT_MAX_WAIT = 30.0
"""Longest flood wait (seconds) sat out for a reply a user is waiting for."""


class _Sent(PreparedCall):
    """``sendMessage``, its reply (the sent message) read for the new message's id alone."""

    shape = SendMessage

    def read(self, result: Any) -> int:
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if type(message_id) is not int:
            raise ValueError("the reply names no message_id")  # aiogram reports it as ClientDecodeError
        return message_id


class _Edited(PreparedCall):
    """``editMessageText``; its reply, the whole edited message, is not read once it says ``ok``."""

    shape = EditMessageText


class _Stripped(PreparedCall):
    """``editMessageReplyMarkup`` removing the buttons; its reply is not read once it says ``ok``."""

    shape = EditMessageReplyMarkup


class _ChatAction(PreparedCall):
    """``sendChatAction`` ("typing…" and the like)."""

    shape = SendChatAction


class _Answered(PreparedCall):
    """``answerCallbackQuery``."""

    shape = AnswerCallbackQuery


def send_call(chat_id: int | str, message: Outgoing) -> PreparedCall:
    """``sendMessage`` of ``message``; its result is the new message's id."""
    return _Sent(fields={"chat_id": chat_id, "text": message.text, "reply_markup": message.keyboard})


def edit_call(chat_id: int | str, message_id: int, message: Outgoing) -> PreparedCall:
    """``editMessageText`` showing ``message`` in place of ``message_id`` (its buttons replaced too)."""
    fields = {
        "chat_id": chat_id,
        "message_id": message_id,
        "text": message.text,
        "reply_markup": message.keyboard,
    }
    return _Edited(fields=fields)


def chat_action_call(chat_id: int | str, action: str) -> PreparedCall:
    """``sendChatAction`` of ``action`` (such as ``typing``) in ``chat_id``."""
    return _ChatAction(fields={"chat_id": chat_id, "action": action})


def is_not_modified(error: BaseException) -> bool:
    """Telegram refused an edit that would change nothing (safe to ignore)."""
    return isinstance(error, TelegramBadRequest) and "message is not modified" in error.message


def is_uneditable(error: BaseException) -> bool:
    """The message cannot be edited any more (gone, too old, not the bot's): send a new one instead."""
    if not isinstance(error, TelegramBadRequest):
        return False
    text = error.message.lower()
    return any(
        part in text
        for part in (
            "message to edit not found",
            "message can't be edited",
            "message can not be edited",
            "there is no text in the message to edit",
            "message_id_invalid",
        )
    )


def is_unreachable(error: BaseException) -> bool:
    """The user blocked the bot, is deactivated, or never opened a chat with it."""
    if isinstance(error, TelegramForbiddenError):
        return True
    return isinstance(error, TelegramBadRequest) and "chat not found" in error.message.lower()


def is_outage(error: BaseException) -> bool:
    """An error about the connection to Telegram itself rather than one request."""
    return isinstance(error, TelegramNetworkError | TelegramServerError | TelegramUnauthorizedError)


def describe(error: BaseException) -> str:
    """A short, token-free description of an error for logs and health reports."""
    if isinstance(error, TelegramRetryAfter):
        return f"TelegramRetryAfter: retry after {error.retry_after} s"
    if isinstance(error, TelegramAPIError):
        return f"{type(error).__name__}: {error.message.splitlines()[0][:200]}"
    return type(error).__name__


class Sender:
    """The adapter's way to call the Bot API (see the module docstring)."""

    def __init__(
        self,
        bot: Bot,
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        attempts: int = 4,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self._max_wait = max_wait
        self._attempts = max(1, attempts)
        self._sleep = sleep

    async def call(self, method: TelegramMethod[R], *, max_wait: float | None = None) -> R:
        """Make one API call, sitting out flood waits of at most ``max_wait`` seconds."""
        limit = self._max_wait if max_wait is None else max_wait
        for attempt in range(1, self._attempts + 1):
            try:
                return await self.bot(method)
            except TelegramRetryAfter as error:
                if attempt == self._attempts or error.retry_after > limit:
                    raise
                log.warning(
                    "flood limit: waiting before retrying",
                    extra={"method": method.__api_method__, "retry_after": error.retry_after},
                )
                await self._sleep(error.retry_after)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def send(self, chat_id: int | str, message: Outgoing, *, max_wait: float | None = None) -> int:
        """Send ``message`` as a new message in ``chat_id``; returns the new message's id."""
        return cast(int, await self.call(send_call(chat_id, message), max_wait=max_wait))

    async def edit(
        self, chat_id: int | str, message_id: int, message: Outgoing, *, max_wait: float | None = None
    ) -> bool:
        """Show ``message`` in place of message ``message_id`` (a message without buttons loses them).

        Returns ``True`` when done (or nothing changed), ``False`` when that
        message cannot be edited (the caller sends a new one instead).
        """
        try:
            await self.call(edit_call(chat_id, message_id, message), max_wait=max_wait)
        except TelegramBadRequest as error:
            if is_not_modified(error):
                return True
            if is_uneditable(error):
                return False
            raise
        return True

    async def strip_keyboard(self, chat_id: int | str, message_id: int) -> None:
        """Remove the buttons under an old message; best effort (failures are only logged)."""
        try:
            await self.call(_Stripped(fields={"chat_id": chat_id, "message_id": message_id}))
        except TelegramAPIError as error:
            if not (is_not_modified(error) or is_uneditable(error)):
                log.info("could not remove old buttons", extra={"error": describe(error)})

    async def answer(self, callback_query_id: str, **options: str | bool | int | None) -> None:
        """Answer a callback query (stops the button's spinner); failures are only logged.

        A query can be answered once and only shortly after the press, so a
        late or repeated answer failing is expected.
        """
        try:
            fields = {"callback_query_id": callback_query_id, **options}
            await self.call(_Answered(fields=fields), max_wait=5.0)
        except Exception as error:  # best effort: nothing depends on the answer
            log.info("could not answer a button press", extra={"error": describe(error)})
