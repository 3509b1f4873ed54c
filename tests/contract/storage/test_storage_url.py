"""DATABASE_URL parsing and open_storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import MemoryStorage, SqliteStorage, open_storage, parse_database_url
from bot.storage.postgres import DEFAULT_POOL_SIZE
from bot.storage.url import MemoryUrl, PostgresUrl, SqliteUrl


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///bot.db", SqliteUrl(Path("bot.db"))),
        ("sqlite:///data/bot.db", SqliteUrl(Path("data/bot.db"))),
        ("sqlite:////var/lib/bot/bot.db", SqliteUrl(Path("/var/lib/bot/bot.db"))),
        ("  sqlite:///bot.db\n", SqliteUrl(Path("bot.db"))),
        ("memory://", MemoryUrl()),
        ("postgresql://db/bot", PostgresUrl("postgresql://db/bot", DEFAULT_POOL_SIZE)),
        ("postgres://bot:pw@db:6543/bot", PostgresUrl("postgres://bot:pw@db:6543/bot", DEFAULT_POOL_SIZE)),
        ("postgresql://bot@db/bot?pool_size=12", PostgresUrl("postgresql://bot@db/bot", 12)),
        (
            "postgresql://bot@db/bot?sslmode=require&pool_size=2",
            PostgresUrl("postgresql://bot@db/bot?sslmode=require", 2),
        ),
    ],
)
def test_good_urls(url: str, expected: SqliteUrl | MemoryUrl | PostgresUrl) -> None:
    assert parse_database_url(url) == expected


def test_relative_and_absolute_forms_differ() -> None:
    relative = parse_database_url("sqlite:///var/bot.db")
    absolute = parse_database_url("sqlite:////var/bot.db")
    assert isinstance(relative, SqliteUrl) and isinstance(absolute, SqliteUrl)
    assert not relative.path.is_absolute()
    assert absolute.path.is_absolute()


@pytest.mark.parametrize(
    "url",
    [
        "",
        "bot.db",
        "sqlite://bot.db",
        "sqlite:///",
        "sqlite:////",
        "sqlite:///data/",
        "sqlite:///:memory:",
        "sqlite:///bot.db?mode=ro",
        "memory:",
        "memory://x",
        "mysql://db/bot",
        "postgresql://",
        "postgresql://db",
        "postgresql://db/",
        "postgresql://db/a/b",
        "postgresql://db:port/bot",
        "postgresql://db/bot?pool_size=0",
        "postgresql://db/bot?pool_size=many",
    ],
)
def test_bad_urls_name_the_expected_forms(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_database_url(url)
    message = str(caught.value)
    assert repr(url.strip()) in message
    for form in (
        "sqlite:///relative/path.db",
        "sqlite:////absolute/path.db",
        "postgresql://user:password@host:5432/database",
        "memory://",
    ):
        assert form in message


@pytest.mark.parametrize(
    "url", ["mysql://bot:s3cret@db:5432/bot", "postgresql://bot:s3cret@db:5432/bot?pool_size=-1"]
)
def test_passwords_are_not_repeated_in_the_error(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_database_url(url)
    assert "s3cret" not in str(caught.value)
    assert "db:5432/bot" in str(caught.value)


def test_a_parsed_postgres_url_does_not_show_its_password() -> None:
    parsed = parse_database_url("postgresql://bot:s3cret@db/bot")
    assert "s3cret" not in repr(parsed)


async def test_open_memory() -> None:
    async with await open_storage("memory://") as storage:
        assert isinstance(storage, MemoryStorage)


async def test_open_relative_sqlite_creates_parent_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with await open_storage("sqlite:///data/nested/bot.db") as storage:
        assert isinstance(storage, SqliteStorage)
        await storage.alerts.save_snapshot("s", "1")
    assert (tmp_path / "data" / "nested" / "bot.db").is_file()


async def test_open_absolute_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "abs.db"
    async with await open_storage(f"sqlite:///{path}") as storage:
        assert isinstance(storage, SqliteStorage)
        assert Path(storage.path) == path
    assert path.is_file()


async def test_open_rejects_bad_url_before_touching_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="expected"):
        await open_storage("sqlite://bot.db")
    assert not (tmp_path / "bot.db").exists()
