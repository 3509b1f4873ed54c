"""The composition root: the one place that builds concrete objects and hands them down."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from conversations.engine import ConversationEngine

from bot.config import Settings
from bot.services import Services
from bot.storage import ConversationKey, Storage, UserRef, open_storage
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


@dataclass(frozen=True)
class Core:
    """What every part of the bot shares: settings, store, client, services, conversations."""

    settings: Settings
    storage: Storage
    client: ZadarmaClient
    services: Services
    engine: ConversationEngine


def operators_of(settings: Settings) -> frozenset[UserRef]:
    """Every configured operator, on every platform."""
    return frozenset(UserRef("telegram", i) for i in settings.telegram_admins) | frozenset(
        UserRef("slack", i) for i in settings.slack_admins
    )


@asynccontextmanager
async def open_core(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[Core]:
    """Build the shared core; closes the store and the HTTP client on exit."""
    from conversations.engine import ConversationEngine

    storage = await open_storage(settings.database_url)
    try:
        async with zadarma_client(settings, transport) as client:
            services = Services.build(client, storage)
            engine = ConversationEngine(
                services, operators=operators_of(settings), default_language=settings.default_language
            )
            yield Core(settings, storage, client, services, engine)
    finally:
        await storage.close()


# -- the demo ------------------------------------------------------------------------


def run_demo(*, lang: str | None, db: str | None) -> int:
    """``python -m bot demo``: the conversations in this terminal against the emulator."""
    return asyncio.run(_demo(lang, db))


async def _demo(lang: str | None, db: str | None) -> int:
    from adapters.console.session import ConsoleSession
    from bot.sandbox import Sandbox

    external = os.environ.get("ZADARMA_API_URL")
    values: dict[str, object] = {"database_url": f"sqlite:///{db}" if db else "memory://"}
    transport: httpx.AsyncBaseTransport | None = None
    if external:
        values["zadarma_api_url"] = external
    else:
        sandbox = Sandbox()
        transport = sandbox.transport()
        values.update(
            zadarma_api_url="http://sandbox.invalid", zadarma_key=sandbox.key, zadarma_secret=sandbox.secret
        )
    settings = Settings.model_validate(values)
    if external and settings.missing_zadarma():
        print(f"configuration error: {', '.join(settings.missing_zadarma())} not set", file=sys.stderr)
        return 2
    async with open_core(settings, transport) as core:
        key = ConversationKey("console", "demo", "demo-user")
        resume = db is not None and await core.storage.conversations.get(key) is not None
        if lang:
            await core.storage.users.upsert(key.user, chat_id=key.chat_id)
            await core.storage.users.set_language(key.user, lang)
        session = ConsoleSession(core.engine, key, stdin=sys.stdin, stdout=sys.stdout, locale=lang)
        return await session.run(resume=resume)


# -- the service -----------------------------------------------------------------------


def run(settings: Settings) -> int:
    """``python -m bot run``: every configured part until SIGTERM/SIGINT."""
    return asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> int:
    from bot.runtime import Part, Runner, health_app

    missing = settings.missing_zadarma()
    if missing:
        print(f"configuration error: {', '.join(missing)} not set", file=sys.stderr)
        return 2
    async with open_core(settings) as core:
        await core.services.ordering.reconcile_pending()
        parts: list[Part] = []

        async def database() -> dict[str, object]:
            await core.storage.conversations.count()
            return {"ok": True}

        async def zadarma() -> dict[str, object]:
            return {"ok": core.client.last_call_ok is not False, "required": False}

        app = health_app(parts, {"database": database, "zadarma": zadarma})
        runner = Runner(app, parts, settings.http_host, settings.http_port)
        await runner.start()
        try:
            await runner.serve_forever()
        finally:
            await runner.stop()
    return 0
