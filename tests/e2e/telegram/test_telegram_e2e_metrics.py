"""The real Dispatcher behind a webhook reports its updates to ``/metrics`` on the same web server."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics
from tests.e2e.telegram.telegram_helpers import TelegramHarness


async def scrape(base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with aiohttp.ClientSession() as http, http.get(base + "/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def updates(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], outcome: str) -> float:
    return samples.get(
        ("zadarma_bot_updates_total", frozenset({("platform", "telegram"), ("outcome", outcome)})), 0.0
    )


async def test_handled_and_redelivered_updates_are_counted_apart(harness: TelegramHarness) -> None:
    harness.metrics = Metrics()
    await harness.start(webhook=True)
    fake = harness.fake
    ann = fake.user()
    first = fake.send_text(ann, "/start")
    await harness.settle(first)
    await harness.say(ann, "/order")
    await harness.settle(fake.redeliver(first))

    samples = await scrape(harness.web_url)
    assert updates(samples, "handled") == 2
    assert updates(samples, "duplicate") == 1
    timed = ("zadarma_bot_update_handling_seconds_count", frozenset({("platform", "telegram")}))
    assert samples[timed] == 2  # duplicates are counted, not timed
    # /order showed the countries: the client asked the emulator for them
    countries = frozenset({("path", "/v1/direct_numbers/countries/"), ("status", "200")})
    assert samples[("zadarma_bot_zadarma_api_calls_total", countries)] >= 1
