"""Building and driving the real Telegram stack in end-to-end tests."""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from aiohttp import web

from adapters.telegram import TelegramPart
from bot.coord.in_hand import InHand
from bot.metrics import CONTENT_TYPE, Metrics
from bot.runtime import health_app, install_metrics
from bot.sandbox import Sandbox, SandboxConfig
from bot.services import Services
from bot.storage import Storage
from conversations.engine import ConversationEngine
from conversations.i18n import translator
from tests.fakes import scans
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_api import ChatMessage, FakeTelegram, FakeUser, Injected
from tests.stack import open_stack

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ADMIN_ID = 900_000_001
WEBHOOK_PATH = "/telegram/webhook"
WEBHOOK_SECRET = "s3cret-Token_for-tests"
WEBAPP_URL = "https://bot.example.test/webapp/"
"""The Mini App's public URL in the tests (only put in buttons: the tests reach the page on 127.0.0.1)."""


def text_of(key: str, language: str = "en", **params: object) -> str:
    """The conversation's text ``key`` (so tests do not depend on its wording)."""
    return translator(language).gettext(key, **params)


def make_sandbox(realistic: bool = False) -> Sandbox:
    """The emulator with a frozen clock, a generous balance and rate limit (``realistic``: varied replies)."""
    return Sandbox(
        SandboxConfig(start_time=START, balance=Decimal("1000.00"), rate_limit=10_000, realistic=realistic)
    )


@dataclass
class Stack:
    """One "process" of the bot: what a restart throws away and builds anew."""

    storage: Storage
    core: AsyncExitStack  # closes the core (store, HTTP client) that the composition root opened
    services: Services
    engine: ConversationEngine
    part: TelegramPart
    web_runner: web.AppRunner | None = None
    web_url: str = ""


class TelegramHarness:
    """Starts the bot against the fake server and drives it like a user would."""

    def __init__(self, fake: FakeTelegram, sandbox: Sandbox, db_path: Path) -> None:
        self.fake = fake
        self.sandbox = sandbox
        self.db_path = db_path
        self.stack: Stack | None = None
        self.webhook = False
        self.secret = ""
        self.webapp = False
        #: When set before :meth:`start`: the stack reports to it, and webhook mode serves ``/metrics``.
        self.metrics: Metrics | None = None
        #: When set before :meth:`start`: the part takes over updates unfinished that many seconds.
        self.orphan_after: float | None = None
        self.in_hand: InHand | None = None

    # ------------------------------------------------------------------ lifetime
    @property
    def part(self) -> TelegramPart:
        """The running Telegram part."""
        assert self.stack is not None, "start the harness first"
        return self.stack.part

    @property
    def storage(self) -> Storage:
        """The running bot's store."""
        assert self.stack is not None, "start the harness first"
        return self.stack.storage

    @property
    def services(self) -> Services:
        """The running bot's services."""
        assert self.stack is not None, "start the harness first"
        return self.stack.services

    @property
    def web_url(self) -> str:
        """Base URL of the bot's web server (webhook or Mini App mode)."""
        assert self.stack is not None and self.stack.web_url, "start the harness in webhook or Mini App mode"
        return self.stack.web_url

    async def start(
        self, *, webhook: bool = False, secret: str = WEBHOOK_SECRET, webapp: bool = False
    ) -> Stack:
        """Build every object anew over the same SQLite file and start the bot.

        ``webapp`` turns the Mini App on (its URL :data:`WEBAPP_URL`) and serves its routes.
        """
        self.webhook, self.secret, self.webapp = webhook, secret, webapp
        sock: socket.socket | None = None
        webhook_url = ""
        if webhook or webapp:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
        if webhook and sock is not None:
            webhook_url = f"http://127.0.0.1:{sock.getsockname()[1]}{WEBHOOK_PATH}"
        closing = AsyncExitStack()
        core = await closing.enter_async_context(
            open_stack(
                self.sandbox,
                database_url="sqlite:///" + str(self.db_path),
                telegram_bot_token=self.fake.token,
                telegram_api_base=self.fake.base_url,
                telegram_admin_ids=str(ADMIN_ID),
                telegram_webhook_url=webhook_url,
                telegram_webhook_secret=secret if webhook else "",
            )
        )
        core.client.observer = self.metrics  # as bot.app.wire_metrics does
        settings, storage, services, engine = core.settings, core.storage, core.services, core.engine
        part = TelegramPart(
            token=settings.telegram_bot_token.get_secret_value(),
            api_base=settings.telegram_api_base,
            engine=engine,
            storage=storage,
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=settings.telegram_webhook_secret.get_secret_value(),
            webapp_url=WEBAPP_URL if webapp else "",
            observer=self.metrics,
            orphan_after=self.orphan_after,
            in_hand=self.in_hand,
        )
        stack = Stack(storage, closing, services, engine, part)
        if sock is not None:
            app = health_app([part], {})
            part.install_routes(app)
            if self.metrics is not None:
                self.metrics.read_storage(storage, FakeClock(START))
                install_metrics(app, self.metrics.render, CONTENT_TYPE)
            stack.web_runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
            await stack.web_runner.setup()
            await web.SockSite(stack.web_runner, sock).start()
            stack.web_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        await part.start()
        self.stack = stack
        return stack

    async def stop(self) -> None:
        """Stop the bot and close everything it opened (the SQLite file stays)."""
        stack, self.stack = self.stack, None
        if stack is None:
            return
        await stack.part.stop()
        if stack.web_runner is not None:
            await stack.web_runner.cleanup()
        await stack.core.aclose()

    async def restart(self) -> Stack:
        """Stop and start again with new Bot, Dispatcher, engine and store objects (same database)."""
        await self.stop()
        return await self.start(webhook=self.webhook, secret=self.secret, webapp=self.webapp)

    # ------------------------------------------------------------------ acting as users
    async def settle(self, *injected: Injected) -> None:
        """Wait until the bot has received these updates and handled everything it received."""
        await self.fake.delivered(*injected)
        await self.part.drain()

    async def say(self, user: FakeUser, text: str) -> list[ChatMessage]:
        """The user types ``text``; returns the bot messages that are new or changed afterwards."""
        return await self._act(user, lambda: self.fake.send_text(user, text))

    async def press(
        self, user: FakeUser, label: str, *, message: ChatMessage | None = None
    ) -> list[ChatMessage]:
        """The user presses the button ``label``; returns the bot messages new or changed afterwards."""
        return await self._act(user, lambda: self.fake.press(user, label, message=message))

    async def photo(self, user: FakeUser, content: bytes) -> list[ChatMessage]:
        """The user sends a photo."""
        return await self._act(user, lambda: self.fake.send_photo(user, content))

    async def document(
        self, user: FakeUser, content: bytes, filename: str, mime: str, *, declared_size: int | None = None
    ) -> list[ChatMessage]:
        """The user sends a document (``declared_size``: the size Telegram reports, if not the real one)."""
        return await self._act(
            user, lambda: self.fake.send_document(user, content, filename, mime, declared_size=declared_size)
        )

    async def _act(self, user: FakeUser, inject: Callable[[], Injected]) -> list[ChatMessage]:
        before = {(m.message_id, m.text, m.buttons) for m in self.fake.bot_messages(user.chat_id)}
        await self.settle(inject())
        return [
            m for m in self.fake.bot_messages(user.chat_id) if (m.message_id, m.text, m.buttons) not in before
        ]

    def screen(self, user: FakeUser) -> ChatMessage:
        """The bot's newest message in the user's chat."""
        return self.fake.last_bot_message(user.chat_id)


JPEG = scans.jpeg(640, 400)
PDF = scans.pdf()

GROUP_ANSWERS = (
    "Anna",
    "Nowak",
    "ann@example.com",
    "+48600100200",
    "PL",
    "Kraków",
    "30-001",
    "Floriańska",
    "12",
    "Floriańska 12, 30-001 Kraków",
    "ABC123456",
)
"""Answers to the new document group's questions for Kraków, after the title."""


async def start_kraków_order(h: TelegramHarness, user: FakeUser) -> None:
    """Order a Kraków number (passport + proof of address) up to the new document group's form."""
    await h.say(user, "/order")
    await h.say(user, "PL")
    await h.press(user, "Kraków")
    await h.press(user, "Any number")
    await h.press(user, "New document group")


async def fill_group_form(
    h: TelegramHarness, user: FakeUser, answers: tuple[str, ...] = GROUP_ANSWERS, *, finish: bool = True
) -> None:
    """Answer the form: the title by button, the rest by typing; ``finish`` skips the optional middle name."""
    await h.press(user, "Ms")
    for answer in answers:
        await h.say(user, answer)
    if finish:
        await h.press(user, "Skip")
