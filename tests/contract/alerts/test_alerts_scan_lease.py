"""The scan lease is short and kept by a heartbeat: a slow scan (a slow Zadarma) keeps it.

Against the emulator with latency on ``direct_numbers``; the lease's clock runs
on real time from the world's start so the short TTL really passes.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from bot.services.alerts.scheduler import SCAN_LEASE
from tests.contract.alerts.alert_world import World

TTL = 0.3


class RunningClock:
    """The world's machine time, moving with real time."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


async def test_a_scan_slower_than_the_lease_ttl_keeps_the_lease(world: World) -> None:
    clock = RunningClock(world.clock.now)
    a = world.scheduler("replica-a", clock=clock, scan_lease_ttl=TTL)
    b = world.scheduler("replica-b", clock=clock, scan_lease_ttl=TTL)
    assert (await a.scan_once()).skipped is None  # the first snapshot
    world.sandbox.set_faults(latency_ms=1000, paths=["/v1/direct_numbers/"])
    started = time.monotonic()
    slow = asyncio.create_task(a.scan_once())
    await asyncio.sleep(3 * TTL)  # a is waiting on Zadarma, well past one TTL
    assert (await b.scan_once()).skipped == "lease"
    report = await slow
    assert time.monotonic() - started >= 1.0
    assert report.skipped is None and report.snapshot_saved
    assert await world.storage.leases.try_acquire_lease(SCAN_LEASE, "replica-c", TTL, clock())  # released
