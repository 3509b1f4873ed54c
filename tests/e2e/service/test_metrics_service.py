"""``GET /metrics`` of the real ``python -m bot run``: traffic through Telegram (fake Bot API), Slack
(signed HTTP requests) and the emulator on a socket, then the endpoint scraped over HTTP and parsed
with ``prometheus_client``'s own parser. Every count asserted is one the traffic must produce."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.sandbox import Sandbox
from tests.e2e.service.support import SLACK_SIGNING, SLACK_TOKEN, act, slack_signed, start_service
from tests.e2e.service.test_money_service import CHECKING, ORDERED, env_for, price_on, to_confirm, told
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.timeout(150)

TOKEN = "metrics-token-for-the-service-test-3b9e"
ORDER_PATH = "/v1/direct_numbers/order/"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(base: str, token: str = TOKEN) -> Samples:
    """Every sample of ``/metrics``, keyed by (sample name, labels)."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(base + "/metrics", headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when the series does not exist yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name`` over every series whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


async def test_an_order_and_slack_requests_show_in_metrics_behind_the_token(
    emulator: tuple[Sandbox, str], tmp_path: Path
) -> None:
    sandbox, url = emulator
    async with FakeTelegram() as telegram, FakeSlackApi(bot_token=SLACK_TOKEN) as slack:
        env = env_for(
            sandbox,
            url,
            telegram,
            tmp_path / "bot.db",
            METRICS_TOKEN=TOKEN,
            SLACK_BOT_TOKEN=SLACK_TOKEN,
            SLACK_SIGNING_SECRET=SLACK_SIGNING,
            SLACK_API_BASE=slack.api_base,
            SLACK_ADMIN_USERS="UADMIN1",
        )
        service = await start_service(env)
        try:
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
                    async with http.get(service.base + "/metrics", headers=headers) as response:
                        assert response.status == 401
                        assert "zadarma_bot" not in await response.text()

            ann = telegram.user()
            await to_confirm(telegram, ann)  # four updates
            price = price_on(telegram.menu(ann.chat_id).text)
            shown = await act(telegram, ann, lambda: telegram.press(ann, f"Confirm and pay ${price:.2f}"))
            assert not shown.startswith(CHECKING)  # the order went through at once

            body = urlencode(
                {
                    "command": "/numbers",
                    "text": "list",
                    "user_id": "UADMIN1",
                    "team_id": "T1",
                    "channel_id": "C1",
                    "trigger_id": "1.2.3",
                    "response_url": slack.response_url(),
                }
            )
            async with aiohttp.ClientSession() as http:
                for _ in range(2):  # the second delivery is a repeat of the first (same trigger)
                    async with http.post(
                        service.base + "/slack/events", data=body, headers=slack_signed(body)
                    ) as response:
                        assert response.status == 200
            # The list is answered after the ack, once its Zadarma call is done: scraping earlier
            # would catch that call holding a budget slot but not yet counted.
            await slack.wait_for("response_url")

            samples = await scrape(service.base)
        finally:
            code = await service.stop()
    assert code == 0, service.stderr.decode()[-3000:]

    updates = "zadarma_bot_updates_total"
    assert value(samples, updates, platform="telegram", outcome="handled") == 5
    assert total(samples, updates, platform="telegram") == 5
    assert value(samples, "zadarma_bot_update_handling_seconds_count", platform="telegram") == 5
    assert value(samples, updates, platform="slack", outcome="handled") == 1
    assert value(samples, updates, platform="slack", outcome="duplicate") == 1

    calls = "zadarma_bot_zadarma_api_calls_total"
    assert value(samples, calls, path=ORDER_PATH, status="200") == 1 == sandbox.call_count("order")
    assert value(samples, "zadarma_bot_zadarma_api_call_seconds_count", path=ORDER_PATH) == 1
    # The free numbers of a city are one series, whatever the city's id.
    available = [labels for (n, labels) in samples if n == calls and ("status", "200") in labels]
    paths = {dict(labels)["path"] for labels in available}
    assert "/v1/direct_numbers/available/{id}/" in paths
    assert all("{id}" in p or not any(ch.isdigit() for ch in p.split("/v1/")[1]) for p in paths)
    every_call = total(samples, calls)
    assert every_call == total(samples, "zadarma_bot_zadarma_api_call_seconds_count") >= 5
    # ZADARMA_RATE_LIMIT is 100 a minute and every attempt took one slot within the last minute.
    assert value(samples, "zadarma_bot_zadarma_api_budget_left") == 100 - every_call
    assert value(samples, "zadarma_bot_zadarma_api_rate_limited_total") == 0

    intents = "zadarma_bot_money_intents"
    assert value(samples, intents, state="succeeded") == 1
    assert total(samples, intents) == 1
    assert value(samples, "zadarma_bot_alert_outbox_depth") == 0
    assert value(samples, "zadarma_bot_alert_outbox_oldest_due_age_seconds") == 0


@pytest.mark.exact_emulator_only("a late order's replies are read in both modes by test_money_service")
async def test_a_late_order_counts_a_timeout_and_the_alert_that_told_the_outcome(
    emulator: tuple[Sandbox, str], tmp_path: Path
) -> None:
    sandbox, url = emulator
    async with FakeTelegram() as telegram:
        env = env_for(sandbox, url, telegram, tmp_path / "bot.db", METRICS_TOKEN=TOKEN)
        service = await start_service(env)
        try:
            ann = telegram.user()
            await to_confirm(telegram, ann)
            price = price_on(telegram.menu(ann.chat_id).text)
            sandbox.set_faults(latency_ms=2500, paths=[ORDER_PATH])
            shown = await act(telegram, ann, lambda: telegram.press(ann, f"Confirm and pay ${price:.2f}"))
            assert shown.startswith(CHECKING)
            during = await scrape(service.base)
            await told(telegram, ann, ORDERED)
            sandbox.clear_faults()
            after = await scrape(service.base)
        finally:
            await service.stop()

    calls = "zadarma_bot_zadarma_api_calls_total"
    # ZADARMA_TIMEOUT is 1 s: the order's one attempt timed out (a POST is never repeated).
    assert value(during, calls, path=ORDER_PATH, status="timeout") == 1
    assert value(during, calls, path=ORDER_PATH, status="200") == 0
    assert value(during, "zadarma_bot_money_intents", state="unknown") == 1
    assert value(after, calls, path=ORDER_PATH, status="timeout") == 1
    assert value(after, "zadarma_bot_money_intents", state="unknown") == 0
    assert value(after, "zadarma_bot_money_intents", state="succeeded") == 1
    # The settled outcome reached Ann through the alert outbox, once.
    assert value(after, "zadarma_bot_alert_deliveries_total", platform="telegram", result="sent") >= 1
    assert total(after, "zadarma_bot_alert_deliveries_total", result="failed") == 0
    assert value(after, "zadarma_bot_alert_outbox_depth") == 0
