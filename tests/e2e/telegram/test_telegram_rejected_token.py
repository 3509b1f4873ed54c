"""A token Telegram rejects (401): one clear error line, no retries, and the part reported down."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from tests.e2e.telegram.telegram_helpers import TelegramHarness

METHODS = ("deleteWebhook", "setWebhook", "setMyCommands", "getMe", "getUpdates")


def _reject_everything(h: TelegramHarness) -> None:
    for method in METHODS:
        h.fake.fail_next(method, status=401, description="Unauthorized", times=1000)


async def test_polling_with_a_rejected_token_stops_with_one_line(
    harness: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _reject_everything(harness)
    await harness.start()

    health = harness.part.health()
    assert health["ok"] is False
    assert "401" in health["error"] and "TELEGRAM_BOT_TOKEN" in health["error"]
    assert health["retrying"] == []
    assert harness.fake.count("setMyCommands") == 0
    assert harness.fake.count("getUpdates") == 0
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): not retrying; "
        "set the token @BotFather gave and restart"
    ]
    assert not any(r.exc_info for r in caplog.records)
    assert harness.fake.token not in caplog.text


async def test_webhook_with_a_rejected_token_makes_healthz_503_with_the_reason(
    harness: TelegramHarness,
) -> None:
    _reject_everything(harness)
    await harness.start(webhook=True)
    async with aiohttp.ClientSession() as http, http.get(harness.web_url + "/healthz") as response:
        report = await response.json()
    assert response.status == 503
    assert report["ok"] is False
    assert "401" in report["parts"]["telegram"]["error"]
    assert harness.fake.count("setWebhook") == 1
    assert harness.part.health()["retrying"] == []
