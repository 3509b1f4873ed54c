"""Contract: the audit log (runs against every storage implementation)."""

from __future__ import annotations

from datetime import UTC

import pytest

from bot.storage import Storage
from tests.fakes.clock import FakeClock


async def test_empty_log(storage: Storage) -> None:
    assert await storage.audit.list() == []


async def test_record_and_read_back(storage: Storage, clock: FakeClock) -> None:
    await storage.audit.record("slack:U0TEAM", "prolong", "48221234567", {"months": 3, "cost": 9.9}, "ok")
    [entry] = await storage.audit.list()
    assert (entry.actor, entry.action, entry.target, entry.result) == (
        "slack:U0TEAM",
        "prolong",
        "48221234567",
        "ok",
    )
    assert entry.details == {"months": 3, "cost": 9.9}
    assert entry.at == clock.now
    assert entry.at.tzinfo is UTC


async def test_newest_first_with_growing_ids(storage: Storage, clock: FakeClock) -> None:
    for i in range(5):
        await storage.audit.record("scheduler", f"action {i}", "n", {}, "ok")
        if i % 2:
            clock.advance(1)
    entries = await storage.audit.list()
    assert [e.action for e in entries] == [f"action {i}" for i in reversed(range(5))]
    ids = [e.id for e in entries]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 5


async def test_filter_by_target_and_limit(storage: Storage) -> None:
    for i in range(6):
        await storage.audit.record("a", f"act {i}", "odd" if i % 2 else "even", {"i": i}, "ok")
    assert [e.details["i"] for e in await storage.audit.list(target="odd")] == [5, 3, 1]
    assert [e.details["i"] for e in await storage.audit.list(target="even", limit=2)] == [4, 2]
    assert [e.details["i"] for e in await storage.audit.list(limit=4)] == [5, 4, 3, 2]
    assert await storage.audit.list(target="none") == []


async def test_default_limit_is_50(storage: Storage) -> None:
    for i in range(55):
        await storage.audit.record("a", "x", "t", {"i": i}, "ok")
    entries = await storage.audit.list()
    assert len(entries) == 50
    assert entries[0].details == {"i": 54}


async def test_bad_limit_is_rejected(storage: Storage) -> None:
    with pytest.raises(ValueError, match="limit"):
        await storage.audit.list(limit=0)


async def test_details_must_be_json(storage: Storage) -> None:
    with pytest.raises(TypeError):
        await storage.audit.record("a", "x", "t", {"when": object()}, "ok")
    assert await storage.audit.list() == []


async def test_returned_details_are_copies(storage: Storage) -> None:
    await storage.audit.record("a", "x", "t", {"k": [1]}, "ok")
    [entry] = await storage.audit.list()
    entry.details["k"].append(2)
    [again] = await storage.audit.list()
    assert again.details == {"k": [1]}
