"""A real ZadarmaClient against the emulator, in-process and over a socket on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from aiohttp import web

from bot.app import ZADARMA_LIMITS
from bot.sandbox import Sandbox, SandboxConfig
from bot.zadarma import RateLimiter, ZadarmaClient
from bot.zadarma.transport import TRANSPORT_NAMES, make_transport


@dataclass
class Peer:
    sandbox: Sandbox
    client: ZadarmaClient
    base_url: str


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture(params=["in-process", *(f"socket-{name}" for name in TRANSPORT_NAMES)])
async def peer(request: pytest.FixtureRequest) -> AsyncIterator[Peer]:
    """The client against the emulator: in-process, or over 127.0.0.1 through each production transport."""
    sandbox = Sandbox(SandboxConfig(rate_limit=10_000))
    if request.param == "in-process":
        async with httpx.AsyncClient(transport=sandbox.transport()) as http:
            base = "http://sandbox.local"
            yield Peer(
                sandbox, ZadarmaClient(http, base_url=base, key=sandbox.key, secret=sandbox.secret), base
            )
        return
    runner = web.AppRunner(sandbox.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    base = f"http://127.0.0.1:{port}"
    try:
        transport = make_transport(request.param.removeprefix("socket-"), ZADARMA_LIMITS)
        async with httpx.AsyncClient(transport=transport, limits=ZADARMA_LIMITS) as http:
            client = ZadarmaClient(
                http, base_url=base, key=sandbox.key, secret=sandbox.secret, limiter=RateLimiter(10_000)
            )
            yield Peer(sandbox, client, base)
    finally:
        await runner.cleanup()
