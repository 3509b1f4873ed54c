"""REDIS_URL and REDIS_PREFIX: validated, and a password in the URL never shown."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings, load_settings

BASE = {"ZADARMA_KEY": "k", "ZADARMA_SECRET": "s3cret-value", "TELEGRAM_BOT_TOKEN": "123:abc"}


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in {**BASE, **env}.items():
        monkeypatch.setenv(name, value)
    return load_settings(for_run=True)


def test_without_redis_nothing_is_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch)
    assert s.redis_url.get_secret_value() == ""
    assert s.redis_prefix == "zadarma-bot:"


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "redis://:pw@redis",
        "rediss://user:pw@cache.example.com:6380/2",
        "unix:///r.sock",
    ],
)
def test_redis_urls_are_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    assert settings(monkeypatch, REDIS_URL=url).redis_url.get_secret_value() == url


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6379", "redis://", "redis://host:port", "redis://h/x", "127.0.0.1:6379"]
)
def test_a_bad_redis_url_is_one_line_without_the_url(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings(monkeypatch, REDIS_URL=url + "?pw=hunter2")
    assert len(info.value.problems) == 1
    assert "REDIS_URL" in info.value.problems[0].upper()
    assert "redis://[:password@]host" in info.value.problems[0]
    assert "hunter2" not in str(info.value)


def test_the_redis_password_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch, REDIS_URL="redis://:hunter2@cache:6379/0")
    assert "hunter2" in s.secret_values()
    assert "hunter2" not in repr(s)


@pytest.mark.parametrize("prefix", ["", "has space:", "x" * 65])
def test_a_bad_prefix_is_refused(monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings(monkeypatch, REDIS_PREFIX=prefix)
    assert "REDIS_PREFIX" in info.value.problems[0].upper()


def test_a_prefix_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings(monkeypatch, REDIS_PREFIX="bot-b:").redis_prefix == "bot-b:"


def test_the_replica_heartbeat_defaults_to_five_seconds_and_can_be_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert settings(monkeypatch).replica_heartbeat == 5.0
    assert settings(monkeypatch, REPLICA_HEARTBEAT="0.5").replica_heartbeat == 0.5


@pytest.mark.parametrize("value", ["0.05", "61", "soon", "0"])
def test_a_replica_heartbeat_out_of_range_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    with pytest.raises(ConfigError) as info:
        settings(monkeypatch, REPLICA_HEARTBEAT=value)
    assert len(info.value.problems) == 1
    assert "REPLICA_HEARTBEAT" in info.value.problems[0].upper()
