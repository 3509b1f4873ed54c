"""A short storage lease, renewed by a heartbeat while its holder works.

The scan and the delivery of alerts each run under a lease shared by every
replica. Its time to live is short, so when the holder dies (``kill -9``, a
lost machine) another replica takes the work over within ``ttl`` seconds;
while the holder lives, a background task renews the lease every ``ttl / 3``
seconds, so slow work never loses it.

:meth:`HeldLease.remaining` is how long the lease is *surely* still held:
counted from the start of the last renewal that succeeded, so it never
overestimates (a renewal that failed or whose answer was lost counts as not
made). Work that must never overlap with another holder's (handing a delivery
to a sink) starts only when ``remaining()`` covers its whole bounded length.
Once another holder has taken the lease, it stays lost for this object.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

from bot.storage import LeaseRepository

log = logging.getLogger("bot.services.alerts")

HEARTBEATS_PER_TTL = 3
"""Renewals per time to live: two may fail in a row before the lease lapses."""


class HeldLease:
    """One lease, taken with :meth:`acquire`, kept by a heartbeat, given back with :meth:`release`."""

    def __init__(
        self,
        leases: LeaseRepository,
        name: str,
        holder: str,
        ttl: float,
        clock: Callable[[], datetime],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` stamps the lease in storage (shared by replicas); ``monotonic`` measures what is left."""
        if ttl <= 0:
            raise ValueError("a lease needs a positive time to live")
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self._leases = leases
        self._clock = clock
        self._monotonic = monotonic
        self._confirmed_at: float | None = None
        self._lost = False
        self._heartbeat: asyncio.Task[None] | None = None

    @property
    def lost(self) -> bool:
        """Whether another holder took the lease from this one."""
        return self._lost

    def remaining(self) -> float:
        """Seconds the lease is surely still held (0 when lost or never taken)."""
        if self._lost or self._confirmed_at is None:
            return 0.0
        return max(0.0, self.ttl - (self._monotonic() - self._confirmed_at))

    async def acquire(self) -> bool:
        """Take the lease and start the heartbeat; ``False`` when another holder has it."""
        if not await self.renew():
            return False
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat(), name=f"lease-heartbeat:{self.name}")
        return True

    async def renew(self) -> bool:
        """Take or renew the lease now; ``False`` when another holder has it.

        Once it was held, that makes it lost for good.

        Storage errors propagate; the lease then simply counts down.
        """
        if self._lost:
            return False
        started = self._monotonic()
        ok = await self._leases.try_acquire_lease(self.name, self.holder, self.ttl, self._clock())
        if not ok:
            self._lost = self._confirmed_at is not None  # taken from us, not merely busy at the start
            return False
        if self._confirmed_at is None or started > self._confirmed_at:
            self._confirmed_at = started
        return True

    async def release(self) -> None:
        """Stop the heartbeat and free the lease (if still ours) for the next holder at once.

        A storage error while freeing it is logged, not raised: the lease then
        ends by itself within ``ttl``.
        """
        task, self._heartbeat = self._heartbeat, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._lost or self._confirmed_at is None:
            return
        self._confirmed_at = None
        try:
            await self._leases.release_lease(self.name, self.holder)
        except Exception as exc:  # it expires by itself
            log.warning("could not release a lease", extra={"lease": self.name, "error": type(exc).__name__})

    async def _beat(self) -> None:
        interval = self.ttl / HEARTBEATS_PER_TTL
        while True:
            await asyncio.sleep(interval)
            try:
                if not await self.renew():
                    log.warning("lease taken by another holder", extra={"lease": self.name})
                    return
            except Exception as exc:  # try again at the next beat; remaining() counts down meanwhile
                log.warning("lease renewal failed", extra={"lease": self.name, "error": type(exc).__name__})
