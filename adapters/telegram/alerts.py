"""The alert scheduler's Telegram sink (:class:`bot.services.alerts.AlertSink`) over ``deliver_notice``.

The scheduler hands an :class:`~bot.services.alerts.AlertMessage` for a
``telegram:<user id>`` destination; the card (text and buttons) comes from the
conversation's :class:`~conversations.notices.Notice` of the same kind, so its
buttons work later like any other button.
"""

from __future__ import annotations

from typing import cast

from adapters.telegram.delivery import Blocked, Sent
from adapters.telegram.part import TelegramPart
from bot.services.alerts import AlertMessage, DeliveryResult
from conversations.notices import NOTICE_KEYS, Notice, NoticeKind

UNSHOWN_RETRY_SECONDS = 24 * 3600.0
"""A kind Telegram customers never get (the team's digest): deliveries of it are pushed far away."""


class TelegramAlertSink:
    """Delivers alerts to Telegram users (register it under the ``"telegram"`` prefix)."""

    def __init__(self, part: TelegramPart) -> None:
        self._part = part

    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        """Send ``alert`` to the Telegram user ``destination_id``; never raises for Telegram failures."""
        kind = str(alert.kind)
        if kind not in NOTICE_KEYS:
            return DeliveryResult.retry(UNSHOWN_RETRY_SECONDS, f"{kind} alerts are not shown in Telegram")
        notice = Notice(cast(NoticeKind, kind), alert.number, dict(alert.params))
        outcome = await self._part.deliver_notice(destination_id, notice, language=alert.language)
        if isinstance(outcome, Sent):
            return DeliveryResult.sent()
        if isinstance(outcome, Blocked):
            return DeliveryResult.blocked(outcome.reason)
        return DeliveryResult.retry(outcome.seconds, outcome.error)
