"""What the real client tells :class:`bot.metrics.Metrics` about its calls to the emulator, read back
the way Prometheus reads it: ``GET /metrics`` on a real aiohttp server, parsed by ``prometheus_client``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import CONTENT_TYPE, Metrics, path_template
from bot.runtime import install_metrics
from bot.sandbox import Sandbox, SandboxConfig
from bot.zadarma import RateLimiter, ZadarmaClient, ZadarmaTransportError

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def served() -> AsyncIterator[tuple[Metrics, str]]:
    """A fresh :class:`Metrics` behind an open ``/metrics`` on 127.0.0.1; yields it and the base URL."""
    metrics = Metrics()
    app = web.Application()
    install_metrics(app, metrics.render, CONTENT_TYPE)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    yield metrics, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def scrape(base: str) -> Samples:
    async with aiohttp.ClientSession() as http, http.get(base + "/metrics") as response:
        assert response.status == 200  # no token configured: open
        text = await response.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def calls(samples: Samples, path: str, status: str) -> float:
    key = ("zadarma_bot_zadarma_api_calls_total", frozenset({("path", path), ("status", status)}))
    return samples.get(key, 0.0)


def client_for(sandbox: Sandbox, http: httpx.AsyncClient, metrics: Metrics, **kwargs: Any) -> ZadarmaClient:
    return ZadarmaClient(
        http,
        base_url="http://sandbox.local",
        key=sandbox.key,
        secret=sandbox.secret,
        backoff=0.01,
        observer=metrics,
        **kwargs,
    )


async def test_a_429_is_counted_and_so_is_the_retry_that_follows(served: tuple[Metrics, str]) -> None:
    metrics, base = served
    sandbox = Sandbox(SandboxConfig(rate_limit=3, rate_window_seconds=1.0))
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        # Another process spends the account's budget; this client has not heard of it yet.
        other = ZadarmaClient(http, base_url="http://sandbox.local", key=sandbox.key, secret=sandbox.secret)
        for _ in range(3):
            await other.balance()
        client = client_for(sandbox, http, metrics, limiter=RateLimiter(10_000))
        await client.balance()
    samples = await scrape(base)
    assert samples[("zadarma_bot_zadarma_api_rate_limited_total", frozenset())] == 1
    assert calls(samples, "/v1/info/balance/", "429") == 1
    assert calls(samples, "/v1/info/balance/", "200") == 1
    attempts = samples[
        ("zadarma_bot_zadarma_api_call_seconds_count", frozenset({("path", "/v1/info/balance/")}))
    ]
    assert attempts == 2
    assert sandbox.call_count("balance") == 5


async def test_dropped_connections_and_server_errors_are_counted_per_attempt(
    served: tuple[Metrics, str],
) -> None:
    metrics, base = served
    sandbox = Sandbox()
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        client = client_for(sandbox, http, metrics, max_retries=2)
        sandbox.set_faults(drop_rate=1.0)
        with pytest.raises(ZadarmaTransportError):
            await client.balance()
        sandbox.set_faults(error_rate=1.0)
        with pytest.raises(Exception):  # noqa: B017 - the status is what is checked, below
            await client.sip_logins()
        sandbox.clear_faults()
        city = (await client.directions("PL"))[0]
        await client.available_numbers(city.id)
    samples = await scrape(base)
    assert calls(samples, "/v1/info/balance/", "error") == 3  # one attempt and two retries
    server_errors = {
        dict(labels)["status"]
        for (name, labels), v in samples.items()
        if name == "zadarma_bot_zadarma_api_calls_total" and ("path", "/v1/sip/") in labels and v
    }
    assert server_errors and all(s.startswith("5") for s in server_errors)
    assert sum(calls(samples, "/v1/sip/", s) for s in server_errors) == 3
    assert calls(samples, "/v1/direct_numbers/available/{id}/", "200") == 1


def test_path_templates_keep_ids_out_of_labels() -> None:
    assert path_template("/v1/direct_numbers/order/") == "/v1/direct_numbers/order/"
    assert path_template("/v1/direct_numbers/available/ru495/") == "/v1/direct_numbers/available/{id}/"
    assert path_template("/v1/documents/groups/get/123/") == "/v1/documents/groups/get/{id}/"
    assert path_template("/v1/documents/groups/update/9/") == "/v1/documents/groups/update/{id}/"
    assert path_template("/v1/documents/groups/valid/9/") == "/v1/documents/groups/valid/{id}/"
    assert path_template("/v1/documents/groups/list/") == "/v1/documents/groups/list/"
    assert path_template("/v1/direct_numbers/48221234567/") == "other"
    assert path_template("/v1/x/?a=1") == "other"


async def test_every_label_set_keeps_its_own_count_in_each_registry(served: tuple[Metrics, str]) -> None:
    """Repeated observations add up in their own series; another Metrics (registry) is not touched."""
    metrics, base = served
    other = Metrics()
    for platform, outcome in [("telegram", "ok"), ("telegram", "ok"), ("slack", "ok"), ("telegram", "error")]:
        metrics.update(platform, outcome, 0.01)
    metrics.api_call("/v1/direct_numbers/", "200", 0.1)
    metrics.api_call("/v1/direct_numbers/", "200", 0.1)
    metrics.api_call("/v1/direct_numbers/", "500", 0.1)
    other.update("telegram", "ok", 0.01)

    samples = await scrape(base)
    updates = "zadarma_bot_updates_total"
    assert samples[(updates, frozenset({("platform", "telegram"), ("outcome", "ok")}))] == 2
    assert samples[(updates, frozenset({("platform", "slack"), ("outcome", "ok")}))] == 1
    assert samples[(updates, frozenset({("platform", "telegram"), ("outcome", "error")}))] == 1
    assert calls(samples, "/v1/direct_numbers/", "200") == 2
    assert calls(samples, "/v1/direct_numbers/", "500") == 1
    seconds = ("zadarma_bot_update_handling_seconds_count", frozenset({("platform", "telegram")}))
    assert samples[seconds] == 3
