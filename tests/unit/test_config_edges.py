"""Configuration that explains itself: every problem in one list, in plain words; databases checked first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, database_problem, demo_database_url, load_settings

BASE = {"ZADARMA_KEY": "k", "ZADARMA_SECRET": "s3cret-value", "TELEGRAM_BOT_TOKEN": "123:abc"}


def _env(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def _problems(monkeypatch: pytest.MonkeyPatch, for_run: bool = True, /, **env: str) -> list[str]:
    _env(monkeypatch, **env)
    with pytest.raises(ConfigError) as info:
        load_settings(for_run=for_run)
    return info.value.problems


def test_every_problem_is_in_one_list_in_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    problems = _problems(
        monkeypatch,
        ZADARMA_KEY="k",
        SLACK_BOT_TOKEN="xoxb-1",
        DATABASE_URL="mysql://user:pw@db.example.com/bot",
        TELEGRAM_ADMIN_IDS="abc",
        HTTP_PORT="eighty",
        LOG_FORMAT="xml",
        ZADARMA_RATE_LIMIT="0",
    )
    assert problems == [
        "ZADARMA_RATE_LIMIT: must be at least 1",
        "DATABASE_URL: must be sqlite:///relative/path.db, sqlite:////absolute/path.db, "
        "postgresql://user:password@host:5432/database or memory://",
        "TELEGRAM_ADMIN_IDS: must be Telegram user ids (numbers), comma-separated, e.g. 1234,5678; not 'abc'",
        "HTTP_PORT: must be a whole number",
        "LOG_FORMAT: must be one of: text or json",
        "ZADARMA_SECRET is not set",
        "SLACK_SIGNING_SECRET is needed for Slack over HTTP (or set SLACK_APP_TOKEN)",
        "SLACK_ADMIN_USERS is empty: nobody could use the Slack commands",
    ]
    text = "\n".join(problems)
    assert "pw" not in text  # the database URL's password is never repeated
    assert "Value error" not in text and "Input should be" not in text


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"SLACK_ADMIN_USERS": "alice"}, "SLACK_ADMIN_USERS: must be Slack user ids"),
        ({"ALERT_DIGEST_HOUR": "24"}, "ALERT_DIGEST_HOUR: must be at most 23"),
        ({"ZADARMA_TIMEOUT": "0"}, "ZADARMA_TIMEOUT: must be more than 0"),
        ({"ZADARMA_TIMEOUT": "soon"}, "ZADARMA_TIMEOUT: must be a number"),
        ({"TELEGRAM_WEBHOOK_URL": "bot.example.com/hook"}, "TELEGRAM_WEBHOOK_URL: must be the public URL"),
    ],
)
def test_single_values_in_plain_words(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    problems = _problems(monkeypatch, False, **BASE, **env)
    assert len(problems) == 1 and problems[0].startswith(line), problems


def test_good_admin_ids_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, **BASE, TELEGRAM_ADMIN_IDS="12345, 678", SLACK_ADMIN_USERS="U012AB3CD,W1XY")
    assert load_settings(for_run=True).telegram_admins == frozenset({"12345", "678"})


def test_an_http_webhook_is_allowed_with_a_self_hosted_bot_api_only(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = {"TELEGRAM_WEBHOOK_URL": "http://bot.internal:8080/tg"}
    _env(monkeypatch, **BASE, **hook, TELEGRAM_API_BASE="http://telegram-bot-api:8081")
    assert load_settings(for_run=True).telegram_webhook_url == hook["TELEGRAM_WEBHOOK_URL"]
    [problem] = _problems(monkeypatch, **BASE, **hook)
    assert problem.startswith("TELEGRAM_WEBHOOK_URL must be an https:// URL")
    [problem] = _problems(monkeypatch, **BASE, **hook, TELEGRAM_API_BASE="https://API.telegram.org/")
    assert "https://" in problem


def test_a_database_that_cannot_be_used_is_one_plain_line(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    database = tmp_path / "real.db"
    sqlite3.connect(database).execute("create table t (x)").connection.close()
    empty = tmp_path / "empty.db"
    empty.touch()
    assert "is a folder" in (database_problem(f"sqlite:///{tmp_path}") or "")
    assert "is not an SQLite database" in (database_problem(f"sqlite:///{text_file}") or "")
    assert "is not a folder" in (database_problem(f"sqlite:///{text_file}/bot.db") or "")
    assert database_problem(f"sqlite:///{database}") is None
    assert database_problem(f"sqlite:///{empty}") is None  # SQLite makes an empty file a database
    assert database_problem(f"sqlite:///{tmp_path}/new/deeper/bot.db") is None
    assert database_problem("memory://") is None


def test_a_postgresql_url_is_accepted_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("postgresql://bot:pw@db.example.com:5432/bot", "postgres://bot@db/bot?pool_size=8"):
        _env(monkeypatch, **BASE, DATABASE_URL=url)
        assert load_settings(for_run=True).database_url == url
        assert database_problem(url) is None  # nothing to check on disk: the server is asked at start


def test_demo_db_is_a_path_or_a_url() -> None:
    assert demo_database_url(None) == "memory://"
    assert demo_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert demo_database_url("x.db") == "sqlite:///x.db"
    assert demo_database_url("/var/lib/bot.db") == "sqlite:////var/lib/bot.db"


def test_run_problems_name_a_database_that_cannot_be_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    [problem] = _problems(monkeypatch, **BASE, DATABASE_URL=f"sqlite:///{folder}")
    assert problem == f"DATABASE_URL: {folder} is a folder, not a database file"
