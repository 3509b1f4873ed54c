"""One update gate for every platform: de-duplication, per-sender order, outcomes, one log line.

A platform turns each delivery it receives into a :class:`Delivery` (its key in
the :class:`DeliveryLedger`, which stays the same when the platform delivers it
again; its sender, whose deliveries are handled one at a time in arrival
order; its kind, for the log) and lets the :class:`UpdateGate` handle it, in
one of two ways:

- :meth:`UpdateGate.run` handles it inline (Telegram): the sender's lock is
  queued for before anything suspends, then the ledger is asked to begin an
  attempt (``None``: a duplicate, dropped), the handler runs, and the ledger
  is told the delivery is finished (not when it was cancelled at shutdown: it
  is handled again after the restart);
- :meth:`UpdateGate.admit` checks the ledger at the door and returns a
  :class:`Ticket` (Slack, which must answer within 3 s and works afterwards):
  the work the platform starts for the delivery is :meth:`adopted
  <UpdateGate.adopt>` by it and runs in the sender's order; the delivery is
  done when the dispatch (:meth:`UpdateGate.scope`) and all of that work have
  ended.

Either way each delivery ends with one outcome (``handled``, ``failed``,
``cancelled``, ``duplicate``, or one the platform decides at the door:
``ignored``, ``refused``, ``malformed``), told to the
:class:`~adapters.updates.UpdateObserver` with the handling time when it was
handled, and one log line; everything logged meanwhile carries a fresh
correlation id. The gate counts deliveries in flight, so a part can wait for
them (:meth:`UpdateGate.idle`) or cancel them at shutdown
(:meth:`UpdateGate.cancel`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from adapters.updates import UpdateObserver
from bot.coord import KeyLocks
from bot.logs import correlated, correlation_id

log = logging.getLogger("adapters.kit.gate")

T = TypeVar("T")
D = TypeVar("D")


class DeliveryLedger(Protocol):
    """Which deliveries were handled: Telegram's update inbox, Slack's dedup keys."""

    async def begin(self, key: str) -> int | None:
        """Count an attempt at handling ``key`` (1, 2, ...); ``None`` for a duplicate. Never raises."""
        ...

    async def finish(self, key: str) -> None:
        """``key`` has been handled (or failed in a way a retry would repeat). Never raises."""
        ...


@dataclass(frozen=True)
class Delivery:
    """One delivery: its ledger ``key``, its ``sender`` (the order key); ``kind`` and ``ident`` are logged.

    ``ident`` is what the log line calls the delivery (Telegram's ``update_id``); never a secret.
    """

    key: str
    sender: str
    kind: str = ""
    ident: int | str = ""


class UpdateGate:
    """What every delivery of one platform passes (see the module docstring)."""

    def __init__(
        self,
        platform: str,
        *,
        ledger: DeliveryLedger,
        locks: KeyLocks,
        observer: UpdateObserver | None = None,
    ) -> None:
        self.platform = platform
        self._ledger = ledger
        self._locks = locks
        self._observer = observer
        self._in_flight = 0
        self._handling: dict[str, int] = {}  # delivery key -> how many of this process's tasks hold it
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._scope: ContextVar[_Scope | None] = ContextVar(f"{platform}-delivery", default=None)

    # -- inline ----------------------------------------------------------------------------

    async def run(
        self,
        delivery: Delivery,
        handle: Callable[[int], Awaitable[T]],
        *,
        dropped: D,
        then: Awaitable[object] | None = None,
    ) -> T | D:
        """Handle ``delivery`` with ``handle(attempt)`` in its sender's order; ``dropped`` for a duplicate.

        ``then`` is awaited at the end, handled or not, while the delivery still counts as
        in flight (Telegram: the press's answer, started before anything else).
        """
        # Nothing may suspend before the lock is queued for: that keeps arrival order.
        self._enter(delivery.key)
        self._track(asyncio.current_task())
        try:
            async with self._locks.hold(delivery.sender):
                with correlated():
                    attempt = await self._ledger.begin(delivery.key)
                    if attempt is None:
                        self._duplicate(delivery)
                        return dropped
                    started = time.perf_counter()
                    outcome = "failed"
                    try:
                        result = await handle(attempt)
                        outcome = "handled"
                        return result
                    except asyncio.CancelledError:
                        outcome = "cancelled"  # handled again after the restart
                        raise
                    finally:
                        await self._end(delivery, outcome, attempt, time.perf_counter() - started)
        finally:
            try:
                if then is not None:
                    await then
            finally:
                self._untrack(asyncio.current_task())
                self._leave(delivery.key)

    # -- at the door, then in the background -------------------------------------------

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[None]:
        """Dispatch one request inside: the ticket admitted in it ends when it and its work have ended."""
        scope = _Scope()
        token = self._scope.set(scope)
        current = correlation_id.get()
        try:
            with correlated(None if current == "-" else current):  # the request's own id, if it has one
                yield
        except BaseException:
            scope.failed = True
            raise
        finally:
            self._scope.reset(token)
            if scope.ticket is not None:
                scope.ticket.failed |= scope.failed
                await scope.ticket.release()

    async def admit(self, delivery: Delivery) -> Ticket | None:
        """Check the ledger for ``delivery``: ``None`` (told, logged) for a duplicate, else its ticket.

        The ticket must be ended (:meth:`Ticket.end` with an outcome decided at the door)
        or passed on (:meth:`Ticket.pass_on`: handled by the dispatch and its work).
        """
        self._enter(delivery.key)
        try:
            attempt = await self._ledger.begin(delivery.key)
        except BaseException:
            self._leave(delivery.key)
            raise
        if attempt is None:
            self._duplicate(delivery)
            self._leave(delivery.key)
            return None
        return Ticket(self, delivery, attempt)

    def adopt(self, work: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
        """``work`` as part of the delivery being dispatched (in its sender's order); as is outside one."""
        scope = self._scope.get()
        ticket = scope.ticket if scope is not None else None
        if ticket is None:
            return work
        ticket.pieces += 1
        return ticket.piece(work)

    # -- outcomes ----------------------------------------------------------------------------

    def observe(self, outcome: str, seconds: float | None = None) -> None:
        """Tell the observer about one delivery's ``outcome`` (``seconds``: its handling time)."""
        if self._observer is not None:
            self._observer.update(self.platform, outcome, seconds)

    def _duplicate(self, delivery: Delivery) -> None:
        extra = {"platform": self.platform, "kind": delivery.kind, "update_id": delivery.ident}
        log.info("duplicate delivery dropped", extra=extra)
        self.observe("duplicate")

    async def _end(self, delivery: Delivery, outcome: str, attempt: int, elapsed: float | None) -> None:
        if outcome != "cancelled":
            await self._ledger.finish(delivery.key)
        self.observe(outcome, elapsed if outcome != "cancelled" else None)
        log.info(
            f"{self.platform} update",
            extra={
                "update_id": delivery.ident,
                "kind": delivery.kind,
                "user": delivery.sender,
                "outcome": outcome,
                "attempt": attempt,
                "ms": round((elapsed or 0.0) * 1000, 1),
            },
        )

    # -- in flight -------------------------------------------------------------------------

    async def idle(self) -> None:
        """Wait until no delivery is being handled."""
        await asyncio.sleep(0)  # deliveries just received reach the gate first
        await self._idle.wait()

    def handling(self, key: str) -> bool:
        """Whether this process is handling (or queueing) the delivery ``key`` right now."""
        return key in self._handling

    def held(self) -> list[str]:
        """The deliveries this process is handling (or queueing) right now."""
        return list(self._handling)

    @property
    def in_flight(self) -> int:
        """Deliveries being handled (or waiting for their turn) right now."""
        return self._in_flight

    async def cancel(self) -> None:
        """Cancel the deliveries still being handled (shutdown after a grace period)."""
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _enter(self, key: str) -> None:
        self._in_flight += 1
        self._idle.clear()
        self._handling[key] = self._handling.get(key, 0) + 1

    def _leave(self, key: str) -> None:
        if (left := self._handling.pop(key) - 1) > 0:
            self._handling[key] = left
        self._in_flight -= 1
        if self._in_flight == 0:
            self._idle.set()

    def _track(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self._tasks.add(task)

    def _untrack(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self._tasks.discard(task)


@dataclass
class _Scope:
    """One dispatch in progress: the ticket admitted in it, if any."""

    ticket: Ticket | None = None
    failed: bool = False


class Ticket:
    """An admitted delivery handled by a dispatch and the work it starts (see :meth:`UpdateGate.admit`)."""

    def __init__(self, gate: UpdateGate, delivery: Delivery, attempt: int) -> None:
        self._gate = gate
        self.delivery = delivery
        self.attempt = attempt
        self.pieces = 1  # the dispatch itself
        self.failed = False
        self.cancelled = False
        self._started = time.perf_counter()

    def end(self, outcome: str) -> None:
        """The delivery ends at the door with ``outcome`` (``ignored``, ``refused``): nothing is handled."""
        self._gate.observe(outcome)
        self._gate._leave(self.delivery.key)

    def pass_on(self) -> None:
        """The delivery is let in: it ends with its dispatch and the work adopted meanwhile.

        Outside a :meth:`UpdateGate.scope` nobody would end it: it counts as handled now.
        """
        scope = self._gate._scope.get()
        if scope is None:
            self._gate.observe("handled")
            self._gate._leave(self.delivery.key)
            return
        scope.ticket = self

    async def piece(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the sender's order, as a part of this delivery."""
        task = asyncio.current_task()
        self._gate._track(task)
        try:
            async with self._gate._locks.hold(self.delivery.sender):
                await work
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        except BaseException:
            self.failed = True
            raise
        finally:
            work.close()  # never started when cancelled while waiting for the lock
            self._gate._untrack(task)
            await self.release()

    async def release(self) -> None:
        """One piece (the dispatch or one adopted work) has ended; the last one ends the delivery."""
        self.pieces -= 1
        if self.pieces > 0:
            return
        outcome = "cancelled" if self.cancelled else "failed" if self.failed else "handled"
        try:
            await self._gate._end(self.delivery, outcome, self.attempt, time.perf_counter() - self._started)
        finally:
            self._gate._leave(self.delivery.key)
