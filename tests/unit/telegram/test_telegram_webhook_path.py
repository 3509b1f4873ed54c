"""The path the webhook is served on, from the public URL given to Telegram."""

from __future__ import annotations

import pytest

from adapters.telegram.webhook import webhook_path


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://bot.example.com/telegram/hook", "/telegram/hook"),
        ("https://bot.example.com", "/"),
        ("https://bot.example.com/", "/"),
        ("https://bot.example.com:8443/t?x=1", "/t"),
    ],
)
def test_the_webhook_is_served_on_the_urls_path(url: str, path: str) -> None:
    assert webhook_path(url) == path
