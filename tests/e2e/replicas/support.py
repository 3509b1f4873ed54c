"""Two ``python -m bot run`` replicas behind a round-robin proxy, on a PostgreSQL database and a Redis
key prefix of their own.

:class:`RoundRobinProxy` is the load balancer: each request goes to the next replica in turn
(1, 2, 1, 2 ...), or to the one a test pinned it to with :meth:`RoundRobinProxy.pin`; a replica
that refuses the connection is skipped, as a balancer does once its health check fails.
:class:`Cluster` starts the emulator's fakes around it: the fake Bot API delivers webhook updates
to the proxy, Slack's signed requests go to the proxy too.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
from aiohttp import web

from bot.coord.redis_conn import RedisCoord
from bot.sandbox import Sandbox
from tests.e2e.service.support import (
    SLACK_SIGNING,
    SLACK_TOKEN,
    Service,
    start_service,
    telegram_env,
)
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.telegram_api import SECRET_HEADER, FakeTelegram, Injected

WEBHOOK_PATH = "/telegram/webhook"
WEBHOOK_SECRET = "webhook-secret-for-the-replica-test"
_HOP_BY_HOP = frozenset(
    {"host", "connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "upgrade"}
)


@dataclass
class Routed:
    """One request the proxy forwarded: its path, the replica (0-based) and the answer's status."""

    path: str
    replica: int
    status: int


@dataclass
class RoundRobinProxy:
    """A small HTTP load balancer over the replicas' base URLs (see the module docstring)."""

    targets: list[str]
    routed: list[Routed] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    _next: int = 0
    _pinned: list[int] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _client: aiohttp.ClientSession | None = None
    url: str = ""

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1; returns the base URL."""
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = next(a[1] for a in self._runner.addresses if isinstance(a, tuple))
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    def pin(self, *replicas: int) -> None:
        """Send the next requests to these replicas (0-based), one each, before the rotation resumes."""
        self._pinned.extend(replicas)

    def replicas_of(self, path: str) -> list[int]:
        """The replicas requests to ``path`` went to, in order."""
        return [r.replica for r in self.routed if r.path == path]

    def _choose(self) -> int:
        if self._pinned:
            return self._pinned.pop(0)
        chosen = self._next % len(self.targets)
        self._next += 1
        return chosen

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._client is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        first = self._choose()
        for step in range(len(self.targets)):
            replica = (first + step) % len(self.targets)
            if not self.targets[replica]:
                self.skipped.append(replica)
                continue  # not started yet
            url = self.targets[replica] + request.path_qs
            try:
                async with self._client.request(request.method, url, headers=headers, data=body) as answer:
                    content = await answer.read()
                    kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
                    self.routed.append(Routed(request.path, replica, answer.status))
                    return web.Response(status=answer.status, body=content, headers=kept)
            except aiohttp.ClientConnectorError:
                self.skipped.append(replica)
                continue  # down: the next replica takes it, as after a failed health check
        self.routed.append(Routed(request.path, -1, 502))
        return web.Response(status=502, text="no replica answers")


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A new PostgreSQL database on ``server_url``'s server, dropped on exit; yields its URL."""
    name = f"replicas_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    parts = urlsplit(server_url)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def fresh_prefix(redis_url: str) -> AsyncIterator[str]:
    """A Redis key prefix nobody else uses; its keys are deleted on exit."""
    prefix = f"test-replicas-{secrets.token_hex(6)}:"
    try:
        yield prefix
    finally:
        cleaner = RedisCoord.from_url(redis_url, prefix)
        try:
            keys = [key async for key in cleaner.client.scan_iter(match=f"{prefix}*")]
            if keys:
                await cleaner.client.delete(*keys)
        finally:
            await cleaner.aclose()


@dataclass
class Cluster:
    """The running replicas, the proxy in front of them and the fakes they talk to."""

    sandbox: Sandbox
    telegram: FakeTelegram
    slack: FakeSlackApi
    proxy: RoundRobinProxy
    database_url: str
    env: dict[str, str]
    replicas: list[Service | None]

    async def start_replica(self, index: int, **extra: str) -> Service:
        """(Re)start replica ``index``, with ``extra`` settings on top; the proxy sends its share there.

        The replica binds a free port itself (a port picked beforehand could be taken meanwhile).
        """
        # Two processes importing aiogram at once on a busy machine can take half a minute.
        service = await start_service({**self.env, **extra}, within=90)
        self.replicas[index] = service
        self.proxy.targets[index] = service.base
        return service

    def replica(self, index: int) -> Service:
        """The running replica ``index``."""
        service = self.replicas[index]
        assert service is not None, f"replica {index} is not running"
        return service

    async def post_update(self, injected: Injected) -> int:
        """POST an update to the proxy as Telegram would (the same ``update_id`` again); the status."""
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.proxy.url + WEBHOOK_PATH, json=injected.payload, headers={SECRET_HEADER: WEBHOOK_SECRET}
            ) as answer,
        ):
            return answer.status

    async def database(self) -> asyncpg.Connection:
        """A connection to the replicas' database (close it)."""
        return await asyncpg.connect(self.database_url)

    def logs(self) -> str:
        """Every running replica's log, for assertion messages."""
        return "\n".join(s.stderr.decode()[-4000:] for s in self.replicas if s is not None)


@asynccontextmanager
async def cluster(
    emulator: tuple[Sandbox, str],
    postgres_url: str,
    redis_url: str,
    *,
    replica_env: tuple[dict[str, str], ...] = ({}, {}),
    **extra: str,
) -> AsyncIterator[Cluster]:
    """Two replicas (each with its ``replica_env`` on top of the shared settings) behind the proxy."""
    sandbox = emulator[0]
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(fresh_database(postgres_url))
        prefix = await stack.enter_async_context(fresh_prefix(redis_url))
        telegram = await stack.enter_async_context(FakeTelegram())
        slack = await stack.enter_async_context(FakeSlackApi(bot_token=SLACK_TOKEN))
        proxy = RoundRobinProxy(["" for _ in replica_env])  # each replica's URL once it listens
        await proxy.start()
        stack.push_async_callback(proxy.close)
        env = {
            **telegram_env(emulator, telegram),
            "TELEGRAM_WEBHOOK_URL": proxy.url + WEBHOOK_PATH,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SIGNING,
            "SLACK_API_BASE": slack.api_base,
            "SLACK_ADMIN_USERS": "UADMIN1",
            "SLACK_ALERT_CHANNEL": "CALERTS",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": prefix,
            "ALERT_INTERVAL": "3600",
            "ZADARMA_TIMEOUT": "2",
            "SETTLE_WINDOW": "6",
            "OUTCOME_GRACE": "1",
            "ORPHAN_AFTER": "5",
            **extra,
        }
        replicas: list[Service | None] = [None] * len(replica_env)
        running = Cluster(sandbox, telegram, slack, proxy, database_url, env, replicas)

        async def stop_all() -> None:
            for service in running.replicas:
                if service is not None:
                    await service.stop()

        stack.push_async_callback(stop_all)
        # Started together: the migrations run once, under the advisory lock, whoever comes first.
        started = await asyncio.gather(
            *(running.start_replica(i, **own) for i, own in enumerate(replica_env)), return_exceptions=True
        )
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        yield running
