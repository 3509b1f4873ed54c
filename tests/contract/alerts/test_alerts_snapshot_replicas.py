"""Each replica compares with the snapshot last stored by any replica, not with its own last one."""

from __future__ import annotations

from datetime import timedelta

from tests.contract.alerts.alert_world import World


async def test_a_replica_compares_with_the_snapshot_another_replica_stored(world: World) -> None:
    a, b = world.scheduler("replica-a"), world.scheduler("replica-b")
    await world.order("1001", 3301, autorenew=False)
    first = await a.scan_once()  # 00:30 account time: before the digest hour
    assert first.snapshot_saved and first.by_kind.get("digest") is None
    world.sandbox.clock.advance(timedelta(hours=10))  # 10:30: the day's digest is due
    world.clock.advance(10 * 3600)
    by_b = await b.scan_once()
    assert by_b.by_kind.get("digest") == 1
    again = await a.scan_once()  # against b's snapshot (taken after the digest hour): nothing new
    assert (again.drafts, again.duplicates, again.snapshot_saved) == (0, 0, True)
    steady = await a.scan_once()  # against its own snapshot, still the stored one
    assert (steady.drafts, steady.first_scan) == (0, False)
