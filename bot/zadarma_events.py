"""``/zadarma/events``: the web server's endpoint for Zadarma's pushed SMS and call events.

* ``zd_echo`` in the query (Zadarma checking the URL): the value, as the plain body.
* A form POST: the signature is checked in constant time (401, nothing
  delivered, for an unsigned or forged event); the event is recorded in the
  store (alert outbox and SMS history) *before* the 200, so a crash after the
  answer loses nothing, and the outbox delivers it in the background. A retry
  of an event already recorded is answered 200 and changes nothing. When the
  store fails the answer is 503 and Zadarma tries again.

The part also forgets SMS older than ``SMS_RETENTION_DAYS`` once an hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.services.number_events import NumberEventsService
from bot.zadarma.notifications import ForgedEvent, read_event

log = logging.getLogger("bot.zadarma_events")

EVENTS_PATH = "/zadarma/events"
PURGE_INTERVAL = 3600.0
MAX_FORM_BYTES = 64 * 1024


class ZadarmaEventsPart:
    """The endpoint and the SMS history purge (a :class:`bot.runtime.Part`)."""

    name = "zadarma_events"
    required = False

    def __init__(self, events: NumberEventsService, secret: str) -> None:
        self._events = events
        self._secret = secret
        self._purger: asyncio.Task[None] | None = None
        self.accepted = 0
        self.refused = 0

    def install_routes(self, app: web.Application) -> None:
        """Add ``GET``/``POST /zadarma/events``."""
        app.router.add_get(EVENTS_PATH, self.handle)
        app.router.add_post(EVENTS_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """Answer the echo check, or verify, record and acknowledge one event."""
        echo = request.query.get("zd_echo")
        if echo is not None:
            return web.Response(text=echo, content_type="text/plain")
        if request.method != "POST":
            return web.Response(status=405, text="POST events here")
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            return web.Response(status=413, text="too large")
        try:
            raw = await request.post()
        except ValueError:
            return web.Response(status=400, text="unreadable form")
        form = {k: v for k, v in raw.items() if isinstance(v, str)}
        status, text = await self.receive(form, request.headers.get("Signature"))
        return web.Response(status=status, text=text)

    async def receive(self, form: Mapping[str, str], signature: str | None) -> tuple[int, str]:
        """Verify, record and acknowledge one pushed event's form: the HTTP status and body to answer.

        The web handler's whole decision, apart from reading the request (the
        terminal demo hands the emulator's signed forms straight to it).
        """
        try:
            event = read_event(form, signature, self._secret)
        except ForgedEvent as exc:
            self.refused += 1
            log.warning(
                "zadarma event refused", extra={"event": form.get("event", "")[:20], "reason": str(exc)}
            )
            return 401, "invalid signature"
        if event is None:
            return 200, "ignored"
        try:
            new = await self._events.accept(event)
        except Exception:
            log.exception("zadarma event could not be recorded")
            return 503, "try again"
        self.accepted += int(new)
        log.info("zadarma event", extra={"event": form.get("event", ""), "new": new})
        return 200, "ok"

    async def start(self) -> None:
        """Start the hourly purge of old SMS."""
        self._purger = asyncio.create_task(self._purge_loop())

    async def _purge_loop(self) -> None:
        while True:
            try:
                purged = await self._events.purge()
                if purged:
                    log.info("old SMS forgotten", extra={"count": purged})
            except Exception:
                log.exception("SMS purge failed")
            await asyncio.sleep(PURGE_INTERVAL)

    async def stop(self) -> None:
        """Stop the purge."""
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger

    def health(self) -> dict[str, Any]:
        """Counts since start."""
        return {"ok": True, "accepted": self.accepted, "refused": self.refused}
