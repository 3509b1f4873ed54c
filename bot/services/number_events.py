"""SMS and calls on the account's numbers, delivered to whoever should see them.

:meth:`NumberEventsService.accept` takes a verified event
(:mod:`bot.zadarma.notifications`) and, before the endpoint answers Zadarma,
claims one alert in the alert outbox (the claim is the durable record and
the retry check in one step), keeps the SMS for the number's "Messages" list
and wakes the outbox, which delivers it once across restarts and replicas.
Who gets it: the number's owner when their platform has an alert sink and
they switched that kind on (SMS: on by default; calls: off); a number with
no owner goes to the team's channel.

Zadarma gives an SMS no id: the same signed ``result`` arriving again within
:data:`RETRY_WINDOW` is taken as a retry, after that as a new SMS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.services.actors import Actor
from bot.services.alerts.drafts import AlertKind
from bot.services.numbers import NumbersService
from bot.storage import NumberPrefs, ReceivedSms, Storage, utc_now
from bot.zadarma.notifications import CallEvent, SmsEvent

log = logging.getLogger("bot.services.number_events")

RETRY_WINDOW = timedelta(hours=1)
"""How long the same SMS arriving again counts as Zadarma's retry of it."""
MAX_REPEATS = 1000
DEFAULT_RETENTION_DAYS = 30
MESSAGES_SHOWN = 10


@dataclass
class EventRouting:
    """Where events can go: platforms with an alert sink, the team's destination, the outbox's wake-up."""

    platforms: frozenset[str] = frozenset()
    team: str | None = None
    wake: Callable[[], None] = field(default=lambda: None)


class NumberEventsService:
    """Accepts pushed events, keeps the SMS history and each number's chat switches."""

    def __init__(
        self,
        storage: Storage,
        numbers: NumbersService,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._storage = storage
        self._numbers = numbers
        self.retention_days = retention_days
        self._clock = clock
        self.routing = EventRouting()

    # -- pushed events ---------------------------------------------------------------

    async def _destinations(self, number: str, wanted: Callable[[NumberPrefs], bool]) -> list[str]:
        owner = await self._storage.ownership.owner_of_number(number)
        if owner is None:
            return [self.routing.team] if self.routing.team else []
        if owner.platform not in self.routing.platforms:
            return []
        if not wanted(await self._storage.number_events.prefs(number)):
            return []
        return [f"{owner.platform}:{owner.user_id}"]

    async def accept(self, event: SmsEvent | CallEvent) -> bool:
        """Record ``event`` for delivery; ``False`` when it was seen before (a retry) or is not delivered."""
        if isinstance(event, SmsEvent):
            return await self._accept_sms(event)
        return await self._accept_call(event)

    async def _accept_sms(self, sms: SmsEvent) -> bool:
        now = self._clock()
        destinations = await self._destinations(sms.number, lambda p: p.sms_to_chat)
        payload = {
            "params": {"from": sms.sender, "text": sms.text, "received_at": now.isoformat()},
            "actions": [],
        }
        base = f"sms:{sms.number}:{sms.digest}"
        for repeat in range(MAX_REPEATS):
            key = base if repeat == 0 else f"{base}:{repeat}"
            claimed = await self._storage.alerts.claim(
                key, AlertKind.SMS_RECEIVED.value, sms.number, payload, destinations
            )
            if claimed:
                await self._keep(key, sms, now)
                if destinations:
                    self.routing.wake()
                return True
            earlier = await self._storage.alerts.get(key)
            if earlier is not None and now - earlier.created_at < RETRY_WINDOW:
                await self._keep(key, sms, earlier.created_at)  # repairs a crash between claim and keep
                return False
        log.warning("the same SMS arrived too many times; not delivered again", extra={"number": sms.number})
        return False

    async def _keep(self, key: str, sms: SmsEvent, at: datetime) -> None:
        await self._storage.number_events.add_sms(ReceivedSms(key, sms.number, sms.sender, sms.text, at))

    async def _accept_call(self, call: CallEvent) -> bool:
        if not call.ended:
            return False  # the end tells all there is to tell
        kind = AlertKind.CALL_MISSED if call.missed else AlertKind.CALL_ENDED
        destinations = await self._destinations(call.number, lambda p: p.calls_to_chat)
        call_id = call.pbx_call_id or f"{call.caller}:{call.call_start}"
        claimed = await self._storage.alerts.claim(
            f"call:{call.number}:{call_id}",
            kind.value,
            call.number,
            {
                "params": {"from": call.caller, "at": call.call_start, "duration": str(call.duration)},
                "actions": [],
            },
            destinations,
        )
        if claimed and destinations:
            self.routing.wake()
        return claimed

    async def purge(self) -> int:
        """Forget SMS older than the retention period; return how many."""
        return await self._storage.number_events.purge_sms(
            self._clock() - timedelta(days=self.retention_days)
        )

    # -- the number card ---------------------------------------------------------------

    async def prefs(self, actor: Actor, number: str) -> NumberPrefs:
        """The number's chat switches (ownership checked)."""
        await self._numbers.ensure_access(actor, number)
        return await self._storage.number_events.prefs(number)

    async def set_prefs(
        self, actor: Actor, number: str, *, sms_to_chat: bool | None = None, calls_to_chat: bool | None = None
    ) -> NumberPrefs:
        """Change the number's chat switches (ownership checked); returns them."""
        await self._numbers.ensure_access(actor, number)
        return await self._storage.number_events.set_prefs(
            number, sms_to_chat=sms_to_chat, calls_to_chat=calls_to_chat
        )

    async def messages(self, actor: Actor, number: str, limit: int = MESSAGES_SHOWN) -> list[ReceivedSms]:
        """The last SMS received on the number within the retention period, newest first."""
        await self._numbers.ensure_access(actor, number)
        since = self._clock() - timedelta(days=self.retention_days)
        return [
            s for s in await self._storage.number_events.recent_sms(number, limit) if s.received_at >= since
        ]
