"""What became of one alert pushed to a Telegram user (:meth:`TelegramPart.deliver_notice`).

::

    DeliveryOutcome = Sent | Blocked | RetryLater

* :class:`Sent` - Telegram accepted the message(s);
* :class:`Blocked` - the user blocked the bot, deleted their account or never
  opened a chat with it (Telegram 403, or "chat not found"); the user is
  marked blocked in storage. Do not retry until they write again;
* :class:`RetryLater` - a passing failure (flood limit, network, Telegram
  error): try again after ``seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    """Delivered; ``message_ids`` are the messages sent (the last one carries the buttons)."""

    message_ids: tuple[int, ...]


@dataclass(frozen=True)
class Blocked:
    """The user cannot be reached; ``reason`` is Telegram's description."""

    reason: str


@dataclass(frozen=True)
class RetryLater:
    """Not delivered this time; try again in ``seconds``. ``error`` says what went wrong."""

    seconds: float
    error: str


DeliveryOutcome = Sent | Blocked | RetryLater
