"""``/sms`` and ``/call`` in the terminal demo: the built-in emulator pushes an event to the bot.

The path is the one a real event takes, minus the sockets. The first time,
``python -m bot events setup``'s own code points the emulator's webhook and
call-info URLs at the bot (the emulator checks them with ``zd_echo``, which
the endpoint answers). Then the emulator signs the SMS or call the way
Zadarma does and POSTs it; :class:`EndpointTransport` hands that form and its
``Signature`` header to the ``/zadarma/events`` endpoint's own decision
(:meth:`bot.zadarma_events.ZadarmaEventsPart.receive`): the signature is
checked, the event recorded in the alert outbox, and the outbox delivers the
notice to the demo's terminal as it would to a chat.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

import httpx

from bot.events_setup import setup
from bot.sandbox import Sandbox
from bot.sandbox.errors import ApiError
from bot.storage import ConversationKey, Storage
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.errors import ZadarmaError
from bot.zadarma_events import EVENTS_PATH, ZadarmaEventsPart
from conversations.demo import event_line
from conversations.screens import Screen

log = logging.getLogger("bot.demo_events")

DEMO_EVENTS_URL = "http://bot.demo.invalid" + EVENTS_PATH
"""Where the demo tells the emulator to send events (never resolved: the transport answers)."""
DEMO_SENDER = "48501234567"
"""Who the demo's SMS and calls come from."""


class EndpointTransport(httpx.AsyncBaseTransport):
    """The emulator's outgoing requests, answered in process by the events endpoint.

    ``GET ...?zd_echo=V`` answers ``V``; a POST to :data:`EVENTS_PATH` is read as
    the form it is and given, with its ``Signature`` header, to the endpoint.
    """

    def __init__(self) -> None:
        self.endpoint: ZadarmaEventsPart | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request the emulator makes."""
        if request.url.path != EVENTS_PATH or self.endpoint is None:
            return httpx.Response(404, text="not found")
        echo = request.url.params.get("zd_echo")
        if echo is not None:
            return httpx.Response(200, text=echo)
        if request.method != "POST":
            return httpx.Response(405, text="POST events here")
        body = (await request.aread()).decode("utf-8")
        form = dict(parse_qsl(body, keep_blank_values=True))
        status, text = await self.endpoint.receive(form, request.headers.get("Signature"))
        return httpx.Response(status, text=text)


class DemoEvents:
    """Serves ``/sms`` and ``/call`` for the demo's one user."""

    def __init__(
        self,
        sandbox: Sandbox,
        client: ZadarmaClient,
        storage: Storage,
        key: ConversationKey,
        deliver: Callable[[], Awaitable[list[Screen]]],
        default_language: str = "en",
    ) -> None:
        """``deliver`` runs the alert outbox once and returns the cards it delivered to the terminal."""
        self._sandbox = sandbox
        self._client = client
        self._storage = storage
        self._key = key
        self._deliver = deliver
        self._default_language = default_language
        self._set_up = False

    async def _language(self) -> str:
        user = await self._storage.users.get(self._key.user)
        return (user.language if user is not None else None) or self._default_language

    async def _newest_number(self) -> str | None:
        newest: tuple[object, str] | None = None
        for number in await self._storage.ownership.numbers_of(self._key.user):
            assignment = await self._storage.ownership.number_assignment(number)
            if assignment is not None and (newest is None or (assignment.assigned_at, number) > newest):
                newest = (assignment.assigned_at, number)
        return newest[1] if newest is not None else None

    async def _ready(self) -> str | None:
        """Point the emulator's notifications at the bot once; why not, if that failed."""
        if self._set_up:
            return None
        try:
            ok, seen = await setup(self._client, DEMO_EVENTS_URL, force=True)
        except ZadarmaError as exc:
            return str(exc)
        if not ok:
            return seen
        self._set_up = True
        return None

    async def sms(self, text: str) -> list[Screen]:
        """An SMS from :data:`DEMO_SENDER` with ``text`` on the newest number."""
        return await self._push("sms", lambda number: self._sandbox.deliver_sms(number, DEMO_SENDER, text))

    async def call(self, seconds: int) -> list[Screen]:
        """A call from :data:`DEMO_SENDER` lasting ``seconds`` (0: missed) on the newest number."""
        return await self._push(
            "call", lambda number: self._sandbox.deliver_call(number, DEMO_SENDER, seconds)
        )

    async def _push(self, kind: str, send: Callable[[str], Awaitable[dict[str, object]]]) -> list[Screen]:
        language = await self._language()
        number = await self._newest_number()
        if number is None:
            return [event_line(language, "no_number")]
        problem = await self._ready()
        if problem is None:
            try:
                result = await send(number)
            except ApiError as exc:
                problem = exc.message
            else:
                deliveries = result.get("deliveries")
                refused = (
                    [d for d in deliveries if isinstance(d, dict) and d.get("status") != 200]
                    if isinstance(deliveries, list)
                    else []
                )
                if refused:
                    problem = f"the bot answered {refused[0].get('status')}"
        if problem is not None:
            log.warning("demo event not delivered", extra={"kind": kind, "reason": problem})
            return [event_line(language, "failed", reason=problem)]
        cards = await self._deliver()
        if cards:
            return cards
        prefs = await self._storage.number_events.prefs(number)
        if kind == "sms" and prefs.sms_to_chat:
            return [event_line(language, "sms_repeat", number)]
        return [event_line(language, f"{kind}_off", number)]
