"""Updates are counted in ``/metrics`` by outcome, and timed when handled."""

from __future__ import annotations

import time

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

import adapters.telegram.part as part_module
from bot.metrics import Metrics
from tests.e2e.telegram.telegram_helpers import PDF, TelegramHarness


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


async def test_an_update_cut_off_by_a_stop_is_counted_as_cancelled_and_not_timed(
    harness: TelegramHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(part_module, "DRAIN_TIMEOUT", 0.3)  # stopping cuts off what still runs
    began = time.perf_counter()
    metrics = harness.metrics = Metrics()
    await harness.start()
    fake = harness.fake
    ann = fake.user()
    await harness.say(ann, "/start")
    fake.hold_downloads()
    scan = fake.send_document(ann, PDF, "scan.pdf", "application/pdf")
    await fake.delivered(scan)
    await fake.wait_for(lambda: len(fake.downloads) == 1, what="the download to start")
    await harness.stop()
    fake.release_downloads()
    took = time.perf_counter() - began

    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families((await metrics.render()).decode())
        for s in family.samples
    }
    assert updates(samples, "handled") == 1
    assert updates(samples, "cancelled") == 1
    telegram = frozenset({("platform", "telegram")})
    assert samples[("zadarma_bot_update_handling_seconds_count", telegram)] == 1  # only the handled one
    assert 0 < samples[("zadarma_bot_update_handling_seconds_sum", telegram)] < took
