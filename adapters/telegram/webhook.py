"""Receiving updates by webhook on the bot's shared aiohttp server.

Telegram POSTs each update as JSON, with the secret given to ``setWebhook`` in
the ``X-Telegram-Bot-Api-Secret-Token`` header. A request without the right
secret gets 401; a body that is not an update (not JSON, nested too deeply,
not shaped like an update) gets 400 and one warning line; an update of a
type this bot does not know is answered 200 (so Telegram does not send it
again) and ignored with one warning line. A good update is answered 200 at
once and handled in a background task, so Telegram never waits on a slow
Zadarma call (the gate keeps each user's updates in order); it is kept in the
:class:`~adapters.telegram.inbox.UpdateInbox` before the 200, so a crash while
it is handled does not lose it.
"""

from __future__ import annotations

import hmac
import logging
from typing import Final
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiohttp import web
from pydantic import ValidationError

from adapters.json_bounds import load_object
from adapters.kit.tasks import TaskSupervisor
from adapters.telegram.inbox import UpdateInbox
from adapters.telegram.received import update_texts

log = logging.getLogger("adapters.telegram")

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


def webhook_path(url: str) -> str:
    """The path part of the public webhook URL (``/`` when it has none)."""
    return urlsplit(url).path or "/"


class WebhookEndpoint:
    """The aiohttp handler for Telegram's webhook requests."""

    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        bot: Bot,
        inbox: UpdateInbox,
        url: str,
        secret: str,
        tasks: TaskSupervisor,
    ) -> None:
        """``tasks`` is the part's supervisor: each accepted update is handled as its work."""
        self._dispatcher = dispatcher
        self._bot = bot
        self._inbox = inbox
        self.url = url
        self.path = webhook_path(url)
        self._secret = secret.encode("utf-8")
        self._tasks = tasks
        self._listened: frozenset[str] | None = None
        self.accepting = False

    def install(self, app: web.Application) -> None:
        """Serve ``POST <path>`` on ``app``."""
        app.router.add_post(self.path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """Check the secret, parse the update, start handling it, answer at once."""
        if not self._authorized(request):
            return web.Response(status=401, text="unauthorized")
        if not self.accepting:
            return web.Response(status=503, text="not running")
        try:
            received = load_object(await request.read())
            update = Update.model_validate(received, context={"bot": self._bot})
        except ValidationError:
            log.warning("webhook request refused: not shaped like an update")
            return web.Response(status=400, text="not a Telegram update")
        except ValueError as exc:
            log.warning("webhook request refused", extra={"reason": str(exc)})
            return web.Response(status=400, text="not a Telegram update")
        try:
            kind = update.event_type
        except UpdateTypeLookupError:
            log.warning(
                "ignored an update of a type this bot does not know", extra={"update_id": update.update_id}
            )
            return web.Response(status=200)
        if self._listened is None:
            self._listened = frozenset(self._dispatcher.resolve_used_update_types())
        if kind not in self._listened:
            log.info(
                "ignored an update nobody listens to", extra={"update_id": update.update_id, "kind": kind}
            )
            return web.Response(status=200)
        await self._inbox.keep([update], update_texts([received]))
        self._tasks.spawn(self._feed(update), f"update:{update.update_id}")
        return web.Response(status=200)

    def _authorized(self, request: web.Request) -> bool:
        if not self._secret:
            return True
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        return hmac.compare_digest(given, self._secret)

    async def _feed(self, update: Update) -> None:
        try:
            await self._dispatcher.feed_update(self._bot, update)
        except Exception:
            log.exception("update failed", extra={"update_id": update.update_id})
