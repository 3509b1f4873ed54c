"""The Telegram part of the bot: an aiogram ``Bot`` and ``Dispatcher`` run as a :class:`bot.runtime.Part`.

Long polling by default; with ``webhook_url`` the updates come by webhook on
the shared web server instead. The composition root builds one
:class:`TelegramPart` from the settings and runs it next to the others; the
alert scheduler pushes alerts with :meth:`TelegramPart.deliver_notice`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Final, Literal

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.methods import DeleteWebhook, SetMyCommands, SetWebhook
from aiogram.types import BotCommand, BotCommandScopeDefault, Update
from aiogram.utils.token import TokenValidationError
from aiohttp import web

from adapters.kit.backoff import Backoff, retry
from adapters.kit.commands import command_catalog
from adapters.kit.tasks import TaskSupervisor
from adapters.telegram.delivery import Blocked, DeliveryOutcome, RetryLater, Sent
from adapters.telegram.files import FileFetcher
from adapters.telegram.gate import UpdateGate
from adapters.telegram.handlers import ChatHandlers
from adapters.telegram.inbox import UpdateInbox
from adapters.telegram.log_lines import AiogramUpdateLines
from adapters.telegram.pacer import Pacer
from adapters.telegram.presenter import Presenter
from adapters.telegram.redact import TokenRedactor
from adapters.telegram.render import render_screen
from adapters.telegram.response_types import keep_response_types
from adapters.telegram.retries import BackgroundRetries, token_rejected
from adapters.telegram.sending import Sender, describe, is_outage, is_unreachable
from adapters.telegram.session import JsonBodySession
from adapters.telegram.status import ApiStatus
from adapters.telegram.texts import LANGUAGES
from adapters.telegram.webapp import InitDataCheck, WebAppApi
from adapters.telegram.webhook import WebhookEndpoint
from adapters.updates import UpdateObserver
from bot.coord import KeyLocks, LocalLocks
from bot.coord.in_hand import InHand, Roster, takeover_every, update_key
from bot.services.ports import PlatformRecords
from bot.services.types import ConversationKey, UserRef, utc_now
from conversations.engine import ConversationEngine
from conversations.notices import Notice

log = logging.getLogger("adapters.telegram")

PLATFORM: Final = "telegram"

NOTICE_MAX_WAIT: Final = 5.0
"""Longest flood wait sat out while pushing an alert; longer ones become :class:`RetryLater`."""

DRAIN_TIMEOUT: Final = 10.0
"""How long :meth:`TelegramPart.stop` lets updates in progress finish."""

POLLING_RETRY_MAX: Final = 60.0
"""Longest pause before polling is started again after it failed."""

PURGE_INTERVAL: Final = 6 * 3600.0
"""How often remembered update ids whose time is up are deleted from the store."""


class TelegramPart:
    """Runs the Telegram bot: polling or webhook, commands menu, alerts delivery, health."""

    name = "telegram"
    required = True

    def __init__(
        self,
        *,
        token: str,
        api_base: str = "https://api.telegram.org",
        engine: ConversationEngine,
        storage: PlatformRecords,
        webhook_url: str = "",
        webhook_secret: str = "",
        webapp_url: str = "",
        webapp_max_age: float = 3600.0,
        locks: KeyLocks | None = None,
        observer: UpdateObserver | None = None,
        orphan_after: float | None = None,
        in_hand: InHand | None = None,
        roster: Roster | None = None,
    ) -> None:
        """Build the bot; nothing touches the network before :meth:`start`.

        Raises ``ValueError`` for a missing or malformed token (without quoting it).

        ``token`` is the bot token; ``api_base`` the Bot API server (a local
        Bot API server or a test double); ``webhook_url`` (public HTTPS URL) switches
        from long polling to webhook, checked with ``webhook_secret``;
        ``webapp_url`` (public HTTPS URL of ``/webapp/``) turns the Mini App on: its
        routes are served and the form and upload screens get its button; its init
        data is accepted for ``webapp_max_age`` seconds;
        ``locks`` keep one user's updates in order (default: in this process only);
        ``orphan_after`` (replicas sharing the store): updates received that many
        seconds ago and still unfinished are taken over from the replica that
        received them and died (checked every half of that); ``in_hand`` gets the
        updates this process holds, and with ``roster`` an update no live replica
        holds is taken over as soon as its replica is gone (checked every heartbeat).
        """
        if not token:
            raise ValueError("a Telegram bot token is required")
        keep_response_types()
        self._engine = engine
        self._storage = storage
        self._webhook_url = webhook_url
        self._webhook_secret = webhook_secret
        self._status = ApiStatus()
        self._session = JsonBodySession(api=TelegramAPIServer.from_base(api_base))
        self._session.middleware(self._status)
        try:
            self.bot = Bot(
                token, session=self._session, default=DefaultBotProperties(link_preview_is_disabled=True)
            )
        except TokenValidationError:
            raise ValueError("the Telegram bot token is malformed (expected <digits>:<text>)") from None
        self.sender = Sender(self.bot)
        self._locks = locks if locks is not None else LocalLocks()
        self._inbox = UpdateInbox(storage, self.bot.id)
        self._session.middleware(self._inbox)
        self._gate = UpdateGate(
            storage=storage, inbox=self._inbox, sender=self.sender, locks=self._locks, observer=observer
        )
        if in_hand is not None:
            in_hand.add_source(lambda: [update_key(self._inbox.key(i)) for i in self._gate.update_ids()])
        self._roster = roster if orphan_after is not None else None
        self._presenter = Presenter(self.sender, web_app_url=webapp_url)
        handlers = ChatHandlers(
            engine=engine,
            storage=storage,
            sender=self.sender,
            presenter=self._presenter,
            files=FileFetcher(self.sender, self._session),
        )
        # Telegram's people are the customers: a number given to one (the team's ``assign``) is told here.
        engine.on_number_given = handlers.welcome_owner
        self.dispatcher = Dispatcher(disable_fsm=True, name="telegram")
        self.dispatcher.update.outer_middleware(self._gate)
        self.dispatcher.include_router(handlers.router())
        self._tasks = TaskSupervisor(PLATFORM)
        self._webhook = (
            WebhookEndpoint(
                dispatcher=self.dispatcher,
                bot=self.bot,
                inbox=self._inbox,
                url=webhook_url,
                secret=webhook_secret,
                tasks=self._tasks,
            )
            if webhook_url
            else None
        )
        self._webapp = (
            WebAppApi(
                engine=engine,
                presenter=self._presenter,
                check=InitDataCheck(token, webapp_max_age),
                locks=self._locks,
            )
            if webapp_url
            else None
        )
        self._pacer = Pacer()
        self._retries = BackgroundRetries(self._status, self._tasks)
        self._redactor = TokenRedactor(token)
        self._update_lines = AiogramUpdateLines()
        self._polling: asyncio.Task[None] | None = None
        self._restart = Backoff(first=1.0, cap=POLLING_RETRY_MAX)
        self._orphan_after = orphan_after
        self._started = False

    # ------------------------------------------------------------------ Part
    @property
    def mode(self) -> Literal["polling", "webhook"]:
        """How updates arrive."""
        return "webhook" if self._webhook is not None else "polling"

    @property
    def webapp(self) -> WebAppApi | None:
        """The Mini App's page and API (``None`` when no ``webapp_url`` is set)."""
        return self._webapp

    def install_routes(self, app: web.Application) -> None:
        """In webhook mode, serve the webhook URL's path on ``app``; with the Mini App, its page and API."""
        if self._webhook is not None:
            self._webhook.install(app)
        if self._webapp is not None:
            self._webapp.install(app)

    async def start(self) -> None:
        """Register the webhook or start polling, and publish the command menu.

        Start-up calls that fail are logged and retried in the background;
        they never stop the bot (:meth:`health` tells meanwhile). A token
        Telegram rejects stops them all: one error line, and :meth:`health`
        reports the part down with the reason.
        """
        self._redactor.install()
        self._update_lines.quiet()
        self._started = True
        await self._handle_left_over()
        if self._webhook is not None:
            if not self._webhook_secret:
                log.warning("webhook without a secret: anyone who knows the URL can post updates")
            self._webhook.accepting = True
            await self._retries.run("setWebhook", self._set_webhook)
        else:
            await self._retries.run("deleteWebhook", self._delete_webhook)
            if not self._status.rejected:
                self._polling = self._tasks.loop(self._poll(), "polling")
        for language in (None, *[code for code in LANGUAGES if code != "en"]):
            await self._retries.run(f"setMyCommands:{language or 'default'}", self._commands_setter(language))
        self._tasks.loop(self._purge_periodically(), "housekeeping")
        if self._orphan_after is not None:
            self._tasks.loop(self._take_over_periodically(), "takeover")

    async def stop(self) -> None:
        """Stop receiving, let updates in progress finish (briefly), close the HTTP session."""
        if not self._started:
            return
        self._started = False
        if self._webhook is not None:
            self._webhook.accepting = False
        await self._stop_polling()
        await self._retries.close()
        await self._tasks.stop_loops()
        try:
            await asyncio.wait_for(self.drain(), DRAIN_TIMEOUT)
        except TimeoutError:
            log.warning("updates still running at shutdown are cancelled")
        await self._tasks.close(0.0)  # what is still running is cancelled
        await self._gate.cancel()
        await self._session.close()
        self._redactor.uninstall()
        self._update_lines.restore()

    def health(self) -> dict[str, Any]:
        """``{"ok", "mode", "last_error", ...}`` for ``/healthz``."""
        if self._webhook is not None:
            receiving = "setWebhook" in self._retries.done
        else:
            receiving = (
                self._polling is not None and not self._polling.done() and self._status.polling_healthy
            )
        return {
            "ok": self._started and receiving and not self._status.rejected,
            "mode": self.mode,
            "error": self._status.rejected,
            "last_error": self._status.last_error,
            "last_error_at": self._status.last_error_at.isoformat() if self._status.last_error_at else None,
            "retrying": self._retries.pending(),
            "updates_in_flight": self._gate.in_flight,
        }

    async def drain(self) -> None:
        """Wait until every update received so far has been handled."""
        await self._tasks.wait_idle(None)  # replays and webhook updates
        await self._gate.idle()

    # ------------------------------------------------------------------ alerts
    async def deliver_notice(
        self, user_id: str, notice: Notice, *, language: str | None = None
    ) -> DeliveryOutcome:
        """Push an alert card to a customer's private chat, paced under Telegram's limits.

        The card comes from the conversation (``engine.notice``) in ``language``
        (default: the user's stored language). Returns :class:`Sent`,
        :class:`Blocked` (the user blocked the bot; also recorded in storage)
        or :class:`RetryLater`.
        """
        user = UserRef(PLATFORM, user_id)
        record = await self._storage.users.get(user)
        chat_id = record.chat_id if record is not None and record.chat_id else user_id
        locale = language or (record.language if record is not None else None)
        await self._pacer.wait(chat_id)
        async with self._locks.hold(user_id):
            try:
                screen = await self._engine.notice(
                    ConversationKey(PLATFORM, chat_id, user_id), notice, locale=locale
                )
            except Exception as error:
                log.exception("could not render an alert")
                return RetryLater(300.0, f"rendering failed: {type(error).__name__}")
            sent: list[int] = []
            try:
                for index, message in enumerate(render_screen(screen)):
                    if index:
                        await self._pacer.wait(chat_id)
                    sent.append(await self.sender.send(chat_id, message, max_wait=NOTICE_MAX_WAIT))
            except TelegramRetryAfter as error:
                return RetryLater(float(error.retry_after), describe(error))
            except TelegramAPIError as error:
                if is_unreachable(error):
                    await self._storage.users.mark_blocked(user)
                    return Blocked(error.message)
                return RetryLater(60.0 if is_outage(error) else 600.0, describe(error))
        return Sent(tuple(sent))

    # ------------------------------------------------------------------ internals
    async def _handle_left_over(self) -> None:
        """Handle again what a stopped or killed process received but did not finish."""
        try:
            updates = await self._inbox.left_over(self.bot)
        except Exception:
            log.exception("could not read the updates left unfinished")
            return
        if updates:
            log.warning("handling again updates left unfinished", extra={"count": len(updates)})
        self._replay_all(updates)

    def _replay_all(self, updates: list[Update]) -> None:
        for update in updates:  # in order: the gate queues each user's updates as they start
            self._tasks.spawn(self._replay(update), f"replay:{update.update_id}")

    async def _take_over_periodically(self) -> None:
        """Handle the updates another replica received and never finished (it died)."""
        assert self._orphan_after is not None
        every = takeover_every(self._orphan_after, self._roster)
        while True:
            await asyncio.sleep(every)
            received_before = utc_now() - timedelta(seconds=self._orphan_after)
            try:
                view = None if self._roster is None else await self._roster.view()
                updates = await self._inbox.left_over(self.bot, received_before=received_before, view=view)
            except Exception:
                log.exception("could not read the updates left unfinished")
                continue
            orphans = [u for u in updates if not self._gate.handling(u.update_id)]
            if orphans:
                ids = [u.update_id for u in orphans]
                log.warning("taking over updates another replica left unfinished", extra={"update_ids": ids})
            self._replay_all(orphans)

    async def _replay(self, update: Update) -> None:
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:
            log.exception("update failed", extra={"update_id": update.update_id})

    async def _poll(self) -> None:
        await retry(self._poll_once, self._restart)

    async def _poll_once(self) -> bool:
        """Poll until stopped: True when done (stopped, or the token rejected), False to restart."""
        try:
            await self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
        except TelegramUnauthorizedError:
            token_rejected(self._status, "polling")
        except Exception as error:
            # e.g. getMe failing before the polling loop (which retries by itself) began
            self._status.record("polling", error)
            delay = self._restart.upcoming
            log.error("polling stopped; restarting", extra={"error": describe(error), "delay": delay})
            return False
        return True

    async def _stop_polling(self) -> None:
        task, self._polling = self._polling, None
        if task is None:
            return
        if not task.done():
            with contextlib.suppress(RuntimeError, TimeoutError):  # not polling right now / stuck
                await asyncio.wait_for(self.dispatcher.stop_polling(), 5.0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _delete_webhook(self) -> None:
        await self.sender.call(DeleteWebhook(drop_pending_updates=False))

    async def _set_webhook(self) -> None:
        await self.sender.call(
            SetWebhook(
                url=self._webhook_url,
                secret_token=self._webhook_secret or None,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
                drop_pending_updates=False,
            )
        )

    def _commands_setter(self, language: str | None) -> Callable[[], Awaitable[None]]:
        commands = [
            BotCommand(command=info.name, description=info.description)
            for info in command_catalog(language or "en")
        ]

        async def set_commands() -> None:
            await self.sender.call(
                SetMyCommands(commands=commands, scope=BotCommandScopeDefault(), language_code=language)
            )

        return set_commands

    async def _purge_periodically(self) -> None:
        while True:
            try:
                await self._inbox.purge(utc_now())
                await self._storage.dedup.purge(utc_now())
            except Exception:
                log.exception("could not purge remembered update ids")
            await asyncio.sleep(PURGE_INTERVAL)
