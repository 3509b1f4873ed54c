"""Settling unknown money outcomes in the background, by evidence, with backoff.

An intent whose reply was lost, garbled or late stays ``unknown``. The
:class:`Settler` looks at the account for it soon, then less and less often
(``first_check`` seconds, doubling up to ``max_interval``), until the evidence
proves an outcome or the settle window is over; the last look is made at the
window's end, when an account that still shows no change proves the call did
not happen. If the account cannot be read then, it keeps looking: an outcome
is never guessed. It also writes outcomes the store refused earlier, and on
start it first runs :meth:`~bot.services.ordering.OrderingService.recover`.

With ``orphan_after`` (replicas sharing one store) a start recovers only what
was left longer ago than that, and every round takes over the same way what
a replica that died left open (an intent still ``pending`` or ``sending``, an
outcome never told): a live replica's work in progress is younger. With a
``roster`` too (:mod:`bot.coord.in_hand`), what no live replica holds is taken
over as soon as its replica is gone, and rounds look every heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.coord.in_hand import Roster, WorkView, takeover_every
from bot.services.errors import ServiceError
from bot.services.ordering import OrderingService
from bot.services.waiting import stop_task, wait_event
from bot.storage import IntentStatus, Storage, utc_now
from bot.zadarma.errors import ZadarmaError

log = logging.getLogger("bot.services.settlement")

IDLE_SECONDS = 30.0
"""How often the settler looks for work when nothing wakes it."""

RECENT_SLACK = 60.0
"""Seconds added to twice ``orphan_after`` for the outcomes a heartbeat's look reads."""


class Settler:
    """The background part that settles unknown intents (one per process; settling is idempotent)."""

    name = "settlement"
    required = False

    def __init__(
        self,
        ordering: OrderingService,
        storage: Storage,
        *,
        first_check: float = 1.0,
        max_interval: float = 30.0,
        clock: Callable[[], datetime] = utc_now,
        orphan_after: float | None = None,
        roster: Roster | None = None,
    ) -> None:
        self._ordering = ordering
        self._orphan_after = orphan_after
        self._roster = roster if orphan_after is not None else None
        self._storage = storage
        self._first_check = first_check
        self._max_interval = max_interval
        self._clock = clock
        self._next: dict[str, tuple[datetime, float]] = {}  # intent key -> (next look, current interval)
        self._task: asyncio.Task[None] | None = None
        self.recovered = asyncio.Event()
        # Intents changed since then are this process's own (in hand right now), not a crash's leftovers.
        self._born = clock()
        self._full_look: datetime | None = None  # the last round that looked at a whole day's outcomes
        self.settled = 0
        self.last_error: str | None = None

    # -- one round -------------------------------------------------------------------

    async def settle_due(self) -> float:
        """Look at every unknown intent that is due; returns seconds until the next look is due."""
        now = self._clock()
        waits: list[float] = []
        if self._ordering.unrecorded and await self._ordering.flush_unrecorded():
            waits.append(self._first_check)
        if self._orphan_after is not None and self.recovered.is_set():
            left_before = now - timedelta(seconds=self._orphan_after)
            # Outcomes settled in the last day are all looked at as often as orphan_after says;
            # the looks in between (every heartbeat) need only the recent ones.
            every = timedelta(seconds=self._orphan_after / 2)
            full = self._full_look is None or now - self._full_look >= every
            since = None if full else now - timedelta(seconds=2 * self._orphan_after + RECENT_SLACK)
            view = await self._view()
            if taken := await self._ordering.recover(left_before=left_before, view=view, settled_since=since):
                log.warning("took over intents another replica left open", extra={"count": taken})
            if full:
                self._full_look = now
            waits.append(takeover_every(self._orphan_after, self._roster))
        unknown = await self._storage.intents.list_by_status(IntentStatus.UNKNOWN)
        self._next = {k: v for k, v in self._next.items() if k in {i.key for i in unknown}}
        for intent in unknown:
            due, interval = self._next.get(intent.key, (now, self._first_check / 2))
            ends = self._ordering.window_ends(intent)
            if due > now:
                waits.append((due - now).total_seconds())
                continue
            final = now >= ends
            try:
                settled = await self._ordering.settle(intent, final=final)
                self.last_error = None
            except (ZadarmaError, ServiceError) as exc:  # the account cannot be read now: look again
                settled = False
                self.last_error = type(exc).__name__
                log.warning("could not check an unknown outcome yet", extra={"intent": intent.key})
            if settled:
                self.settled += 1
                self._next.pop(intent.key, None)
                continue
            interval = min(self._max_interval, interval * 2)
            later = now + timedelta(seconds=interval)
            if not final and later > ends:
                later = ends  # the decisive look is made right at the window's end
            self._next[intent.key] = (later, interval)
            waits.append(max(0.05, (later - now).total_seconds()))
        return min(waits, default=IDLE_SECONDS)

    async def _view(self) -> WorkView | None:
        return None if self._roster is None else await self._roster.view()

    # -- running ---------------------------------------------------------------------

    async def run_forever(self) -> None:
        """Recover what a crash left, then settle whatever becomes unknown, until cancelled."""
        wake = self._ordering.unknown_seen
        while not self.recovered.is_set():
            try:
                # Parts that started before this one (a chat replaying its kept updates) may
                # already be placing orders: those are never a crash's leftovers.
                left_before = self._born
                view = None
                if self._orphan_after is not None:
                    left_before = min(left_before, self._clock() - timedelta(seconds=self._orphan_after))
                    view = await self._view()
                await self._ordering.recover(left_before=left_before, view=view)
                self.recovered.set()
            except Exception:  # the store or the API is down at start: try again shortly
                log.exception("recovery of open intents failed; trying again")
                await asyncio.sleep(self._max_interval)
        while True:
            wake.clear()
            try:
                wait = await self.settle_due()
            except Exception:  # a store failure must not end the settler
                log.exception("settling round failed")
                wait = self._max_interval
            await wait_event(wake, wait)

    def install_routes(self, app: object) -> None:
        """No routes."""

    async def start(self) -> None:
        """Run :meth:`run_forever` in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self.run_forever(), name="settlement")

    async def stop(self) -> None:
        """Stop settling (open intents are settled after the next start)."""
        task, self._task = self._task, None
        if task is not None:
            await stop_task(task)

    def health(self) -> dict[str, Any]:
        """Open outcomes and outcomes waiting for the store."""
        waiting = self._ordering.unrecorded
        return {
            "ok": waiting == 0,
            "required": False,
            "checking": len(self._next),
            "unrecorded": waiting,
            "settled": self.settled,
            "last_error": self.last_error,
        }
