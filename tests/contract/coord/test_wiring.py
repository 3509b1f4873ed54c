"""REDIS_URL wiring: the composition root shares locks, budget, dedup and leases through Redis when set.

Two cores opened with one Redis URL and prefix stand for two replicas of one bot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from aiohttp.test_utils import TestClient, TestServer

from bot.app import Core
from bot.coord.in_hand import intent_key
from bot.coord.redis_budget import RedisRateLimiter
from bot.coord.redis_locks import RedisLocks
from bot.coord.shared import open_shared
from bot.runtime import health_app
from bot.sandbox import Sandbox, SandboxConfig
from bot.storage import ConversationKey
from bot.zadarma.ratelimit import RateLimiter
from conversations.engine import lock_name
from conversations.events import Command
from tests.stack import open_stack


@asynccontextmanager
async def core_for(sandbox: Sandbox, **values: object) -> AsyncIterator[Core]:
    async with open_stack(sandbox, **values) as stack:
        yield stack.core


def now() -> datetime:
    return datetime.now(UTC)


async def test_without_redis_everything_stays_in_the_process() -> None:
    sandbox = Sandbox(SandboxConfig())
    async with core_for(sandbox) as core:
        assert not core.shared.redis
        assert isinstance(core.client.limiter, RateLimiter)
        assert await core.storage.dedup.seen_once("slack:Ev1", now(), 60) is True
        assert await core.storage.dedup.seen_once("slack:Ev1", now(), 60) is False
        assert (await core.shared.probe())["required"] is False
        await core.client.balance()


async def test_two_replicas_share_dedup_leases_budget_and_locks(redis_url: str, prefix: str) -> None:
    sandbox = Sandbox(SandboxConfig())
    values = {"redis_url": redis_url, "redis_prefix": prefix}
    try:
        async with core_for(sandbox, **values) as one, core_for(sandbox, **values) as two:
            assert isinstance(one.client.limiter, RedisRateLimiter)
            await one.client.balance()  # a real call through the shared budget

            assert await one.storage.dedup.seen_once("slack:Ev1", now(), 60) is True
            assert await two.storage.dedup.seen_once("slack:Ev1", now(), 60) is False
            assert await one.storage.leases.try_acquire_lease("scan", "one", 30, now()) is True
            assert await two.storage.leases.try_acquire_lease("scan", "two", 30, now()) is False

            one.client.limiter.block_until(time.time() + 1)
            assert isinstance(one.client.limiter, RedisRateLimiter)
            await one.client.limiter.flush()
            assert isinstance(two.client.limiter, RedisRateLimiter)
            assert await two.client.limiter.delay() > 0.5

            # The engine of one replica waits while the other holds the conversation.
            key = ConversationKey("telegram", "1", "1")
            assert isinstance(one.shared.conversation_locks, RedisLocks)
            async with one.shared.conversation_locks.hold(lock_name(key)):
                waiting = asyncio.create_task(two.engine.language_of(key))  # reads only: takes no lock
                assert await asyncio.wait_for(waiting, 1) == "en"
                handled = asyncio.create_task(two.engine.handle(key, Command("start")))
                await asyncio.sleep(0.2)
                assert not handled.done()
            async with asyncio.timeout(5):
                await handled
            probe = await one.shared.probe()
            assert probe["ok"] is True and probe["required"] is True

            # Each lists its work in hand in Redis; the other sees it.
            assert one.shared.roster is not None and two.shared.roster is not None
            with one.shared.in_hand.hold(intent_key("placing")):
                await one.shared.roster.publish()
                view = await two.shared.roster.view()
            assert view is not None and view.processes == 2
            assert intent_key("placing") in view.keys
        # Closed cleanly, a replica withdraws its list at once: what it left is anyone's to take over.
        async with core_for(sandbox, **values) as three:
            assert three.shared.roster is not None
            view = await three.shared.roster.view()
            assert view is not None and view.processes == 1
    finally:
        cleaner = open_shared(redis_url, prefix)
        async with cleaner as shared:
            assert shared.coord is not None
            keys = [key async for key in shared.coord.client.scan_iter(match=f"{prefix}*")]
            if keys:
                await shared.coord.client.delete(*keys)


async def test_an_unreachable_redis_fails_healthz() -> None:
    async with open_shared("redis://127.0.0.1:1/0", "test-coord-dead:") as shared:
        app = health_app([], {"redis": shared.probe})
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/healthz")
            body = await response.json()
    assert response.status == 503
    assert body["parts"]["redis"]["ok"] is False
    assert "127.0.0.1:1" not in str(body)
