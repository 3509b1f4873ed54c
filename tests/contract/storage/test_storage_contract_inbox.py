"""Contract: the update inbox (runs against every storage implementation)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.storage import InboxEntry, Storage
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


# Escaped quotes, backslashes, a line break (escaped and real), non-ASCII and an emoji.
AWKWARD = '{"text": "Wiśniewska \\"Ewa\\" \\\\ 1\\n2 \u2014 \U0001f600"}\n\t'


async def test_a_batch_keeps_new_keys_and_leaves_known_and_finished_ones(
    storage: Storage, clock: FakeClock
) -> None:
    first = clock.now
    assert await storage.inbox.receive("tg:1:update:1", "kept before", first)
    assert await storage.inbox.receive("tg:1:update:2", "finished before", first)
    assert await storage.inbox.begin("tg:1:update:2", first) == 1
    await storage.inbox.finish("tg:1:update:2")
    later = clock.advance(5)
    batch = [
        ("tg:1:update:1", "again"),
        ("tg:1:update:2", "again"),
        ("tg:1:update:3", AWKWARD),
        ("tg:1:update:4", "four"),
        ("tg:1:update:3", "a second copy"),
    ]

    assert await storage.inbox.receive_many(batch, later) == 2

    assert await storage.inbox.unfinished("tg:1:") == [
        InboxEntry("tg:1:update:1", "kept before", 0, first),
        InboxEntry("tg:1:update:3", AWKWARD, 0, later),
        InboxEntry("tg:1:update:4", "four", 0, later),
    ]
    assert await storage.inbox.begin("tg:1:update:2", later) is None  # still finished
    assert await storage.inbox.begin("tg:1:update:3", later) == 1
    # received in a batch or one by one, a key is known either way
    assert await storage.inbox.receive("tg:1:update:4", "again", later) is False
    assert await storage.inbox.receive_many(batch, later) == 0


async def test_an_empty_batch_keeps_nothing(storage: Storage, clock: FakeClock) -> None:
    assert await storage.inbox.receive_many([], clock.now) == 0
    assert await storage.inbox.unfinished("") == []


async def test_a_large_batch_is_kept_whole(storage: Storage, clock: FakeClock) -> None:
    batch = [(f"tg:1:update:{i}", f'{{"update_id": {i}}}') for i in range(5000)]
    assert await storage.inbox.receive_many(batch, clock.now) == 5000
    kept = await storage.inbox.unfinished("tg:1:")
    assert sorted((e.key, e.payload) for e in kept) == sorted(batch)


async def test_an_entry_is_taken_over_once_by_whoever_saw_it_as_it_is(
    storage: Storage, clock: FakeClock
) -> None:
    received = clock.now
    await storage.inbox.receive("tg:1:update:1", "left", received)
    [seen] = await storage.inbox.unfinished("tg:1:")
    taken_at = clock.advance(30) + timedelta(microseconds=123_456)

    assert await storage.inbox.take(seen.key, seen.received_at, taken_at) is True
    # a second replica that read the entry before the take loses, whatever its own clock says
    assert await storage.inbox.take(seen.key, seen.received_at, clock.advance(1)) is False
    [entry] = await storage.inbox.unfinished("tg:1:")
    assert (entry.payload, entry.attempts, entry.received_at) == ("left", 0, taken_at)
    # seen as it is now, it can be taken again (the taker died too)
    assert await storage.inbox.take(entry.key, entry.received_at, clock.advance(60)) is True


async def test_a_finished_or_unknown_entry_is_not_taken(storage: Storage, clock: FakeClock) -> None:
    await storage.inbox.receive("tg:1:update:2", "done meanwhile", clock.now)
    [seen] = await storage.inbox.unfinished("tg:1:")
    await storage.inbox.finish(seen.key)
    assert await storage.inbox.take(seen.key, seen.received_at, clock.advance(5)) is False
    assert await storage.inbox.take("tg:1:update:404", seen.received_at, clock.now) is False
    assert await storage.inbox.unfinished("tg:1:") == []
    assert await storage.inbox.begin(seen.key, clock.now) is None  # still finished


async def test_of_concurrent_takes_of_one_entry_one_wins(storage: Storage, clock: FakeClock) -> None:
    await storage.inbox.receive("k", "p", clock.now)
    [seen] = await storage.inbox.unfinished("")
    later = clock.advance(10)
    taken = await asyncio.gather(*(storage.inbox.take("k", seen.received_at, later) for _ in range(10)))
    assert sorted(taken) == [False] * 9 + [True]
