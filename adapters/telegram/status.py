"""The connection to Telegram as ``/healthz`` sees it.

:class:`ApiStatus` is a request middleware on the bot's session: it watches
every Bot API call and remembers the last error that says something about the
connection itself (network, Telegram's 5xx, a rejected token, a failing
``getUpdates``), not the errors about one user or message.

A rejected token (401 Unauthorized) is not transient: :meth:`ApiStatus.reject`
makes it :attr:`ApiStatus.rejected`, and nothing retries after that.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

from adapters.telegram.sending import describe, is_outage
from bot.services.types import utc_now

POLL_FAILURES_UNHEALTHY = 3
"""``getUpdates`` failing this many times in a row makes polling unhealthy."""


class ApiStatus(BaseRequestMiddleware):
    """Remembers the last connection-level error and counts failing polls."""

    def __init__(self) -> None:
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self.poll_failures = 0
        self.rejected: str | None = None

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        """Make the request, noting how it went."""
        polling = isinstance(method, GetUpdates)
        try:
            result = await make_request(bot, method)
        except Exception as error:
            if polling:
                self.poll_failures += 1
            if polling or is_outage(error):
                self.record(method.__api_method__, error)
            raise
        if polling:
            self.poll_failures = 0
        return result

    def record(self, what: str, error: BaseException) -> None:
        """Remember ``error`` (from ``what``) as the last error."""
        self.last_error = f"{what}: {describe(error)}"
        self.last_error_at = utc_now()

    def reject(self, what: str) -> bool:
        """Note that Telegram rejected the token; True the first time (log it then, once)."""
        first = self.rejected is None
        self.rejected = f"{what}: Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized)"
        self.last_error = self.rejected
        self.last_error_at = utc_now()
        return first

    @property
    def polling_healthy(self) -> bool:
        """Whether ``getUpdates`` works (no run of failures)."""
        return self.poll_failures < POLL_FAILURES_UNHEALTHY
