"""The tests' one service stack, built by the composition root as ``python -m bot run`` builds it.

:func:`open_stack` opens :func:`bot.app.open_core` over settings that point the
Zadarma client at an in-process emulator (:class:`~bot.sandbox.Sandbox`): the
real store (``database_url``: a SQLite file, ``memory://`` or PostgreSQL), the
real client over httpx, the services and the conversation engine, wired as in
production. :func:`services_over` gives the services of an open store whose
client reaches the emulator through another transport (a proxy that fails,
rewrites or watches the calls), as a second client of the same bot would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.app import Core, http_client, open_core
from bot.config import Settings
from bot.coord.in_hand import InHand
from bot.sandbox import Sandbox
from bot.services import Services
from bot.storage import SqliteStorage, Storage
from bot.zadarma import RateLimiter, ZadarmaClient
from conversations.engine import ConversationEngine

SANDBOX_URL = "http://sandbox.local"
"""Where the stack's client believes Zadarma is (the emulator's transport answers every host)."""

RATE_LIMIT = 10_000
"""The client's budget per minute: high, so that no test waits for it unless it asks to."""


def settings_for(sandbox: Sandbox, /, **values: object) -> Settings:
    """The bot's settings for a stack over ``sandbox`` (``memory://`` unless ``database_url`` is given).

    ``values`` set any setting by its field name. Built by validation alone: the
    environment of the test run is not read.
    """
    return Settings.model_validate(
        {
            "database_url": "memory://",
            "zadarma_api_url": SANDBOX_URL,
            "zadarma_key": sandbox.key,
            "zadarma_secret": sandbox.secret,
            "zadarma_rate_limit": RATE_LIMIT,
            **values,
        }
    )


@dataclass
class Stack:
    """An open core over an emulator: what the service and conversation tests drive."""

    sandbox: Sandbox
    core: Core

    @property
    def settings(self) -> Settings:
        """The settings the core was opened with."""
        return self.core.settings

    @property
    def client(self) -> ZadarmaClient:
        """The real Zadarma client, calling the emulator."""
        return self.core.client

    @property
    def storage(self) -> Storage:
        """The store."""
        return self.core.storage

    @property
    def sqlite(self) -> SqliteStorage:
        """The store as the SQLite store it is, for a test that reaches its connection (``sqlite:///``)."""
        assert isinstance(self.core.storage, SqliteStorage), (
            f"not a SQLite store: {self.settings.database_url}"
        )
        return self.core.storage

    @property
    def services(self) -> Services:
        """The services, as the adapters get them."""
        return self.core.services

    @property
    def engine(self) -> ConversationEngine:
        """The conversation engine."""
        return self.core.engine


@asynccontextmanager
async def open_stack(
    sandbox: Sandbox, transport: httpx.AsyncBaseTransport | None = None, /, **values: object
) -> AsyncIterator[Stack]:
    """The core of the bot over ``sandbox`` (reached through ``transport``, the emulator's own by default).

    ``values`` are settings by field name (:func:`settings_for`), e.g. ``database_url``.
    """
    settings = settings_for(sandbox, **values)
    async with open_core(settings, transport or sandbox.transport()) as core:
        yield Stack(sandbox, core)


@asynccontextmanager
async def services_over(
    stack: Stack, transport: httpx.AsyncBaseTransport, *, in_hand: InHand | None = None, **client_options: Any
) -> AsyncIterator[Services]:
    """The services of ``stack``'s store with a client of their own that calls through ``transport``.

    The client is configured from the stack's settings as :func:`bot.app.zadarma_client`
    configures it; ``client_options`` override :class:`~bot.zadarma.ZadarmaClient`'s
    own (``max_retries=0``...); ``in_hand`` is the list of work the services add theirs to.
    """
    settings = stack.settings
    async with http_client(settings, transport) as http:
        options: dict[str, Any] = {
            "limiter": RateLimiter(settings.zadarma_rate_limit),
            "timeout": settings.zadarma_timeout,
            **client_options,
        }
        client = ZadarmaClient(
            http,
            base_url=settings.zadarma_api_url,
            key=settings.zadarma_key,
            secret=settings.zadarma_secret.get_secret_value(),
            **options,
        )
        yield Services.build(client, stack.storage, in_hand=in_hand)
