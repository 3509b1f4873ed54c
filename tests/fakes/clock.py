"""The one fake clock of the tests: wall and monotonic time that stand still until the test moves them.

The product takes time in a few shapes; one :class:`FakeClock` serves them all:

* ``clock`` itself is a wall clock (``Callable[[], datetime]``, UTC-aware): the
  ``clock=``/``now=`` of the storage, the services, the alerts and the emulator;
* ``clock.monotonic`` is a monotonic clock (``Callable[[], float]``, seconds): the
  rate limiters, the caches, the pacer, the leases' heartbeat;
* ``clock.time`` is wall time in epoch seconds (the ``wall=`` of the rate limiters);
* ``clock.sleep`` is an ``asyncio.sleep`` that returns once :meth:`FakeClock.advance`
  has moved the monotonic time past its deadline; ``clock.skip`` one that lets the
  time pass at once (every requested sleep is kept in ``clock.sleeps``).

:meth:`FakeClock.advance` moves wall and monotonic time together; assigning
``clock.now`` sets the wall clock alone (a jump, as a machine's clock may make).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

START = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
"""Where a clock starts unless told otherwise (with microseconds, so that round trips are checked)."""


class FakeClock:
    """Wall time (``now``, UTC-aware) and monotonic time (``mono``) that move only when told."""

    def __init__(self, start: datetime = START, *, monotonic: float = 1000.0) -> None:
        if start.tzinfo is None:
            raise ValueError("a fake clock tells aware time: give start a tzinfo")
        self.now = start
        self.mono = monotonic
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> datetime:
        """The wall clock."""
        return self.now

    def monotonic(self) -> float:
        """The monotonic clock, in seconds."""
        return self.mono

    def time(self) -> float:
        """The wall clock in seconds since the epoch."""
        return self.now.timestamp()

    def at(self, when: datetime, seconds: float = 0) -> datetime:
        """Set the wall clock ``seconds`` after ``when`` (the monotonic clock stays); returns it."""
        self.now = when + timedelta(seconds=seconds)
        return self.now

    def advance(self, seconds: float = 0, *, days: float = 0) -> datetime:
        """Move both clocks forward, wake the sleepers whose time has come; returns the new wall time."""
        step = timedelta(seconds=seconds, days=days)
        self.now += step
        self.mono += step.total_seconds()
        for deadline, future in self._sleepers:
            if deadline <= self.mono and not future.done():
                future.set_result(None)
        self._sleepers = [(d, f) for d, f in self._sleepers if not f.done()]
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Sleep on the fake monotonic clock: returns once :meth:`advance` reaches the deadline."""
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.mono + seconds, future))
        await future

    async def skip(self, seconds: float) -> None:
        """An ``asyncio.sleep`` that returns at once, the time having passed (kept in ``sleeps``)."""
        self.sleeps.append(seconds)
        self.advance(seconds)
