"""Settings: read from the environment once, validated with one clear message per problem."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings, load_settings

BASE = {"ZADARMA_KEY": "k", "ZADARMA_SECRET": "s3cret-value", "TELEGRAM_BOT_TOKEN": "123:abc"}


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch, **BASE)
    assert s.zadarma_api_url == "https://api.zadarma.com"
    assert s.database_url == "sqlite:///zadarma-bot.db"
    assert s.alert_lead_days == (14, 7, 3, 1)
    assert (s.http_host, s.http_port, s.alert_interval) == ("0.0.0.0", 8080, 900.0)
    assert s.run_problems() == []
    assert "s3cret-value" not in repr(s)


def test_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(
        monkeypatch, **BASE, TELEGRAM_ADMIN_IDS="1, 2,,3", SLACK_ADMIN_USERS="U1", ALERT_DAYS="1,30,7"
    )
    assert s.telegram_admins == frozenset({"1", "2", "3"})
    assert s.slack_admins == frozenset({"U1"})
    assert s.alert_lead_days == (30, 7, 1)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"HTTP_PORT": "eighty"}, ["HTTP_PORT"]),
        ({"ALERT_DAYS": "7,x"}, ["ALERT_DAYS"]),
        ({"LOG_FORMAT": "xml", "ZADARMA_RATE_LIMIT": "0"}, ["LOG_FORMAT", "ZADARMA_RATE_LIMIT"]),
    ],
)
def test_invalid_values_are_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], names: list[str]
) -> None:
    with pytest.raises(ConfigError) as info:
        settings(monkeypatch, **BASE, **env)
    lines = str(info.value).splitlines()
    assert sorted(line.split(":")[0] for line in lines) == sorted(names)


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"ZADARMA_KEY": ""}, "ZADARMA_KEY is not set"),
        ({"TELEGRAM_BOT_TOKEN": ""}, "nothing to run"),
        ({"TELEGRAM_WEBHOOK_URL": "http://example.com/hook"}, "https://"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_ADMIN_USERS": "U1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "x"}, "SLACK_ADMIN_USERS"),
        ({"SLACK_ALERT_CHANNEL": "C1"}, "SLACK_ALERT_CHANNEL"),
    ],
)
def test_run_problems(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], problem: str) -> None:
    s = settings(monkeypatch, **{**BASE, **env})
    assert any(problem in line for line in s.run_problems())


def test_socket_mode_needs_no_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(
        monkeypatch, **BASE, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1", SLACK_ADMIN_USERS="U1"
    )
    assert s.run_problems() == []
    assert set(s.secret_values()) == {"s3cret-value", "123:abc", "xoxb-1", "xapp-1"}


def test_state_encryption_keys_are_read_masked_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.storage.sealing import key_id, new_key_text, parse_key

    new, old1, old2 = new_key_text(), new_key_text(), new_key_text()
    s = settings(monkeypatch, **BASE, STATE_ENCRYPTION_KEY=new, STATE_ENCRYPTION_OLD_KEYS=f"{old1}, {old2}")
    keys = s.state_keys
    assert keys is not None
    assert keys.current == parse_key(new) and keys.old == (parse_key(old1), parse_key(old2))
    assert {new, old1, old2} <= set(s.secret_values())
    for text in (new, old1, old2):
        assert text not in repr(s) and text not in repr(keys)
    assert key_id(keys.current) in repr(keys)
    assert settings(monkeypatch, **BASE).state_keys is None  # the store makes its own key file


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"STATE_ENCRYPTION_KEY": "hunter2"},
            "STATE_ENCRYPTION_KEY: must be 32 random bytes in URL-safe base64 (44 characters)",
        ),
        (
            {"STATE_ENCRYPTION_OLD_KEYS": "hunter2"},
            "STATE_ENCRYPTION_OLD_KEYS: each comma-separated key must be 32 random bytes in URL-safe "
            "base64 (44 characters)",
        ),
    ],
)
def test_a_malformed_state_key_is_one_line_without_the_value(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    with pytest.raises(ConfigError) as info:
        settings(monkeypatch, **BASE, **env)
    assert info.value.problems == [line]
    assert "hunter2" not in str(info.value)


def test_old_keys_without_a_new_key_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.storage.sealing import new_key_text

    s = settings(monkeypatch, **BASE, STATE_ENCRYPTION_OLD_KEYS=new_key_text())
    assert any(
        p.startswith("STATE_ENCRYPTION_OLD_KEYS is set but STATE_ENCRYPTION_KEY is not")
        for p in s.run_problems()
    )


def test_the_database_password_is_a_secret_to_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch, **BASE, DATABASE_URL="postgresql://bot:pg-pass-word@db:5432/bot")
    assert "pg-pass-word" in s.secret_values()
    assert "pg-pass-word" not in settings(monkeypatch, **BASE).secret_values()


def test_the_mini_app_needs_a_public_https_url_and_its_init_data_ages_within_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s = settings(monkeypatch, **BASE)
    assert (s.telegram_webapp_url, s.telegram_webapp_max_age) == ("", 3600.0)  # off: the chat as before
    s = settings(
        monkeypatch,
        **BASE,
        TELEGRAM_WEBAPP_URL="https://bot.example.com/webapp/",
        TELEGRAM_WEBAPP_MAX_AGE="600",
    )
    assert (s.telegram_webapp_url, s.telegram_webapp_max_age) == ("https://bot.example.com/webapp/", 600.0)
    for url in ("http://bot.example.com/webapp/", "bot.example.com/webapp/", "https:///webapp/"):
        with pytest.raises(ConfigError) as error:
            settings(monkeypatch, **BASE, TELEGRAM_WEBAPP_URL=url)
        assert any("TELEGRAM_WEBAPP_URL" in p and "https" in p for p in error.value.problems)
    with pytest.raises(ConfigError) as error:
        settings(monkeypatch, **BASE, TELEGRAM_WEBAPP_MAX_AGE="10")
    assert any("TELEGRAM_WEBAPP_MAX_AGE" in p for p in error.value.problems)
    slack_only = {k: v for k, v in BASE.items() if k != "TELEGRAM_BOT_TOKEN"}
    s = settings(
        monkeypatch,
        **slack_only,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_APP_TOKEN="xapp-1",
        SLACK_ADMIN_USERS="U1",
        TELEGRAM_WEBAPP_URL="https://bot.example.com/webapp/",
    )
    assert "TELEGRAM_WEBAPP_URL is set but TELEGRAM_BOT_TOKEN is not" in s.run_problems()
