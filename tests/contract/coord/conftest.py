"""A Redis coordinator under a key prefix of its own per test, its keys removed afterwards."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable

import pytest

from bot.coord.redis_conn import RedisCoord


@pytest.fixture
def prefix() -> str:
    return f"test-coord-{secrets.token_hex(6)}:"


@pytest.fixture
async def coords(redis_url: str, prefix: str) -> AsyncIterator[Callable[[], RedisCoord]]:
    """Makes coordinators with their own connections (as separate replicas would), one prefix."""
    made: list[RedisCoord] = []

    def make() -> RedisCoord:
        coord = RedisCoord.from_url(redis_url, prefix)
        made.append(coord)
        return coord

    yield make
    cleaner = RedisCoord.from_url(redis_url, prefix)
    try:
        keys = [key async for key in cleaner.client.scan_iter(match=f"{prefix}*")]
        if keys:
            await cleaner.client.delete(*keys)
    finally:
        await cleaner.aclose()
        for coord in made:
            await coord.aclose()


@pytest.fixture
def coord(coords: Callable[[], RedisCoord]) -> RedisCoord:
    return coords()
