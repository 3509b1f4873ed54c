"""Keeping the bot token out of logs.

The token is part of every Bot API URL (``.../bot<token>/sendMessage``), so
an HTTP error that quotes its URL would leak it. The adapter never logs URLs
itself; :class:`TokenRedactor` is the safety net on the loggers of aiogram and
of this adapter, replacing the token in messages, arguments and tracebacks.
"""

from __future__ import annotations

import logging
import traceback
from typing import Final

MASK: Final = "<bot-token>"

REDACTED_LOGGERS: Final = (
    "aiogram",
    "aiogram.dispatcher",
    "aiogram.event",
    "aiogram.middlewares",
    "aiogram.webhook",
    "aiogram.scene",
    "aiohttp.client",
    "asyncio",
    "adapters.telegram",
)
"""Loggers that may see text carrying the token (filters do not apply to child loggers)."""


def redact(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` masked."""
    return text.replace(secret, MASK) if secret and secret in text else text


class TokenRedactor(logging.Filter):
    """A logging filter that masks one secret in a record (message, arguments, traceback)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the secret in ``record``; never drops the record."""
        if not self._secret:
            return True
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            if self._secret in formatted:
                record.exc_text = redact(formatted, self._secret)
                record.exc_info = None
        if self._secret in message:
            record.msg = redact(message, self._secret)
            record.args = None
        return True

    def install(self, names: tuple[str, ...] = REDACTED_LOGGERS) -> None:
        """Attach to the named loggers."""
        for name in names:
            logging.getLogger(name).addFilter(self)

    def uninstall(self, names: tuple[str, ...] = REDACTED_LOGGERS) -> None:
        """Detach from the named loggers."""
        for name in names:
            logging.getLogger(name).removeFilter(self)
