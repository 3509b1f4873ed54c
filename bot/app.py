"""The composition root: the one place that builds concrete objects and hands them down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bot.config import Settings
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.ratelimit import RateLimiter


def http_client(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The pooled HTTP client the Zadarma client runs on."""
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(settings.zadarma_timeout, connect=min(5.0, settings.zadarma_timeout)),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        follow_redirects=False,
    )


@asynccontextmanager
async def zadarma_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[ZadarmaClient]:
    """A configured :class:`ZadarmaClient`, closing its HTTP client on exit."""
    async with http_client(settings, transport) as http:
        yield ZadarmaClient(
            http,
            base_url=settings.zadarma_api_url,
            key=settings.zadarma_key,
            secret=settings.zadarma_secret.get_secret_value(),
            limiter=RateLimiter(settings.zadarma_rate_limit),
            timeout=settings.zadarma_timeout,
        )
