"""The replicas' lists of work in hand, on the real Redis: who is live, what they hold, since when."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from bot.coord.in_hand import MARGIN, InHand, intent_key, update_key
from bot.coord.redis_conn import RedisCoord
from bot.coord.redis_roster import EXPIRES_AFTER_BEATS, SHORTEST_HEARTBEAT, STOP_WAIT, RedisRoster
from tests.waiting import eventually

BEAT = 0.2


def replica(coords: Callable[[], RedisCoord], name: str) -> tuple[RedisRoster, InHand]:
    in_hand = InHand()
    return RedisRoster(coords(), in_hand, heartbeat=BEAT, name=name), in_hand


async def test_a_live_replica_s_work_is_seen_by_the_others_and_left_to_it(
    coords: Callable[[], RedisCoord],
) -> None:
    ann, ann_hands = replica(coords, "ann")
    bob, _ = replica(coords, "bob")
    cid, cid_hands = replica(coords, "cid")
    written = datetime.now(UTC) - timedelta(seconds=10)  # an old row: only its holder keeps it
    with ann_hands.hold(intent_key("order-1")), cid_hands.hold(update_key("tg:1:7")):
        await ann.start()
        await cid.start()
        await bob.start()
        try:
            view = await bob.view()
            assert view is not None and view.processes == 3
            assert update_key("tg:1:7") in view.keys
            assert intent_key("order-1") in view.keys
            assert not view.left(intent_key("order-1"), written)
            assert view.left(intent_key("order-2"), written)  # nobody holds that one
            # Lists are written again every heartbeat: the view's "since" keeps up with the live ones.
            first = view.since
            await asyncio.sleep(3 * BEAT)
            again = await bob.view()
            assert again is not None and again.since > first
            assert intent_key("order-1") in again.keys
        finally:
            await ann.stop()
            await cid.stop()
            await bob.stop()


async def test_a_replica_that_stops_writing_is_gone_once_its_list_expires(
    coords: Callable[[], RedisCoord],
) -> None:
    dead, dead_hands = replica(coords, "dead")
    live, _ = replica(coords, "live")
    other, other_hands = replica(coords, "other")
    with dead_hands.hold(update_key("tg:1:10")):
        assert await dead.publish()  # one list, then nothing: the process was killed
    died = datetime.now(UTC)
    await live.start()
    await other.start()  # listed after the dead one
    try:
        view = await live.view()
        assert view is not None and view.processes == 3 and update_key("tg:1:10") in view.keys
        assert not view.left(update_key("tg:1:10"), died - timedelta(seconds=30))

        async def gone() -> bool:
            seen = await live.view()
            return seen is not None and seen.processes == 2

        await eventually(gone, within=EXPIRES_AFTER_BEATS * BEAT + 2, what="the dead replica's list expiring")
        view = await live.view()
        assert view is not None and update_key("tg:1:10") not in view.keys
        # What it left before it died is left now; what a live replica wrote since is not.
        assert view.left(update_key("tg:1:10"), died - MARGIN)
        assert not view.left(update_key("tg:1:11"), datetime.now(UTC))
        with other_hands.hold(update_key("tg:1:12")):  # the live one listed after the gone one still counts
            await other.publish()
            seen = await live.view()
            assert seen is not None and update_key("tg:1:12") in seen.keys
    finally:
        await live.stop()
        await other.stop()


async def test_a_replica_that_stops_cleanly_withdraws_its_list_at_once(
    coords: Callable[[], RedisCoord],
) -> None:
    leaving, _ = replica(coords, "leaving")
    staying, _ = replica(coords, "staying")
    await leaving.start()
    await staying.start()
    try:
        view = await staying.view()
        assert view is not None and view.processes == 2
        await leaving.stop()
        view = await staying.view()
        assert view is not None and view.processes == 1
    finally:
        await staying.stop()


async def test_a_live_replica_that_has_not_listed_its_work_since_a_change_keeps_that_change_from_being_left(
    coords: Callable[[], RedisCoord],
) -> None:
    slow, _ = replica(coords, "slow")
    reader, _ = replica(coords, "reader")
    assert await slow.publish()  # listed once, and not since (its event loop is busy)
    listed = datetime.now(UTC)
    try:
        view = await reader.view()
        assert view is not None and view.processes == 2
        # A row written after the slow replica's last list may be its own: not left.
        assert not view.left(intent_key("fresh"), listed + timedelta(seconds=1))
        assert view.since <= listed
    finally:
        await slow.stop()


async def test_redis_unreachable_makes_the_view_unknown_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    coord = RedisCoord.from_url("redis://127.0.0.1:1/0", "test-roster-dead:")
    roster = RedisRoster(coord, InHand(), heartbeat=BEAT, name="alone")
    try:
        with caplog.at_level(logging.WARNING, logger="bot.coord.roster"):
            assert not await roster.publish()
            assert not await roster.publish()
            assert await roster.view() is None
        published = [r for r in caplog.records if "could not publish" in r.getMessage()]
        assert len(published) == 1
    finally:
        await coord.aclose()


async def test_a_list_this_code_did_not_write_makes_the_view_unknown(
    coords: Callable[[], RedisCoord],
) -> None:
    reader, _ = replica(coords, "reader")
    coord = coords()
    await coord.client.zadd(coord.key("roster"), {"stranger": time.time()})
    await coord.client.set(coord.key("in-hand", "stranger"), "not json", px=5000)
    assert await reader.view() is None


def test_the_heartbeat_is_at_least_the_shortest_one(coords: Callable[[], RedisCoord]) -> None:
    RedisRoster(coords(), InHand(), heartbeat=SHORTEST_HEARTBEAT)
    with pytest.raises(ValueError, match=rf"^heartbeat must be at least {SHORTEST_HEARTBEAT} s$"):
        RedisRoster(coords(), InHand(), heartbeat=SHORTEST_HEARTBEAT * 0.9)


async def test_a_list_is_named_after_its_process_and_expires_three_heartbeats_after_it_was_written(
    coords: Callable[[], RedisCoord],
) -> None:
    named = RedisRoster(coords(), InHand(), heartbeat=10.0, name="ann")
    assert named.name == "ann"
    unnamed = RedisRoster(coords(), InHand(), heartbeat=BEAT)
    assert f"-{os.getpid()}-" in unnamed.name and unnamed.name != named.name
    coord = coords()
    # A name whose last list is a hundred heartbeats old is dropped from the roster; a younger one stays.
    roster_key = coord.key("roster")
    await coord.client.zadd(roster_key, {"long-gone": time.time() - 1001, "recently-gone": time.time() - 990})
    assert await named.publish()
    ttl = await coord.client.pttl(named.list_key("ann"))
    expires_ms = EXPIRES_AFTER_BEATS * 10.0 * 1000
    assert expires_ms - 100 < ttl <= expires_ms
    assert await coord.client.zscore(roster_key, "ann") is not None
    assert await coord.client.zscore(roster_key, "long-gone") is None
    assert await coord.client.zscore(roster_key, "recently-gone") is not None
    await named.stop()


async def test_a_stopped_roster_started_again_writes_its_list_every_heartbeat_again(
    coords: Callable[[], RedisCoord],
) -> None:
    again, _ = replica(coords, "again")
    reader, _ = replica(coords, "reader")
    await again.start()
    await again.stop()
    await again.start()
    try:
        first = await reader.view()
        await asyncio.sleep(3 * BEAT)
        later = await reader.view()
        assert first is not None and later is not None and later.processes == 2
        assert later.since > first.since  # "again" wrote its list since
    finally:
        await again.stop()


async def test_publishing_that_fails_again_after_it_worked_again_is_logged_again(
    redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    coord = RedisCoord.from_url("redis://127.0.0.1:1/0", prefix)
    dead_client = coord.client
    live_client = RedisCoord.from_url(redis_url, prefix).client
    roster = RedisRoster(coord, InHand(), heartbeat=BEAT, name="flaky")
    try:
        with caplog.at_level(logging.INFO, logger="bot.coord.roster"):
            assert not await roster.publish()
            assert not await roster.publish()
            coord.client = live_client  # Redis is back
            assert await roster.publish()
            assert await roster.publish()
            coord.client = dead_client  # and gone again
            assert not await roster.publish()
        records = [r for r in caplog.records if r.name == "bot.coord.roster"]
        failed = "could not publish the work in hand; replicas go by age until it works again"
        assert [r.getMessage() for r in records] == [failed, "publishing the work in hand again", failed]
        assert records[1].__dict__["failed"] == 2  # how many writes failed in a row
    finally:
        coord.client = live_client
        await roster.stop()
        await live_client.aclose()
        await dead_client.aclose()


async def test_a_stop_while_redis_hangs_ends_within_its_bound(
    coords: Callable[[], RedisCoord], caplog: pytest.LogCaptureFixture
) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # reads nothing, answers nothing

    black_hole = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = black_hole.sockets[0].getsockname()[1]
    coord = coords()
    roster = RedisRoster(coord, InHand(), heartbeat=0.05, name="hanging")
    await roster.start()
    healthy = coord.client
    coord.client = Redis(host="127.0.0.1", port=port, socket_timeout=30)  # Redis stops answering
    try:
        await eventually(lambda: accepted, within=5, what="the next heartbeat's write to hang")
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="bot.coord.roster"):
            await roster.stop()
        took = time.monotonic() - started
        assert 2 * STOP_WAIT - 0.5 < took < 2 * STOP_WAIT + 1.5, took
        assert any("expires by itself" in r.getMessage() for r in caplog.records)
    finally:
        await coord.client.aclose()
        coord.client = healthy
        black_hole.close()
        for writer in accepted:
            writer.close()
        await black_hole.wait_closed()
