"""The composition root: the one place that builds concrete objects and hands them down."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import httpx

from bot.runtime import Part, Runner, health_app

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


def run_demo(*, lang: str | None, db: str | None, realistic: bool = False) -> int:
    """``python -m bot demo``: the conversations in this terminal against the emulator.

    ``realistic`` makes the built-in emulator vary its replies (``bot.sandbox.realistic``).
    """
    return asyncio.run(_demo(lang, db, realistic))


async def _demo(lang: str | None, db: str | None, realistic: bool = False) -> int:
    from adapters.console.session import ConsoleSession
    from bot.sandbox import Sandbox, SandboxConfig

    external = os.environ.get("ZADARMA_API_URL")
    values: dict[str, object] = {"database_url": f"sqlite:///{db}" if db else "memory://"}
    transport: httpx.AsyncBaseTransport | None = None
    if external:
        values["zadarma_api_url"] = external
    else:
        sandbox = Sandbox(SandboxConfig(realistic=realistic))
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
    from bot.logs import configure_logging

    problems = settings.run_problems()
    if problems:
        for problem in problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format, settings.log_level, settings.secret_values())
    async with open_core(settings) as core:
        service = build_service(core)
        settle_heap()
        await service.runner.start()
        try:
            await service.runner.serve_forever()
        finally:
            await service.runner.stop()
    return 0


def settle_heap() -> None:
    """Load what is otherwise loaded on first use, then keep everything alive now out of full collections.

    What is loaded at start-up lives as long as the process; left in the collector's
    oldest generation it makes each full collection pause the event loop for 125-190 ms
    under load (measured by ``bench/order_flow.py``). Locale data and message catalogs
    load lazily, so they are warmed first.
    """
    from conversations.i18n import SUPPORTED_LANGUAGES, translator

    today = datetime.now(UTC).date()
    for language in SUPPORTED_LANGUAGES:
        tr = translator(language)
        tr.money(Decimal("1.00"), "USD")
        tr.date(today)
        tr.language_name(language)
    gc.collect()
    gc.freeze()


@dataclass
class Service:
    """The running bot: its parts and the web server that carries ``/healthz`` and the webhooks."""

    runner: Runner
    parts: list[Part]


def build_service(core: Core) -> Service:
    """Every configured part over one core, on one web server (not started yet)."""
    from adapters.telegram.alerts import TelegramAlertSink
    from adapters.telegram.part import TelegramPart
    from bot.services.alerts import AlertScheduler, AlertSink

    settings = core.settings
    parts: list[Part] = []
    sinks: dict[str, AlertSink] = {}
    if settings.telegram_enabled:
        telegram = TelegramPart(
            token=settings.telegram_bot_token.get_secret_value(),
            api_base=settings.telegram_api_base,
            engine=core.engine,
            services=core.services,
            storage=core.storage,
            admin_ids=settings.telegram_admins,
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=settings.telegram_webhook_secret.get_secret_value(),
        )
        parts.append(telegram)
        sinks["telegram"] = TelegramAlertSink(telegram)
    if settings.slack_enabled:
        from adapters.slack import SlackAlertSink, SlackPart  # slack_sdk is only loaded when Slack is on

        slack = SlackPart(
            bot_token=settings.slack_bot_token.get_secret_value(),
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            app_token=settings.slack_app_token.get_secret_value(),
            api_base=settings.slack_api_base,
            admin_users=settings.slack_admins,
            alert_channel=settings.slack_alert_channel,
            engine=core.engine,
            services=core.services,
            storage=core.storage,
        )
        parts.append(slack)
        sinks["slack"] = SlackAlertSink(slack, default_language=settings.default_language)
    parts.append(
        AlertScheduler(
            core.client,
            core.storage,
            sinks,
            interval=settings.alert_interval,
            lead_days=settings.alert_lead_days,
            slack_channel=settings.slack_alert_channel or None,
            digest_hour=settings.alert_digest_hour,
        )
    )

    async def database() -> dict[str, object]:
        await core.storage.conversations.count()
        return {"ok": True}

    async def zadarma() -> dict[str, object]:
        return {
            "ok": core.client.last_call_ok is not False,
            "required": False,
            "skipped_items": core.client.skipped_items,  # unreadable list items skipped since start
        }

    app = health_app(parts, {"database": database, "zadarma": zadarma})
    runner = Runner(
        app, parts, settings.http_host, settings.http_port, on_start=core.services.ordering.reconcile_pending
    )
    return Service(runner, parts)
