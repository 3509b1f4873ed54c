"""Signatures, the rate limit and injected faults, client against emulator."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from bot.app import ZADARMA_LIMITS
from bot.sandbox import Faults, Sandbox, SandboxConfig
from bot.zadarma import (
    Priority,
    RateLimiter,
    ZadarmaAPIError,
    ZadarmaAuthError,
    ZadarmaClient,
    ZadarmaMalformedResponse,
    ZadarmaTransportError,
)
from bot.zadarma.transport import TRANSPORT_NAMES, TransportName, make_transport


def client_for(sandbox: Sandbox, http: httpx.AsyncClient, **kwargs: Any) -> ZadarmaClient:
    return ZadarmaClient(
        http,
        base_url="http://sandbox.local",
        key=str(kwargs.pop("key", sandbox.key)),
        secret=str(kwargs.pop("secret", sandbox.secret)),
        backoff=0.01,
        **kwargs,
    )


async def test_wrong_secret_is_refused_with_401() -> None:
    sandbox = Sandbox()
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        client = client_for(sandbox, http, secret="not-the-secret")
        with pytest.raises(ZadarmaAuthError) as info:
            await client.balance()
    assert info.value.status_code == 401
    assert "not-the-secret" not in str(info.value)


async def test_unknown_key_is_refused() -> None:
    sandbox = Sandbox()
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        with pytest.raises(ZadarmaAuthError):
            await client_for(sandbox, http, key="someone-else").balance()


async def test_over_the_limit_the_client_waits_and_succeeds() -> None:
    sandbox = Sandbox(SandboxConfig(rate_limit=3, rate_window_seconds=1.0))
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        # A client that believes the budget is large: only the server's 429 slows it down.
        client = client_for(sandbox, http, limiter=RateLimiter(10_000))
        started = time.monotonic()
        for _ in range(5):
            await client.balance()
        elapsed = time.monotonic() - started
    assert sandbox.call_count("balance") >= 5
    assert elapsed >= 0.5  # it had to wait for the window to reset


async def test_client_side_limiter_keeps_under_the_budget() -> None:
    sandbox = Sandbox(SandboxConfig(rate_limit=3, rate_window_seconds=60.0))
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        limiter = RateLimiter(3)
        client = client_for(sandbox, http, limiter=limiter)
        for _ in range(2):
            await client.balance()
        # Reads may use 2 of the 3; the last is kept for finishing work already started.
        assert limiter.delay(Priority.NORMAL) > 50
        assert limiter.delay(Priority.FINISH) == 0
        assert limiter.state.remaining == 1


async def test_5xx_on_get_is_retried_then_reported() -> None:
    sandbox = Sandbox()
    sandbox.set_faults(error_rate=1.0)
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        client = client_for(sandbox, http, limiter=RateLimiter(10_000))
        with pytest.raises(ZadarmaAPIError) as info:
            await client.balance()
    assert info.value.status_code >= 500
    assert sandbox.call_count("balance") == 4  # 1 + 3 retries


async def test_malformed_reply_is_typed() -> None:
    sandbox = Sandbox()
    sandbox.set_faults(malformed_rate=1.0)
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        client = client_for(sandbox, http, max_retries=0)
        with pytest.raises(ZadarmaMalformedResponse):
            await client.balance()


@pytest.mark.parametrize("fault", ["drop_rate", "malformed_rate", "error_rate"])
async def test_orders_are_never_repeated(fault: str) -> None:
    sandbox = Sandbox()
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        client = client_for(sandbox, http)
        directions = [d for d in await client.directions("US") if not d.needs_documents]
        free = await client.available_numbers(directions[0].id)
        sandbox.set_faults(Faults.from_json({fault: 1.0, "paths": ["/v1/direct_numbers/order/"]}))
        with pytest.raises((ZadarmaTransportError, ZadarmaMalformedResponse, ZadarmaAPIError)) as info:
            await client.order_number(
                direction_id=directions[0].id, documents_group_id=0, number_id=free[0].id
            )
    assert sandbox.call_count("order") == 1
    assert info.value.outcome_unknown is (fault != "error_rate")


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
async def test_dropped_connection_over_a_real_socket(transport: TransportName) -> None:
    from aiohttp import web

    sandbox = Sandbox()
    runner = web.AppRunner(sandbox.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        async with httpx.AsyncClient(transport=make_transport(transport, ZADARMA_LIMITS)) as http:
            client = ZadarmaClient(
                http, base_url=f"http://127.0.0.1:{port}", key=sandbox.key, secret=sandbox.secret
            )
            direction = next(d for d in await client.directions("US") if not d.needs_documents)
            free = await client.available_numbers(direction.id)
            sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
            with pytest.raises(ZadarmaTransportError) as info:
                await client.order_number(
                    direction_id=direction.id, documents_group_id=0, number_id=free[0].id
                )
            assert info.value.outcome_unknown
            sandbox.clear_faults()
            numbers = {n.number for n in await client.direct_numbers()}
    finally:
        await runner.cleanup()
    assert free[0].number in numbers  # the order happened although the reply was lost
    assert sandbox.call_count("order") == 1
