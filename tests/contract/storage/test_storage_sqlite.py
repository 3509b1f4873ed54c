"""SQLite-only behaviour: pragmas, migrations on a real file, durability, replicas, atomicity."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.storage import (
    AlertClaim,
    ConversationKey,
    DeliveryStatus,
    IntentKind,
    IntentStatus,
    SchemaVersionError,
    SqliteStorage,
    UserRef,
)
from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite.db import Database
from bot.storage.sqlite.inbox import SqliteInbox
from tests.fakes.clock import FakeClock

ALICE = UserRef("telegram", "501")
TG, SLACK = "telegram:1", "slack:C1"


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


async def test_file_is_in_wal_mode_with_foreign_keys_and_busy_timeout(
    sqlite_storage: SqliteStorage, db_path: Path
) -> None:
    assert await sqlite_storage.pragmas() == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "synchronous": 1,  # NORMAL
        "secure_delete": 1,  # deleted and replaced content is overwritten with zeros
    }
    conn = read_only(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


async def test_busy_timeout_is_configurable(db_path: Path) -> None:
    async with await SqliteStorage.open(db_path, busy_timeout_seconds=0.25) as storage:
        assert (await storage.pragmas())["busy_timeout"] == 250


async def test_migrations_are_recorded(
    sqlite_storage: SqliteStorage, db_path: Path, clock: FakeClock
) -> None:
    assert await sqlite_storage.schema_version() == len(MIGRATIONS)
    conn = read_only(db_path)
    try:
        rows = conn.execute(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
        ).fetchall()
    finally:
        conn.close()
    assert rows == [(m.version, m.name, clock.now.isoformat(timespec="microseconds")) for m in MIGRATIONS]


async def test_reopening_applies_nothing_again(db_path: Path, clock: FakeClock) -> None:
    first = await SqliteStorage.open(db_path, clock=clock)
    await first.close()
    clock.advance(3600)
    second = await SqliteStorage.open(db_path, clock=clock)
    try:
        assert await second.schema_version() == len(MIGRATIONS)
    finally:
        await second.close()
    conn = read_only(db_path)
    try:
        rows = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
    finally:
        conn.close()
    assert len(rows) == len(MIGRATIONS)
    assert all(applied_at < clock.now.isoformat() for _, applied_at in rows)


async def test_newer_schema_is_refused(db_path: Path) -> None:
    async with await SqliteStorage.open(db_path):
        pass
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, 'from the future', '2030-01-01T00:00:00.000000+00:00')",
            (len(MIGRATIONS) + 1,),
        )
    conn.close()
    with pytest.raises(SchemaVersionError, match="newer"):
        await SqliteStorage.open(db_path)


async def test_data_survives_closing_and_reopening(db_path: Path, clock: FakeClock) -> None:
    key = ConversationKey("telegram", "100", "501")
    async with await SqliteStorage.open(db_path, clock=clock) as storage:
        await storage.conversations.save(key, '{"step": 3}', None)
        await storage.users.upsert(ALICE, chat_id="100", default_language="pl")
        await storage.ownership.assign_number("48221234567", ALICE, "order")
        await storage.ownership.assign_group(9, ALICE)
        await storage.intents.create("order-1", IntentKind.ORDER, ALICE, {"months": 1})
        await storage.intents.mark_sending("order-1")
        await storage.audit.record("telegram:501", "order", "48221234567", {"months": 1}, "ok")
        await storage.alerts.claim("a1", "expiry", "48221234567", {"days": 7}, ["telegram:100"])
        await storage.alerts.save_snapshot("numbers", "[]")
        await storage.alerts.try_acquire_lease("scan", "replica-a", 60, clock.now)
        await storage.dedup.seen_once("ev1", clock.now, 60)

    async with await SqliteStorage.open(db_path, clock=clock) as storage:
        conversation = await storage.conversations.get(key)
        assert conversation is not None
        assert (conversation.data, conversation.revision) == ('{"step": 3}', 1)
        user = await storage.users.get(ALICE)
        assert user is not None
        assert user.language == "pl"
        assert await storage.ownership.numbers_of(ALICE) == ["48221234567"]
        assert await storage.ownership.groups_of(ALICE) == [9]
        [intent] = await storage.intents.list_by_status(IntentStatus.SENDING)
        assert intent.key == "order-1"
        [entry] = await storage.audit.list()
        assert entry.details == {"months": 1}
        [delivery] = await storage.alerts.due_deliveries(clock.now, 10)
        assert delivery.status is DeliveryStatus.PENDING
        assert await storage.alerts.load_snapshot("numbers") == "[]"
        assert await storage.alerts.try_acquire_lease("scan", "replica-b", 60, clock.now) is False
        assert await storage.dedup.seen_once("ev1", clock.now, 60) is False


async def test_closed_storage_refuses_work(db_path: Path) -> None:
    async with await SqliteStorage.open(db_path) as storage:
        pass
    with pytest.raises(ValueError, match="closed"):
        await storage.conversations.count()
    await storage.close()


async def test_two_replicas_on_one_file_spend_money_once(db_path: Path, clock: FakeClock) -> None:
    a = await SqliteStorage.open(db_path, clock=clock)
    b = await SqliteStorage.open(db_path, clock=clock)
    try:
        created = await asyncio.gather(
            *(s.intents.create("order-1", IntentKind.ORDER, ALICE, {}) for s in (a, b) * 10)
        )
        assert [flag for _, flag in created].count(True) == 1
        sending = await asyncio.gather(*(s.intents.mark_sending("order-1") for s in (a, b) * 10))
        assert sending.count(True) == 1
        claims = await asyncio.gather(
            *(s.alerts.claim("a1", "expiry", "1", {}, ["telegram:1", "slack:C1"]) for s in (a, b) * 10)
        )
        assert claims.count(True) == 1
        leases = await asyncio.gather(
            *(s.alerts.try_acquire_lease("scan", f"r{i}", 60, clock.now) for i, s in enumerate((a, b) * 10))
        )
        assert leases.count(True) == 1
        seen = await asyncio.gather(*(s.dedup.seen_once("ev", clock.now, 60) for s in (a, b) * 10))
        assert seen.count(True) == 1
        assert len(await a.alerts.deliveries("a1")) == 2
    finally:
        await a.close()
        await b.close()


async def test_two_replicas_batch_claims_claim_each_key_once(db_path: Path, clock: FakeClock) -> None:
    """Overlapping batches, in opposite orders, from two connections to one file: each key once."""
    a = await SqliteStorage.open(db_path, clock=clock)
    b = await SqliteStorage.open(db_path, clock=clock)
    try:
        keys = [f"k{i:05d}" for i in range(1200)]  # several chunks each

        def batch(chosen: list[str], destination: str) -> list[AlertClaim]:
            return [AlertClaim(key, "expiry", "1", {}, (destination,)) for key in chosen]

        results = await asyncio.gather(
            a.alerts.claim_many(batch(keys, TG)),
            b.alerts.claim_many(batch(keys[::-1], SLACK)),
            a.alerts.claim_many(batch(keys[400:], TG)),
            b.alerts.claim_many(batch(keys[::3], SLACK)),
        )
        assert set().union(*results) == set(keys)
        assert sum(len(claimed) for claimed in results) == len(keys)
        assert (await b.alerts.delivery_backlog(clock.now)).waiting == len(keys)
        for key in keys[::150]:
            assert len(await a.alerts.deliveries(key)) == 1
    finally:
        await a.close()
        await b.close()


async def test_failed_claim_rolls_back_without_losing_concurrent_writes(
    sqlite_storage: SqliteStorage,
) -> None:
    unbindable: list[str] = ["telegram:1", object()]  # type: ignore[list-item]
    results = await asyncio.gather(
        sqlite_storage.alerts.claim("a1", "expiry", "1", {}, unbindable),
        *(sqlite_storage.audit.record("t", f"a{i}", "x", {}, "ok") for i in range(10)),
        return_exceptions=True,
    )
    assert isinstance(results[0], sqlite3.Error)
    assert results[1:] == [None] * 10
    assert await sqlite_storage.alerts.get("a1") is None
    assert await sqlite_storage.alerts.deliveries("a1") == []
    assert len(await sqlite_storage.audit.list()) == 10
    assert await sqlite_storage.alerts.claim("a1", "expiry", "1", {}, ["telegram:1"]) is True


async def test_reads_do_not_see_uncommitted_claims(sqlite_storage: SqliteStorage) -> None:
    unbindable: list[str] = ["telegram:1", object()]  # type: ignore[list-item]
    claim = asyncio.create_task(sqlite_storage.alerts.claim("a1", "expiry", "1", {}, unbindable))
    seen = []
    while not claim.done():
        seen.append(await sqlite_storage.alerts.get("a1"))
    with pytest.raises(sqlite3.Error):
        await claim
    assert seen
    assert all(alert is None for alert in seen)


def query_plan(path: Path, sql: str, params: tuple[object, ...]) -> str:
    conn = read_only(path)
    try:
        return " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    finally:
        conn.close()


async def test_lookups_use_indexes(sqlite_storage: SqliteStorage, db_path: Path) -> None:
    conversation = query_plan(
        db_path,
        "SELECT data FROM conversations WHERE platform = ? AND chat_id = ? AND user_id = ?",
        ("telegram", "1", "1"),
    )
    assert "USING PRIMARY KEY" in conversation
    due = query_plan(
        db_path,
        "SELECT * FROM alert_deliveries AS d WHERE d.status IN ('pending', 'failed') "
        "AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at",
        ("2026",),
    )
    assert "alert_deliveries_due" in due
    owner = query_plan(
        db_path, "SELECT number FROM number_owners WHERE owner_platform = ? AND owner_user_id = ?", ("t", "1")
    )
    assert "number_owners_by_owner" in owner


async def test_due_deliveries_with_many_alerts(sqlite_storage: SqliteStorage, clock: FakeClock) -> None:
    for i in range(200):
        await sqlite_storage.alerts.claim(f"a{i}", "expiry", str(i), {}, ["telegram:1"])
        clock.advance(1)
    due = await sqlite_storage.alerts.due_deliveries(clock.now - timedelta(seconds=101), 500)
    assert [d.alert_key for d in due] == [f"a{i}" for i in range(100)]


async def test_a_batch_of_received_updates_is_one_statement(
    sqlite_storage: SqliteStorage, db_path: Path, clock: FakeClock
) -> None:
    """One round trip to the connection's thread and one commit for a whole poll, not one per update."""
    conn = await aiosqlite.connect(db_path, isolation_level=None)
    try:
        statements: list[str] = []
        await conn.set_trace_callback(statements.append)
        inbox = SqliteInbox(Database(conn, clock))
        batch = [(f"tg:1:update:{i}", f'{{"update_id": {i}}}') for i in range(100)]
        assert await inbox.receive_many(batch, clock.now) == 100
        assert len(statements) == 1 and statements[0].lstrip().startswith("INSERT INTO update_inbox")
        assert await inbox.receive_many([], clock.now) == 0
        assert len(statements) == 1  # an empty poll costs no round trip
    finally:
        await conn.close()
    assert len(await sqlite_storage.inbox.unfinished("tg:1:")) == 100


async def test_a_batch_that_fails_half_way_keeps_none_of_its_updates(
    sqlite_storage: SqliteStorage, db_path: Path, clock: FakeClock
) -> None:
    conn = sqlite3.connect(db_path)
    try:
        conn.execute(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON update_inbox WHEN NEW.payload = 'poison'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        conn.commit()
    finally:
        conn.close()
    batch = [("tg:1:update:1", "one"), ("tg:1:update:2", "poison"), ("tg:1:update:3", "three")]
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        await sqlite_storage.inbox.receive_many(batch, clock.now)
    assert await sqlite_storage.inbox.unfinished("") == []
    assert await sqlite_storage.inbox.receive_many([batch[0], batch[2]], clock.now) == 2
