"""Contract: the update inbox (runs against every storage implementation)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.storage import Storage
from tests.fakes.clock import FakeClock


async def test_a_received_update_is_unfinished_until_finished(storage: Storage, clock: FakeClock) -> None:
    assert await storage.inbox.receive("tg:1:update:5", '{"update_id": 5}', clock.now) is True
    assert await storage.inbox.receive("tg:1:update:5", '{"other": 1}', clock.now) is False
    [entry] = await storage.inbox.unfinished("tg:1:")
    assert (entry.key, entry.payload, entry.attempts) == ("tg:1:update:5", '{"update_id": 5}', 0)
    assert await storage.inbox.begin("tg:1:update:5", clock.now) == 1
    assert await storage.inbox.begin("tg:1:update:5", clock.now) == 2
    assert (await storage.inbox.unfinished("tg:1:"))[0].attempts == 2
    await storage.inbox.finish("tg:1:update:5")
    assert await storage.inbox.unfinished("tg:1:") == []
    assert await storage.inbox.begin("tg:1:update:5", clock.now) is None
    assert await storage.inbox.receive("tg:1:update:5", '{"update_id": 5}', clock.now) is False
    assert await storage.inbox.unfinished("tg:1:") == []


async def test_an_update_never_kept_is_recorded_by_its_first_attempt(
    storage: Storage, clock: FakeClock
) -> None:
    assert await storage.inbox.begin("tg:1:update:9", clock.now) == 1
    [entry] = await storage.inbox.unfinished("tg:")
    assert entry.payload is None and entry.attempts == 1
    await storage.inbox.finish("tg:1:update:9")
    assert await storage.inbox.begin("tg:1:update:9", clock.now) is None


async def test_unfinished_lists_one_prefix_oldest_first(storage: Storage, clock: FakeClock) -> None:
    await storage.inbox.receive("tg:1:update:30", "c", clock.advance(1))
    await storage.inbox.receive("tg:2:update:1", "other bot", clock.advance(1))
    await storage.inbox.receive("tg:1:update:10", "a", clock.advance(1))
    await storage.inbox.receive("tg:1:update:20", "b", clock.advance(1))
    await storage.inbox.finish("tg:1:update:20")
    assert [e.payload for e in await storage.inbox.unfinished("tg:1:")] == ["c", "a"]
    assert [e.payload for e in await storage.inbox.unfinished("tg:2:")] == ["other bot"]
    assert len(await storage.inbox.unfinished("")) == 3


async def test_purge_forgets_old_finished_entries_only(storage: Storage, clock: FakeClock) -> None:
    start = clock.now
    await storage.inbox.receive("done-old", "x", start)
    await storage.inbox.receive("open-old", "y", start)
    await storage.inbox.receive("done-new", "z", start + timedelta(hours=1))
    for key in ("done-old", "done-new"):
        await storage.inbox.finish(key)
    assert await storage.inbox.purge(start - timedelta(seconds=1)) == 0
    assert await storage.inbox.purge(start) == 1
    assert [e.key for e in await storage.inbox.unfinished("")] == ["open-old"]
    assert await storage.inbox.begin("done-new", clock.now) is None
    # once forgotten, a very late re-delivery counts as new
    assert await storage.inbox.begin("done-old", clock.now) == 1


async def test_concurrent_attempts_are_counted_each(storage: Storage, clock: FakeClock) -> None:
    await storage.inbox.receive("k", "p", clock.now)
    counts = await asyncio.gather(*(storage.inbox.begin("k", clock.now) for _ in range(10)))
    assert sorted(c for c in counts if c is not None) == list(range(1, 11))
