"""Exactly once under failures: failing sinks, blocked users, overlapping scans, crashes, replicas."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.runtime import Part
from bot.services.alerts import AlertScheduler
from bot.services.alerts.scheduler import SCAN_LEASE
from bot.storage import DeliveryStatus, UserRef
from bot.zadarma import ZadarmaClient
from bot.zadarma.brief import NumberBrief
from tests.contract.alerts.alert_world import BASE_URL, CHANNEL, World
from tests.waiting import eventually


async def fourteen_days_before(world: World, user: str = "1001") -> tuple[AlertScheduler, str, str]:
    """A customer's number without auto-renewal, the clock moved to 14 days before it stops."""
    await world.customer(user)
    scheduler = world.scheduler()
    await world.tick(scheduler)
    number = await world.order(user, 3301, autorenew=False)
    await world.next_day(14)  # 31 Jan -> 14 Feb; the number stops on 28 Feb
    return scheduler, number, f"expiry:{number}:2026-02-28:14"


async def test_failed_send_is_retried_later_and_arrives_once(world: World) -> None:
    scheduler, _, key = await fourteen_days_before(world)
    world.slack.fail_times[key] = 1
    world.telegram.fail_times[key] = 1
    report = await scheduler.scan_once()
    assert report.by_kind == {"expiry_warning": 1}
    assert await scheduler.deliver_due() == 0  # both failed
    assert await scheduler.deliver_due() == 0  # not due again yet
    await world.restart()  # the retry survives a restart
    scheduler = world.scheduler("replica-b")
    world.clock.advance(31)
    assert await scheduler.deliver_due() == 2
    assert (await world.tick(scheduler)).claimed == 0
    world.clock.advance(3600)
    assert await scheduler.deliver_due() == 0
    assert world.slack.keys() == world.telegram.keys() == [key]
    assert [a for a in world.slack.attempts if a[1] == key] == [
        (CHANNEL, key, "retry"),
        (CHANNEL, key, "sent"),
    ]


async def test_a_number_listed_twice_is_alerted_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    scheduler, number, key = await fourteen_days_before(world)
    listed = world.client.number_briefs

    async def listed_twice() -> list[NumberBrief]:
        briefs = await listed()
        return briefs + [brief for brief in briefs if brief.number == number]

    monkeypatch.setattr(world.client, "number_briefs", listed_twice)
    report = await scheduler.scan_once()
    assert (report.drafts, report.claimed, report.duplicates) == (2, 1, 1)
    assert report.by_kind == {"expiry_warning": 1}
    assert await scheduler.deliver_due() == 2
    assert world.slack.keys() == world.telegram.keys() == [key]


async def test_blocked_telegram_user_is_recorded_and_not_retried(world: World) -> None:
    scheduler, number, key = await fourteen_days_before(world, user="1002")
    world.telegram.blocked.add("1002")
    await world.tick(scheduler)
    statuses = {d.destination: d.status for d in await world.storage.alerts.deliveries(key)}
    assert statuses == {"telegram:1002": DeliveryStatus.BLOCKED, f"slack:{CHANNEL}": DeliveryStatus.SENT}
    user = await world.storage.users.get(UserRef("telegram", "1002"))
    assert user is not None and user.blocked
    for _ in range(7):
        await world.next_day()
        await world.tick(scheduler)
    seven = f"expiry:{number}:2026-02-28:7"
    assert [d.destination for d in await world.storage.alerts.deliveries(seven)] == [f"slack:{CHANNEL}"]
    assert world.telegram.attempts == [("1002", key, "blocked")]
    assert world.slack.keys(CHANNEL) == [key, seven]  # scans at 00:30 account time: no digest yet


async def test_overlapping_scans_and_replicas_send_nothing_twice(world: World) -> None:
    scheduler, _, key = await fourteen_days_before(world)
    other = world.scheduler("replica-b")
    reports = await asyncio.gather(scheduler.scan_once(), scheduler.scan_once(), other.scan_once())
    assert sorted(str(r.skipped) for r in reports) == ["None", "busy", "lease"]
    assert sum(r.claimed for r in reports) == 1
    sent = await asyncio.gather(scheduler.deliver_due(), other.deliver_due(), scheduler.deliver_due())
    assert sum(sent) == 2
    # the lease is free again: the other replica scans the same account and finds nothing new
    assert (await other.scan_once()).claimed == 0
    await other.deliver_due()
    assert world.slack.keys() == world.telegram.keys() == [key]


async def test_a_replica_whose_lease_expired_cannot_double_send(world: World) -> None:
    scheduler, _, key = await fourteen_days_before(world)
    # a stale replica that still holds the lease when the other one starts
    assert await world.storage.leases.try_acquire_lease(SCAN_LEASE, "stale", 60, world.clock())
    assert (await scheduler.scan_once()).skipped == "lease"
    world.clock.advance(61)
    reports = [await scheduler.scan_once(), await world.scheduler("replica-c").scan_once()]
    assert [r.claimed for r in reports] == [1, 0]
    await scheduler.deliver_due()
    assert world.telegram.keys() == [key]


async def test_crash_between_claiming_and_storing_the_snapshot(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduler, _, key = await fourteen_days_before(world)

    async def crash(*_: Any) -> None:
        raise RuntimeError("the process died")

    monkeypatch.setattr(world.storage.snapshots, "save_snapshot", crash)
    with pytest.raises(RuntimeError):
        await scheduler.scan_once()
    assert scheduler.health()["consecutive_failures"] == 1
    await world.restart()
    scheduler = world.scheduler("replica-after-crash")
    report = await scheduler.scan_once()  # the same previous snapshot: the same key, already claimed
    assert (report.claimed, report.duplicates, report.snapshot_saved) == (0, 1, True)
    assert await scheduler.deliver_due() == 2
    await world.restart()  # and after sending: nothing goes out again
    scheduler = world.scheduler("replica-after-second-restart")
    await world.tick(scheduler)
    world.clock.advance(days=1)
    assert await scheduler.deliver_due() == 0
    assert world.slack.keys() == world.telegram.keys() == [key]


async def test_runs_as_a_part_until_stopped(world: World) -> None:
    await world.customer("1001")
    await world.order("1001", 3301, autorenew=False)
    scheduler = world.scheduler(interval=0.01, delivery_interval=0.01)
    part: Part = scheduler
    assert (part.name, part.required) == ("alerts", False)
    assert part.health()["ok"] is False  # not started
    await part.start()
    await part.start()  # idempotent
    await asyncio.sleep(0.05)
    await world.next_day(14)
    await eventually(lambda: world.telegram.received, what="an alert in Telegram")
    health = part.health()
    assert health["ok"] and health["running"] and health["numbers"] == 1
    await part.stop()
    await part.stop()
    assert part.health()["running"] is False
    assert [r.alert.kind.value for r in world.telegram.received] == ["expiry_warning"]


async def test_scan_failures_are_reported_in_health(world: World) -> None:
    world.client = ZadarmaClient(  # no retries: fail fast
        world.http, base_url=BASE_URL, key=world.sandbox.key, secret=world.sandbox.secret, max_retries=0
    )
    scheduler = world.scheduler(interval=0.01, delivery_interval=0.01)
    world.sandbox.set_faults(error_rate=1.0, paths=["/v1/info/timezone/"])
    await scheduler.start()
    await eventually(lambda: scheduler.health()["consecutive_failures"] >= 3, what="three failed scans")
    health = scheduler.health()
    assert health["running"] and not health["ok"]
    assert "ZadarmaAPIError" in str(health["last_error"])
    world.sandbox.clear_faults()
    await eventually(lambda: scheduler.health()["ok"], what="a healthy scheduler")
    await scheduler.stop()


async def test_configured_from_settings(world: World) -> None:
    settings = Settings(
        alert_interval=60, alert_days="10,5", slack_alert_channel="C0TEAM", alert_digest_hour=23
    )
    # The team's channel reaches the scheduler with the routes the composition root registers.
    routes = world.routes(team_channel=settings.slack_alert_channel)
    scheduler = AlertScheduler.from_settings(settings, world.client, world.storage, routes)
    await world.customer("1001")
    await scheduler.scan_once()
    number = await world.order("1001", 3301, autorenew=False)
    await world.next_day(18)  # 10 days left
    await scheduler.scan_once()
    await scheduler.deliver_due()
    assert world.telegram.keys() == [f"expiry:{number}:2026-02-28:10"]
    assert world.slack.keys("C0TEAM") == [f"expiry:{number}:2026-02-28:10"]  # 00:30: before the digest


async def test_owner_on_slack_and_unowned_numbers_go_to_the_channel_only(world: World) -> None:
    scheduler = world.scheduler()
    await world.tick(scheduler)
    mine = await world.order("1001", 3301, autorenew=False)
    await world.storage.ownership.assign_number(mine, UserRef("slack", "U0OPS"), assigned_by="slack:U0OPS")
    direct = await world.client.order_number(direction_id=3303, documents_group_id=0)
    await world.client.set_autoprolongation(direct.number, False)
    world.sandbox.clock.advance(timedelta(days=14))
    await world.tick(scheduler)
    assert world.telegram.received == []
    assert sorted(
        r.alert.number or "" for r in world.slack.received if r.alert.kind == "expiry_warning"
    ) == sorted([mine, direct.number])


async def test_a_scan_counts_the_alerts_it_claimed_and_those_nobody_can_receive(world: World) -> None:
    scheduler = world.scheduler(team_channel="")  # no team channel: only the owners are told
    for user in ("1001", "1002"):
        await world.customer(user)
    await world.tick(scheduler)
    for user in ("1001", "1001", "1002", "1002"):
        await world.order(user, 3301, autorenew=False)
    await world.storage.users.mark_blocked(UserRef("telegram", "1001"))
    await world.next_day(14)
    report = await scheduler.scan_once()
    assert (report.claimed, report.by_kind, report.undeliverable) == (2, {"expiry_warning": 2}, 2)
    assert scheduler.health()["last_claimed"] == 2
    assert await scheduler.deliver_due() == 2
    assert [r.to for r in world.telegram.received] == ["1002", "1002"]


async def test_a_failed_scan_is_reported_shortly_and_cleared_by_the_next(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.customer("1001")
    scheduler = world.scheduler()
    await world.tick(scheduler)
    for _ in range(2):
        await world.order("1001", 3301, autorenew=False)
    await world.next_day(14)

    async def crash(*_: Any) -> None:
        raise RuntimeError("the disk is full: " + "x" * 1000)

    with monkeypatch.context() as patch:
        patch.setattr(world.storage.snapshots, "save_snapshot", crash)
        with pytest.raises(RuntimeError):
            await scheduler.scan_once()  # both alerts claimed, the snapshot not stored
    health = scheduler.health()
    assert health["consecutive_failures"] == 1
    assert str(health["last_error"]).startswith("RuntimeError: the disk is full: xxx")
    assert len(str(health["last_error"])) == 300  # cut short for the health page
    report = await scheduler.scan_once()  # the same alerts again: claimed before, not twice
    assert (report.claimed, report.duplicates) == (0, 2)
    health = scheduler.health()
    assert (health["consecutive_failures"], health["last_error"]) == (0, None)
    assert health["last_scan_at"] == world.clock.now.isoformat()
    assert await scheduler.deliver_due() == 4  # two alerts, each to the owner and the team channel
    assert len(world.telegram.received) == 2
