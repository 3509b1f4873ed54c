"""The limits each Zadarma attempt goes out with: the reply's ``timeout`` and a shorter connect limit.

The client gives httpx its timeouts per request, which replaces the HTTP client's own; what reaches the
transport is what bounds the attempt, so that is what is checked (for GETs, POSTs and uploads).
"""

from __future__ import annotations

import json

import httpx
import pytest

from bot.app import http_client
from bot.config import Settings
from bot.zadarma import RateLimiter, ZadarmaClient
from bot.zadarma.client import CONNECT_TIMEOUT


async def sent_limits(reply: float = 15.0, connect: float | None = None) -> list[dict[str, float]]:
    """The timeouts a GET, a POST and an upload went out with, through the production HTTP client."""
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        return httpx.Response(200, content=json.dumps({"status": "success", "balance": 1}).encode())

    settings = Settings(zadarma_api_url="http://127.0.0.1:1")
    async with http_client(settings, httpx.MockTransport(handler)) as http:
        client = ZadarmaClient(
            http,
            base_url="http://127.0.0.1:1",
            key="k",
            secret="s",
            limiter=RateLimiter(1000),
            timeout=reply,
            connect_timeout=connect,
        )
        await client.request("GET", "/v1/info/balance/")
        await client.request("POST", "/v1/direct_numbers/order/", {"direction_id": 1})
        upload = {"file": ("a.pdf", b"%PDF", "application/pdf")}
        await client.request("POST", "/v1/documents/upload/", {"group_id": 1}, files=upload)
    return seen


async def test_the_connect_limit_is_five_seconds_within_the_replys_fifteen() -> None:
    assert CONNECT_TIMEOUT == 5.0
    expected = {"connect": 5.0, "read": 15.0, "write": 15.0, "pool": 15.0}
    assert await sent_limits() == [expected] * 3


@pytest.mark.parametrize(("reply", "connect"), [(2.0, 2.0), (60.0, 5.0)])
async def test_the_connect_limit_is_the_shorter_of_five_seconds_and_the_timeout(
    reply: float, connect: float
) -> None:
    expected = {"connect": connect, "read": reply, "write": reply, "pool": reply}
    assert await sent_limits(reply) == [expected] * 3


async def test_a_connect_limit_given_is_kept_beside_a_short_reply_limit() -> None:
    expected = {"connect": 5.0, "read": 0.3, "write": 0.3, "pool": 0.3}
    assert await sent_limits(0.3, connect=5.0) == [expected] * 3
