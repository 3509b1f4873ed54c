"""A Zadarma reply, once read, is freed by reference counting: no cycle is left for the collector.

httpx binds a reply's stream to the reply, a reference cycle holding the
request, headers and URL with it, which only a garbage collection frees. The
client lets go of that stream once the reply is read. A real aiohttp server on
127.0.0.1 answers; the client is the one ``bot.app.http_client`` builds, over
each production transport. The collector is stopped while the calls run and
then made to keep what it finds unreachable (``gc.DEBUG_SAVEALL``).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import http_client
from bot.config import Settings
from bot.zadarma import RateLimiter, ZadarmaClient
from bot.zadarma.transport import TRANSPORT_NAMES, TransportName


@pytest.fixture
async def zadarma_server() -> AsyncIterator[str]:
    async def balance(_: web.Request) -> web.Response:
        return web.json_response({"status": "success", "balance": 10.5, "currency": "USD"})

    async def caller_name(_: web.Request) -> web.Response:
        return web.json_response({"status": "success", "number": "48221234567", "caller_name": "Acme"})

    app = web.Application()
    app.router.add_get("/v1/info/balance/", balance)
    app.router.add_put("/v1/direct_numbers/set_caller_name/", caller_name)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/")


async def unreachable_after(calls: Callable[[], Awaitable[object]]) -> list[object]:
    """What the collector finds unreachable among the objects ``calls`` leaves behind."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        await calls()
        gc.collect()
        return [o for o in gc.garbage if isinstance(o, httpx.Response | httpx.Request)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
async def test_replies_read_are_not_left_for_the_garbage_collector(
    zadarma_server: str, transport: TransportName
) -> None:
    async with http_client(Settings(zadarma_transport=transport)) as http:
        limiter = RateLimiter(10_000)
        client = ZadarmaClient(http, base_url=zadarma_server, key="k", secret="s", limiter=limiter)
        await client.balance()  # the connection is opened outside the count

        async def calls() -> None:
            for _ in range(5):
                assert (await client.balance()).currency == "USD"
                named = await client.set_caller_name("48221234567", "Acme", type="common")
                assert named.caller_name == "Acme"

        assert await unreachable_after(calls) == []


async def test_the_check_can_tell_plain_httpx_replies_are_left_in_a_cycle(zadarma_server: str) -> None:
    async with httpx.AsyncClient() as http:
        await http.get(f"{zadarma_server}/v1/info/balance/")

        async def calls() -> None:
            for _ in range(5):
                (await http.get(f"{zadarma_server}/v1/info/balance/")).raise_for_status()

        assert len([o for o in await unreachable_after(calls) if isinstance(o, httpx.Response)]) == 5
