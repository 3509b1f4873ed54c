"""Contract: conversations (runs against every storage implementation)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC

import pytest

from bot.storage import ConversationKey, StaleRevisionError, Storage, UserRef
from tests.fakes.clock import FakeClock

KEY = ConversationKey("telegram", "100", "7")


async def test_get_missing_returns_none(storage: Storage) -> None:
    assert await storage.conversations.get(KEY) is None


async def test_first_unconditional_save_creates_revision_1(storage: Storage, clock: FakeClock) -> None:
    assert await storage.conversations.save(KEY, '{"step": "country"}', None) == 1
    stored = await storage.conversations.get(KEY)
    assert stored is not None
    assert stored.key == KEY
    assert stored.key.user == UserRef("telegram", "7")
    assert stored.data == '{"step": "country"}'
    assert stored.revision == 1
    assert stored.updated_at == clock.now
    assert stored.updated_at.tzinfo is UTC


async def test_unconditional_save_overwrites_and_bumps_revision(storage: Storage, clock: FakeClock) -> None:
    await storage.conversations.save(KEY, "a", None)
    later = clock.advance(5)
    assert await storage.conversations.save(KEY, "b", None) == 2
    stored = await storage.conversations.get(KEY)
    assert stored is not None
    assert (stored.data, stored.revision, stored.updated_at) == ("b", 2, later)


async def test_save_with_current_revision_succeeds(storage: Storage) -> None:
    await storage.conversations.save(KEY, "a", None)
    assert await storage.conversations.save(KEY, "b", 1) == 2
    assert await storage.conversations.save(KEY, "c", 2) == 3
    stored = await storage.conversations.get(KEY)
    assert stored is not None
    assert (stored.data, stored.revision) == ("c", 3)


async def test_save_with_stale_revision_raises_and_changes_nothing(storage: Storage) -> None:
    await storage.conversations.save(KEY, "a", None)
    await storage.conversations.save(KEY, "b", 1)
    with pytest.raises(StaleRevisionError) as caught:
        await storage.conversations.save(KEY, "lost update", 1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    stored = await storage.conversations.get(KEY)
    assert stored is not None
    assert (stored.data, stored.revision) == ("b", 2)


async def test_expected_revision_0_creates_only_if_absent(storage: Storage) -> None:
    assert await storage.conversations.save(KEY, "first", 0) == 1
    with pytest.raises(StaleRevisionError) as caught:
        await storage.conversations.save(KEY, "second", 0)
    assert (caught.value.expected, caught.value.actual) == (0, 1)
    stored = await storage.conversations.get(KEY)
    assert stored is not None
    assert stored.data == "first"


async def test_expected_revision_on_missing_conversation_is_stale(storage: Storage) -> None:
    with pytest.raises(StaleRevisionError) as caught:
        await storage.conversations.save(KEY, "x", 3)
    assert caught.value.actual == 0
    assert await storage.conversations.get(KEY) is None


async def test_negative_expected_revision_is_rejected(storage: Storage) -> None:
    with pytest.raises(ValueError, match="expected_revision"):
        await storage.conversations.save(KEY, "x", -1)


async def test_concurrent_saves_on_one_revision_exactly_one_wins(storage: Storage) -> None:
    await storage.conversations.save(KEY, "start", None)
    results = await asyncio.gather(
        *(storage.conversations.save(KEY, f"writer {i}", 1) for i in range(20)), return_exceptions=True
    )
    winners = [r for r in results if r == 2]
    assert len(winners) == 1
    assert all(isinstance(r, StaleRevisionError) for r in results if r != 2)
    stored = await storage.conversations.get(KEY)
    assert stored is not None
    assert stored.revision == 2
    assert stored.data == f"writer {results.index(2)}"


async def test_keys_are_distinct_per_platform_chat_and_user(storage: Storage) -> None:
    keys = [
        KEY,
        ConversationKey("slack", KEY.chat_id, KEY.user_id),
        ConversationKey(KEY.platform, "other chat", KEY.user_id),
        ConversationKey(KEY.platform, KEY.chat_id, "other user"),
    ]
    for i, key in enumerate(keys):
        await storage.conversations.save(key, f"state {i}", None)
    for i, key in enumerate(keys):
        stored = await storage.conversations.get(key)
        assert stored is not None
        assert (stored.data, stored.revision) == (f"state {i}", 1)
    assert await storage.conversations.count() == 4


async def test_delete_and_count(storage: Storage) -> None:
    assert await storage.conversations.count() == 0
    await storage.conversations.save(KEY, "a", None)
    other = ConversationKey("telegram", "101", "7")
    await storage.conversations.save(other, "b", None)
    assert await storage.conversations.count() == 2
    assert await storage.conversations.delete(KEY) is True
    assert await storage.conversations.delete(KEY) is False
    assert await storage.conversations.get(KEY) is None
    assert await storage.conversations.get(other) is not None
    assert await storage.conversations.count() == 1
    # A deleted conversation starts over.
    assert await storage.conversations.save(KEY, "again", 0) == 1


async def test_ten_thousand_conversations(storage: Storage) -> None:
    started = time.perf_counter()
    keys = [ConversationKey("telegram", str(i), str(i)) for i in range(10_000)]
    await asyncio.gather(*(storage.conversations.save(k, f'{{"n": {i}}}', None) for i, k in enumerate(keys)))
    assert await storage.conversations.count() == 10_000
    for i in (0, 4_321, 9_999):
        stored = await storage.conversations.get(keys[i])
        assert stored is not None
        assert stored.data == f'{{"n": {i}}}'
    # About 2.5 s on PostgreSQL on an idle 2-core machine, 10 s with the suite's two workers and other
    # work sharing the cores: the bound catches a storage that is many times slower (a connection or a
    # commit per save without pooling), not a busy machine.
    assert time.perf_counter() - started < 30
