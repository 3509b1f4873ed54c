"""The migration runner, on a real SQLite file with small synthetic migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from bot.storage.migrations import (
    MIGRATIONS,
    Migration,
    applied_versions,
    check_sequence,
    migrate,
    split_statements,
)
from tests.fakes.clock import FakeClock

M1 = Migration(1, "things", "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);")
M2 = Migration(
    2,
    "thing log",
    """
    CREATE TABLE thing_log (thing_id INTEGER NOT NULL, note TEXT NOT NULL);
    CREATE TRIGGER things_logged AFTER INSERT ON things BEGIN
        INSERT INTO thing_log (thing_id, note) VALUES (new.id, 'added; logged');
    END;
    """,
)
M3_BROKEN = Migration(3, "broken", "CREATE TABLE extra (x INTEGER); INSERT INTO no_such_table VALUES (1);")


@pytest.fixture
async def conn(db_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    async with aiosqlite.connect(db_path, isolation_level=None) as connection:
        yield connection


async def tables(conn: aiosqlite.Connection) -> set[str]:
    rows = await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in rows}


def test_split_statements_respects_strings_and_triggers() -> None:
    statements = split_statements(M2.sql)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    assert split_statements("SELECT 'a;b';;\n  SELECT 2;  ") == ["SELECT 'a;b';", "SELECT 2;"]
    assert split_statements("   ") == []


def test_split_statements_rejects_an_unterminated_statement() -> None:
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("SELECT 1; SELECT 2")


def test_check_sequence() -> None:
    check_sequence([M1, M2])
    check_sequence(MIGRATIONS)
    with pytest.raises(Exception, match=r"1\.\.2"):
        check_sequence([M2, M1])
    with pytest.raises(Exception, match=r"1\.\.1"):
        check_sequence([M2])


def test_shipped_migrations_split_into_statements() -> None:
    for migration in MIGRATIONS:
        assert split_statements(migration.sql)


async def test_applies_pending_migrations_in_order_once(conn: aiosqlite.Connection, clock: FakeClock) -> None:
    assert await applied_versions(conn) == []
    assert await migrate(conn, clock.now, [M1, M2]) == [1, 2]
    assert await applied_versions(conn) == [1, 2]
    assert {"things", "thing_log", "schema_migrations"} <= await tables(conn)
    await conn.execute("INSERT INTO things (name) VALUES ('x')")
    assert list(await conn.execute_fetchall("SELECT note FROM thing_log")) == [("added; logged",)]
    assert await migrate(conn, clock.now, [M1, M2]) == []
    rows = await conn.execute_fetchall("SELECT version, name FROM schema_migrations ORDER BY version")
    assert list(rows) == [(1, "things"), (2, "thing log")]


async def test_a_new_release_applies_only_its_new_migration(
    conn: aiosqlite.Connection, clock: FakeClock
) -> None:
    assert await migrate(conn, clock.now, [M1]) == [1]
    assert "thing_log" not in await tables(conn)
    assert await migrate(conn, clock.now, [M1, M2]) == [2]
    assert await applied_versions(conn) == [1, 2]


async def test_a_failing_migration_leaves_no_trace(conn: aiosqlite.Connection, clock: FakeClock) -> None:
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await migrate(conn, clock.now, [M1, M2, M3_BROKEN])
    assert not conn.in_transaction
    assert await tables(conn) == set()
    assert await applied_versions(conn) == []
    assert await migrate(conn, clock.now, [M1, M2]) == [1, 2]


async def test_a_database_from_a_newer_release_is_refused(
    conn: aiosqlite.Connection, clock: FakeClock
) -> None:
    await migrate(conn, clock.now, [M1, M2])
    with pytest.raises(Exception, match="newer"):
        await migrate(conn, clock.now, [M1])
    assert not conn.in_transaction


async def test_gaps_in_the_record_are_refused(conn: aiosqlite.Connection, clock: FakeClock) -> None:
    await migrate(conn, clock.now, [M1, M2])
    await conn.execute("DELETE FROM schema_migrations WHERE version = 1")
    with pytest.raises(Exception, match="gaps"):
        await migrate(conn, clock.now, [M1, M2])
