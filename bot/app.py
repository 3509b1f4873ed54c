"""The composition root: the one place that builds concrete objects and hands them down."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import httpx

from bot import eventloop
from bot.heap import freeze_heap
from bot.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from bot.metrics import Metrics
from bot.platforms import Platform, PlatformEntry, PlatformRegistry
from bot.platforms import operators_of as platform_operators
from bot.runtime import CannotListen, Draining, Part, Runner, health_app, install_metrics, write_probe

if TYPE_CHECKING:
    from conversations.engine import ConversationEngine

from bot.config import ConfigError, Settings, database_problem, demo_database_url
from bot.coord.shared import Shared, open_shared
from bot.services import Services
from bot.services.alerts import CUSTOMERS, TEAM, AlertSink
from bot.services.number_events import EventRouting
from bot.storage import (
    ConversationKey,
    RememberedUsers,
    Storage,
    StorageError,
    UserRef,
    open_storage,
    utc_now,
)
from bot.zadarma.client import ZadarmaClient, attempt_timeout
from bot.zadarma.cookieless import CookielessClient
from bot.zadarma.errors import ZadarmaAuthError, ZadarmaError
from bot.zadarma.ratelimit import ApiBudget, RateLimiter
from bot.zadarma.transport import make_transport
from bot.zadarma_events import ZadarmaEventsPart

log = logging.getLogger("bot.app")

ACCESS_CHECK_SECONDS = 20.0
#: The Zadarma client's connection pool.
ZADARMA_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)


def http_client(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The pooled HTTP client the Zadarma client runs on; over ``ZADARMA_TRANSPORT`` unless given one."""
    return CookielessClient(
        transport=transport
        or make_transport(settings.zadarma_transport, ZADARMA_LIMITS, settings.zadarma_api_url),
        timeout=attempt_timeout(settings.zadarma_timeout),
        limits=ZADARMA_LIMITS,
        follow_redirects=False,
    )


@asynccontextmanager
async def zadarma_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None, limiter: ApiBudget | None = None
) -> AsyncIterator[ZadarmaClient]:
    """A configured :class:`ZadarmaClient`, closing its HTTP client on exit; its own budget by default."""
    async with http_client(settings, transport) as http:
        yield ZadarmaClient(
            http,
            base_url=settings.zadarma_api_url,
            key=settings.zadarma_key,
            secret=settings.zadarma_secret.get_secret_value(),
            limiter=limiter or RateLimiter(settings.zadarma_rate_limit),
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
    shared: Shared = field(default_factory=Shared)  # what replicas share (REDIS_URL), or this process's


# -- the platforms ---------------------------------------------------------------------
# A new platform: its adapter package, its settings, and one entry here (see adapters/console).


@dataclass(frozen=True)
class Wiring:
    """What a platform is built over: the core and the app's metrics (its update observer)."""

    core: Core
    metrics: Metrics


def _telegram(wiring: Wiring, settings: Settings) -> tuple[Part, AlertSink]:
    from adapters.telegram.alerts import TelegramAlertSink
    from adapters.telegram.part import TelegramPart

    core = wiring.core
    part = TelegramPart(
        token=settings.telegram_bot_token.get_secret_value(),
        api_base=settings.telegram_api_base,
        engine=core.engine,
        storage=core.storage,
        webhook_url=settings.telegram_webhook_url,
        webhook_secret=settings.telegram_webhook_secret.get_secret_value(),
        webapp_url=settings.telegram_webapp_url,
        webapp_max_age=settings.telegram_webapp_max_age,
        locks=core.shared.update_locks,
        observer=wiring.metrics,
        orphan_after=settings.orphan_after if core.shared.redis else None,
        in_hand=core.shared.in_hand,
        roster=core.shared.roster,
    )
    return part, TelegramAlertSink(part)


def _slack(wiring: Wiring, settings: Settings) -> tuple[Part, AlertSink]:
    from adapters.slack import SlackAlertSink, SlackPart  # slack_sdk is only loaded when Slack is on

    core = wiring.core
    part = SlackPart(
        bot_token=settings.slack_bot_token.get_secret_value(),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        app_token=settings.slack_app_token.get_secret_value(),
        api_base=settings.slack_api_base,
        admin_users=settings.slack_admins,
        alert_channel=settings.slack_alert_channel,
        engine=core.engine,
        services=core.services,
        storage=core.storage,
        observer=wiring.metrics,
        locks=core.shared.update_locks,
    )
    return part, SlackAlertSink(part, default_language=settings.default_language)


PLATFORMS: tuple[PlatformEntry[Wiring], ...] = (
    PlatformEntry(
        "telegram",
        CUSTOMERS,
        enabled=lambda s: s.telegram_enabled,
        operators=lambda s: s.telegram_admins,
        build=_telegram,
    ),
    PlatformEntry(
        "slack",
        TEAM,
        enabled=lambda s: s.slack_enabled,
        operators=lambda s: s.slack_admins,
        build=_slack,
        team_target=lambda s: s.slack_alert_channel,
    ),
)
"""Every chat platform ``python -m bot run`` can serve, each registered once."""


def operators_of(settings: Settings) -> frozenset[UserRef]:
    """Every configured operator, on every platform."""
    return platform_operators(PLATFORMS, settings)


EXIT_STORAGE = 1
"""Exit code when the store cannot be opened (a damaged file; a path that is no database file at all is
refused with the configuration, exit code 2)."""

EXIT_LISTEN = 3
"""Exit code when the web server cannot listen on ``HTTP_HOST``:``HTTP_PORT`` (a port in use, say)."""


async def enter_core(
    stack: AsyncExitStack, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> Core | None:
    """Open the core on ``stack``; if the store is refused, print its one-line reason and return ``None``."""
    try:
        return await stack.enter_async_context(open_core(settings, transport))
    except StorageError as exc:
        print(f"storage error: {exc}", file=sys.stderr)
    except OSError as exc:  # the database's directory could not be created
        print(f"storage error: cannot prepare {exc.filename}: {exc.strerror}", file=sys.stderr)
    return None


@asynccontextmanager
async def open_core(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[Core]:
    """Build the shared core; closes the store and the HTTP client on exit.

    A store that cannot be opened raises :class:`~bot.storage.StorageError` (one line
    naming the file and what to do); :func:`enter_core` prints it.
    """
    from conversations.engine import ConversationEngine
    from conversations.state import holds_form_answers

    storage = await open_storage(
        settings.database_url, keys=settings.state_keys, holds_secrets=holds_form_answers
    )
    storage.users = RememberedUsers(storage.users)  # every writer in the process goes through it
    try:
        async with open_shared(
            settings.redis_url.get_secret_value(), settings.redis_prefix, heartbeat=settings.replica_heartbeat
        ) as shared:
            shared.share_storage(storage)
            limiter = shared.limiter(settings.zadarma_key, settings.zadarma_rate_limit)
            async with zadarma_client(settings, transport, limiter) as client:
                services = Services.build(
                    client,
                    storage,
                    settle_window=settings.settle_window_seconds,
                    sms_retention_days=settings.sms_retention_days,
                    conversation_locks=shared.conversation_locks,
                    in_hand=shared.in_hand,
                )
                engine = ConversationEngine(
                    services,
                    operators=operators_of(settings),
                    default_language=settings.default_language,
                    customers_platform=next((p.name for p in PLATFORMS if p.audience == CUSTOMERS), ""),
                )
                yield Core(settings, storage, client, services, engine, shared)
    finally:
        await storage.close()


# -- the demo ------------------------------------------------------------------------


def run_demo(*, lang: str | None, db: str | None, realistic: bool = False) -> int:
    """``python -m bot demo``: the conversations in this terminal against the emulator.

    ``db`` is a file (relative to the current folder) or a ``sqlite:///`` URL;
    ``realistic`` makes the built-in emulator vary its replies (``bot.sandbox.realistic``).
    """
    url = demo_database_url(db)
    problem = database_problem(url)
    if problem:
        print(f"configuration error: --db: {problem}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_demo(lang, url if db else None, realistic))
    except ConfigError as exc:
        for line in exc.problems:
            print(f"configuration error: {line}", file=sys.stderr)
        return 2


async def _demo(lang: str | None, db: str | None, realistic: bool = False) -> int:
    from adapters.console import PLATFORM as CONSOLE
    from adapters.console.alerts import ConsoleAlertSink
    from adapters.console.session import ConsoleSession
    from bot.demo_events import EndpointTransport
    from bot.sandbox import Sandbox, SandboxConfig
    from conversations.demo import waiting_for_retry

    external = os.environ.get("ZADARMA_API_URL")
    values: dict[str, object] = {"database_url": db or "memory://"}
    transport: httpx.AsyncBaseTransport | None = None
    sandbox: Sandbox | None = None
    endpoint = EndpointTransport()
    if external:
        values["zadarma_api_url"] = external
    else:
        sandbox = Sandbox(SandboxConfig(realistic=realistic), notify_transport=endpoint)
        transport = sandbox.transport()
        values.update(
            zadarma_api_url="http://sandbox.invalid", zadarma_key=sandbox.key, zadarma_secret=sandbox.secret
        )
    settings = Settings.model_validate(values)
    if external and settings.missing_zadarma():
        print(f"configuration error: {', '.join(settings.missing_zadarma())} not set", file=sys.stderr)
        return 2
    async with AsyncExitStack() as stack:
        log_file = demo_log_file(stack, settings)
        core = await enter_core(stack, settings, transport)
        if core is None:
            return EXIT_STORAGE
        key = ConversationKey(CONSOLE, "demo", "demo-user")
        resume = db is not None and await core.storage.conversations.get(key) is not None
        if lang:
            await core.storage.users.upsert(key.user, chat_id=key.chat_id)
            # An explicit --lang wins over the language a resumed conversation was left in.
            await core.engine.prefer_language(key, lang)
        from bot.services.settlement import Settler

        settler = Settler(core.services.ordering, core.storage)
        await settler.start()
        core.client.on_retry = lambda seconds: print(waiting_for_retry(lang or "en", seconds), flush=True)
        clock = events = None
        if sandbox is not None:
            from bot.demo_clock import DemoClock
            from bot.demo_events import DemoEvents
            from bot.services.number_events import EventRouting
            from bot.zadarma_events import ZadarmaEventsPart

            # The terminal is the demo's one platform: its user is a customer, told in the terminal.
            sink = ConsoleAlertSink(core.engine, key)
            registry = PlatformRegistry()
            registry.register(Platform(CONSOLE, CUSTOMERS, sink))
            routes = registry.alert_routes()
            clock = DemoClock(sandbox, core.client, core.storage, key, lang or "en", sink=sink, routes=routes)
            # Events reach the terminal's user through the endpoint's code and the alert outbox.
            core.services.events.routing = EventRouting(platforms=routes.platforms)
            endpoint.endpoint = ZadarmaEventsPart(
                core.services.events, settings.zadarma_secret.get_secret_value()
            )
            events = DemoEvents(sandbox, core.client, core.storage, key, clock.deliver, lang or "en")
        try:
            session = ConsoleSession(
                core.engine,
                key,
                stdin=sys.stdin,
                stdout=sys.stdout,
                locale=lang,
                saved=core.storage.conversations.get,
                clock=clock,
                events=events,
                log_file=str(log_file),
            )
            return await session.run(resume=resume)
        finally:
            await settler.stop()


def demo_log_file(stack: AsyncExitStack, settings: Settings) -> Path:
    """Send the demo's log to a file in a new temporary folder (not into the conversation); its path."""
    from bot.logs import configure_logging

    folder = Path(tempfile.mkdtemp(prefix="zadarma-demo-"))
    path = folder / "demo.log"
    stream = stack.enter_context(path.open("a", encoding="utf-8"))
    configure_logging(settings.log_format, "INFO", settings.secret_values(), stream=stream)
    stack.callback(_detach_log_stream, stream)
    return path


def _detach_log_stream(stream: TextIO) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and handler.stream is stream:
            root.removeHandler(handler)


# -- the service -----------------------------------------------------------------------


def run(settings: Settings) -> int:
    """``python -m bot run``: every configured part until SIGTERM/SIGINT."""
    try:
        return eventloop.run(_serve(settings), settings.event_loop)
    except ConfigError as exc:
        for line in exc.problems:
            print(f"configuration error: {line}", file=sys.stderr)
        return 2


async def _serve(settings: Settings) -> int:
    from bot.logs import configure_logging

    problems = settings.run_problems()
    if problems:
        for problem in problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format, settings.log_level, settings.secret_values())
    async with AsyncExitStack() as stack:
        core = await enter_core(stack, settings)
        if core is None:
            return EXIT_STORAGE
        log.info("starting", extra={"event_loop": eventloop.running_loop_name()})
        service = build_service(core)
        settle_heap()
        try:
            await service.runner.start()
        except CannotListen as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return EXIT_LISTEN
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
    load lazily, so they are warmed first. The collector's young collections are then
    made rarer (:mod:`bot.heap`).
    """
    from conversations.i18n import SUPPORTED_LANGUAGES, translator

    today = datetime.now(UTC).date()
    for language in SUPPORTED_LANGUAGES:
        tr = translator(language)
        tr.money(Decimal("1.00"), "USD")
        tr.date(today)
        tr.language_name(language)
    freeze_heap()


@dataclass
class ZadarmaAccess:
    """Whether Zadarma accepts the key and secret, as found once at start-up.

    A refusal (401) is not transient: it is said in one error line, the
    start-up work that needs Zadarma is skipped, and ``/healthz`` reports
    Zadarma down with the reason until the settings are fixed and the bot
    restarted. A network failure here proves nothing and changes nothing.
    """

    refused: str | None = None

    async def check(self, client: ZadarmaClient) -> bool:
        """One balance call; False (and :attr:`refused` set) when the credentials are refused."""
        try:
            await asyncio.wait_for(client.balance(), ACCESS_CHECK_SECONDS)
        except ZadarmaAuthError as exc:
            self.refused = f"Zadarma refused ZADARMA_KEY/ZADARMA_SECRET (401: {exc.message})"
            log.error("%s: not retrying; fix them and restart", self.refused)
            return False
        except (ZadarmaError, TimeoutError):
            return True
        return True


@dataclass
class Service:
    """The running bot: its parts and the web server that carries ``/healthz`` and the webhooks."""

    runner: Runner
    parts: list[Part]
    metrics: Metrics
    platforms: PlatformRegistry = field(default_factory=PlatformRegistry)


def build_service(core: Core) -> Service:
    """Every configured part over one core, on one web server (not started yet)."""
    from bot.services.alerts import AlertScheduler
    from bot.services.outcomes import OutcomeNotifier
    from bot.services.settlement import Settler

    settings = core.settings
    metrics = wire_metrics(core)
    registry = PlatformRegistry()
    for entry in PLATFORMS:
        if entry.enabled(settings):
            registry.register(entry.create(Wiring(core, metrics), settings))
    parts: list[Part] = registry.parts()
    routes = registry.alert_routes()
    scheduler = AlertScheduler.from_settings(settings, core.client, core.storage, routes, observer=metrics)
    parts.append(scheduler)
    ordering = core.services.ordering
    team = routes.team_destination
    ordering.notifier = OutcomeNotifier(
        core.storage,
        platforms=routes.platforms,
        team=team,
        grace_seconds=settings.outcome_grace,
        wake=scheduler.wake,
    )
    orphan_after = settings.orphan_after if core.shared.redis else None
    parts.append(Settler(ordering, core.storage, orphan_after=orphan_after, roster=core.shared.roster))
    core.services.events.routing = EventRouting(platforms=routes.platforms, team=team, wake=scheduler.wake)
    parts.append(ZadarmaEventsPart(core.services.events, settings.zadarma_secret.get_secret_value()))

    access = ZadarmaAccess()

    async def zadarma() -> dict[str, object]:
        if access.refused is not None:
            return {"ok": False, "required": True, "error": access.refused}
        return {
            "ok": core.client.last_call_ok is not False,
            "required": False,
            "skipped_items": core.client.skipped_items,  # unreadable list items skipped since start
        }

    async def on_start() -> object:
        # Open payments are settled by the Settler part; this only finds refused credentials early.
        if not await access.check(core.client):
            return "Zadarma refused the credentials"
        if settings.zadarma_events_url:
            from bot.events_setup import report_at_start

            await report_at_start(core.client, settings.zadarma_events_url)
        return "ok"

    probes = {"database": write_probe(core.storage.probe_write), "zadarma": zadarma}
    if core.shared.redis:
        probes["redis"] = core.shared.probe  # required: the replicas coordinate through it
    draining = Draining()
    app = health_app(parts, probes, draining)
    install_metrics(app, metrics.render, METRICS_CONTENT_TYPE, settings.metrics_token.get_secret_value())
    runner = Runner(
        app,
        parts,
        settings.http_host,
        settings.http_port,
        on_start=on_start,
        draining=draining,
        drain_seconds=settings.drain_seconds,
    )
    return Service(runner, parts, metrics, registry)


def wire_metrics(core: Core) -> Metrics:
    """The app's own metrics: told by the Zadarma client, reading the store and the limiter when scraped."""
    metrics = Metrics()
    core.client.observer = metrics
    metrics.read_storage(core.storage, utc_now)
    metrics.read_budget(core.client.limiter.budget_left)
    return metrics
