"""``/days N`` in the terminal demo: the built-in emulator's clock moves, and the alerts follow.

The emulator runs what falls due day by day (renewals, document checks,
parking, removals); then the alert scheduler scans the account as it does
every ``ALERT_INTERVAL`` in service and delivers to the demo's terminal, so a
new user sees a number's whole life: documents verified or rejected,
renewals, expiry warnings.
"""

from __future__ import annotations

from adapters.console.alerts import ConsoleAlertSink
from bot.sandbox import Sandbox
from bot.services.alerts import AlertRoutes, AlertScheduler
from bot.storage import ConversationKey, Storage
from bot.zadarma.client import ZadarmaClient
from conversations.demo import days_passed
from conversations.screens import Screen


class DemoClock:
    """Moves the emulator's clock and brings the alerts due into the demo."""

    def __init__(
        self,
        sandbox: Sandbox,
        client: ZadarmaClient,
        storage: Storage,
        key: ConversationKey,
        default_language: str = "en",
        *,
        sink: ConsoleAlertSink,
        routes: AlertRoutes,
    ) -> None:
        """``sink`` is the terminal's alert sink, registered in ``routes`` (the demo's platforms)."""
        self._sandbox = sandbox
        self._storage = storage
        self._key = key
        self._default_language = default_language
        self._sink = sink
        self._scheduler = AlertScheduler(client, storage, routes)

    async def advance(self, days: int) -> list[Screen]:
        """``days`` days later: what happened, then one card per alert (their buttons are live)."""
        await self._scheduler.scan_once()  # the picture before, so the scan after sees what changed
        self._sandbox.advance_days(days)
        await self._scheduler.scan_once()
        cards = await self.deliver()
        user = await self._storage.users.get(self._key.user)
        language = (user.language if user is not None else None) or self._default_language
        today = self._sandbox.clock.now().astimezone(self._sandbox.clock.zone).date()
        return [days_passed(language, days, today, len(cards)), *cards]

    async def deliver(self) -> list[Screen]:
        """Deliver what the alert outbox has due for the terminal; the cards, oldest first."""
        await self._scheduler.deliver_due()
        return self._sink.take()
