"""The contract between the alert scheduler and the chat platforms.

An adapter implements :class:`AlertSink` and is registered under its
platform's name, the destination prefix, with its audience
(:mod:`~bot.services.alerts.routing`). The scheduler calls
:meth:`AlertSink.deliver` with the part of the destination after the prefix
(a customer's user id, a team channel's id) and an :class:`AlertMessage`;
the sink renders it in ``message.language``, with a button per action in
``message.actions`` (each acting on ``message.number``), sends it, and tells
the outcome as a :class:`DeliveryResult`. A sink paces itself to its
platform's limits; it must not raise for platform failures (return
``DeliveryResult.retry``), and should not take longer than its own timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.services.alerts.drafts import AlertKind


@dataclass(frozen=True)
class AlertMessage:
    """One alert to render and send.

    ``kind`` says which message to show and ``params`` fill it (see
    :class:`~bot.services.alerts.drafts.AlertKind` for each kind's params; all
    values are strings, dates ISO 8601 in the account's zone). ``number`` is
    ``None`` for account-wide kinds. ``actions`` name the one-tap buttons
    (:data:`bot.services.alerts.drafts.ACTIONS`). ``language`` is the
    recipient's language when known (a customer), else ``None`` (use the
    default). ``chat_id`` is the customer's private chat when the stored
    user has one. ``key`` is unique per alert (use it to make button data or
    idempotency tokens).
    """

    key: str
    kind: AlertKind
    number: str | None
    params: Mapping[str, str]
    actions: tuple[str, ...] = ()
    language: str | None = None
    chat_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one delivery.

    ``sent``: delivered, never again. ``blocked``: the recipient refuses the
    bot's messages (Telegram 403, Slack ``channel_not_found``/``not_in_channel``),
    never retried. ``retry``: not delivered this time; due again after at
    least ``after_seconds`` (the scheduler's backoff may wait longer).
    """

    outcome: Literal["sent", "blocked", "retry"]
    after_seconds: float = 0.0
    error: str = ""

    @classmethod
    def sent(cls) -> DeliveryResult:
        """Delivered."""
        return cls("sent")

    @classmethod
    def blocked(cls, error: str = "blocked by the recipient") -> DeliveryResult:
        """The recipient refuses messages; do not try again."""
        return cls("blocked", 0.0, error)

    @classmethod
    def retry(cls, after_seconds: float = 0.0, error: str = "") -> DeliveryResult:
        """Not delivered now; try again after ``after_seconds`` or later."""
        return cls("retry", max(0.0, after_seconds), error)


class AlertSink(Protocol):
    """A chat platform that alerts are delivered to."""

    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        """Send ``alert`` to ``destination_id`` (a user id or channel id) and tell the outcome."""
        ...
