"""The terminal demo's alert sink: alert cards kept for the session to print after ``/days``."""

from __future__ import annotations

from bot.services.alerts import AlertMessage, DeliveryResult
from bot.services.types import ConversationKey
from conversations.engine import ConversationEngine
from conversations.notices import notice_from_alert
from conversations.screens import Screen

UNSHOWN_RETRY_SECONDS = 24 * 3600.0
"""A kind customers never get (the team's digest): pushed far away, as on Telegram."""


class ConsoleAlertSink:
    """Delivers alerts to the demo's one user (register it under the ``"console"`` prefix).

    Each card is a conversation notice, so its buttons work like any other;
    :meth:`take` hands the cards over for printing.
    """

    def __init__(self, engine: ConversationEngine, key: ConversationKey) -> None:
        self._engine = engine
        self._key = key
        self._cards: list[Screen] = []

    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        """Render ``alert`` for the demo user; alerts for anyone else are not this terminal's."""
        if destination_id != self._key.user_id:
            return DeliveryResult.blocked("not the demo's user")
        notice = notice_from_alert(str(alert.kind), alert.number, alert.params)
        if notice is None:
            return DeliveryResult.retry(UNSHOWN_RETRY_SECONDS, f"{alert.kind} alerts are not shown here")
        self._cards.append(await self._engine.notice(self._key, notice, locale=alert.language))
        return DeliveryResult.sent()

    def take(self) -> list[Screen]:
        """The cards delivered since the last call, oldest first."""
        cards, self._cards = self._cards, []
        return cards
