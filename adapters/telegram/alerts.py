"""The alert scheduler's Telegram sink (:class:`bot.services.alerts.AlertSink`) over ``deliver_notice``.

The scheduler hands an :class:`~bot.services.alerts.AlertMessage` for a
``telegram:<user id>`` destination; the card (text and buttons) comes from the
conversation's :class:`~conversations.notices.Notice` of the same kind, so its
buttons work later like any other button.
"""

from __future__ import annotations

from adapters.telegram.delivery import Blocked, Sent
from adapters.telegram.part import TelegramPart
from bot.services.alerts import AlertMessage, DeliveryResult
from conversations.notices import notice_from_alert

UNSHOWN_RETRY_SECONDS = 24 * 3600.0
"""A kind Telegram customers never get (the team's digest): deliveries of it are pushed far away."""


class TelegramAlertSink:
    """Delivers alerts to Telegram users (register it under the ``"telegram"`` prefix)."""

    def __init__(self, part: TelegramPart) -> None:
        self._part = part

    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        """Send ``alert`` to the Telegram user ``destination_id``; never raises for Telegram failures."""
        notice = notice_from_alert(str(alert.kind), alert.number, alert.params)
        if notice is None:
            return DeliveryResult.retry(
                UNSHOWN_RETRY_SECONDS, f"{alert.kind} alerts are not shown in Telegram"
            )
        outcome = await self._part.deliver_notice(destination_id, notice, language=alert.language)
        if isinstance(outcome, Sent):
            return DeliveryResult.sent()
        if isinstance(outcome, Blocked):
            return DeliveryResult.blocked(outcome.reason)
        return DeliveryResult.retry(outcome.seconds, outcome.error)
