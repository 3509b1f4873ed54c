"""The real stack for conversation tests: emulator, client, memory storage, services, engine.

Opened by the composition root (:mod:`tests.stack`); the engine is the world's own, so that a
test can name the operators and restart it.

:class:`Chat` plays one user: it sends events, remembers the last screens,
and after every step checks that the saved state survives a JSON round trip.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.sandbox import Sandbox, SandboxConfig
from bot.services import Actor, Services
from bot.services.ordering import OrderRequest
from bot.storage import ConversationKey, Storage, UserRef
from bot.zadarma import ZadarmaClient
from conversations.engine import ConversationEngine
from conversations.events import Command, Event, FileUpload, Press, Text
from conversations.i18n import translator
from conversations.screens import Button, Screen
from conversations.state import ConversationState, load_state
from tests.fakes import scans
from tests.stack import open_stack

START = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
PNG = scans.png()
JPEG = scans.jpeg()
PDF = scans.pdf()
EN = translator("en")
PL = translator("pl")


def t(key: str, **params: object) -> str:
    """The English text of ``key``."""
    return EN.gettext(key, **params)


@dataclass
class World:
    """One emulator and one store shared by every engine and chat of a test."""

    sandbox: Sandbox
    storage: Storage
    client: ZadarmaClient
    services: Services
    operators: frozenset[UserRef] = frozenset()
    engine: ConversationEngine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = self.new_engine()

    def new_engine(self) -> ConversationEngine:
        """A fresh engine over the same services and storage (a restarted bot)."""
        return ConversationEngine(self.services, operators=self.operators, customers_platform="telegram")

    def restart(self) -> None:
        """Replace the engine, as a restart would."""
        self.engine = self.new_engine()

    def chat(self, user: str = "1001", chat: str | None = None, *, locale: str | None = "en") -> Chat:
        """A chat of ``user`` (in their private chat unless ``chat`` is given)."""
        return Chat(self, ConversationKey("telegram", chat or user, user), locale)

    async def seed(self, key: ConversationKey, state: ConversationState) -> None:
        """Store ``state`` for ``key`` as if the conversation had reached it."""
        stored = await self.storage.conversations.get(key)
        await self.storage.conversations.save(key, state.dump(), stored.revision if stored else 0)

    def set_balance(self, amount: str) -> None:
        """Change the account's balance behind the bot's back, and let its short balance cache expire."""
        self.sandbox.set_balance(amount)
        self.services.catalog.forget_balance()

    async def own_number(self, user: str, direction_id: int = 3301, *, number: str | None = None) -> str:
        """Order a number (the first free one by default) for ``user`` through the services."""
        actor = Actor(UserRef("telegram", user))
        iso = {"33": "US", "30": "PL", "31": "DE", "32": "GB"}[str(direction_id)[:2]]
        direction = await self.services.catalog.direction(iso, direction_id, "en")
        free = await self.services.catalog.free_numbers(direction_id)
        pick = next(n for n in free if number is None or n.number == number)
        request = OrderRequest(direction_id=direction_id, number_id=pick.id, number=pick.number)
        outcome = await self.services.ordering.place_order(
            actor, f"setup-{user}-{pick.id}", request, direction
        )
        return outcome.number


@asynccontextmanager
async def open_world(
    operators: frozenset[UserRef] = frozenset(), **sandbox_settings: Any
) -> AsyncIterator[World]:
    """The stack, opened by the composition root on ``memory://``; ``sandbox_settings``: emulator settings."""
    sandbox = Sandbox(SandboxConfig(rate_limit=1_000_000, start_time=START, **sandbox_settings))
    async with open_stack(sandbox) as stack:
        yield World(sandbox, stack.storage, stack.client, stack.services, operators)


@asynccontextmanager
async def overtaken(
    world: World, change: Callable[[ConversationState], None] | None = None
) -> AsyncIterator[list[int]]:
    """The engine's next save is overtaken: another replica saves first (the stored state, or it
    changed by ``change``). Yields the list of save calls made meanwhile (its length: their count)."""
    repo = world.storage.conversations
    original_save = repo.save
    calls: list[int] = []

    async def racing_save(key, data, expected_revision):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            stored = await repo.get(key)
            assert stored is not None
            newer = load_state(stored.data)
            assert newer is not None
            if change is not None:
                change(newer)
            await original_save(key, newer.dump() if change is not None else stored.data, stored.revision)
        return await original_save(key, data, expected_revision)

    repo.save = racing_save  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        repo.save = original_save  # type: ignore[method-assign]


class Chat:
    """One user talking to the engine."""

    def __init__(self, world: World, key: ConversationKey, locale: str | None) -> None:
        self.world = world
        self.key = key
        self.locale = locale
        self.screens: list[Screen] = []

    async def send(self, event: Event) -> list[Screen]:
        """Send one event; keep and return the screens; check the saved state round-trips."""
        self.screens = await self.world.engine.handle(self.key, event, locale=self.locale)
        state = await self.state()
        assert load_state(state.dump()) == state
        kept = self.world.engine.parsed.kept(self.key)
        if kept is not None:  # what the next event would use unparsed is exactly what is stored
            stored = await self.world.storage.conversations.get(self.key)
            assert stored is not None and kept[0] == stored.data and kept[1].dump() == stored.data
        assert ConversationState.model_validate_json(state.model_dump_json()) == state
        for screen in self.screens[:-1]:
            assert screen.buttons == () and screen.expects == "none"
        for action in self.screen.actions:
            assert len(action.encode()) <= 64
        return self.screens

    async def start(self) -> list[Screen]:
        """``/start``."""
        return await self.send(Command("start"))

    async def command(self, name: str, args: str = "") -> list[Screen]:
        """A slash command."""
        return await self.send(Command(name, args))

    async def type(self, text: str) -> list[Screen]:
        """Type a message."""
        return await self.send(Text(text))

    async def press(self, label: str) -> list[Screen]:
        """Press the one button of the current screen whose label contains ``label``."""
        return await self.send(Press(self.button(label).action))

    async def upload(
        self, content: bytes = PNG, filename: str = "scan.png", *, declared_size: int | None = None
    ) -> list[Screen]:
        """Send a file."""
        return await self.send(FileUpload(filename, content, None, declared_size))

    async def current(self) -> list[Screen]:
        """Ask for the current screen again."""
        self.screens = await self.world.engine.current(self.key, locale=self.locale)
        return self.screens

    @property
    def screen(self) -> Screen:
        """The current menu (the last screen)."""
        return self.screens[-1]

    @property
    def text(self) -> str:
        """Every text of the last answer, joined."""
        return "\n".join(s.text for s in self.screens)

    @property
    def notes(self) -> list[str]:
        """The messages shown before the current screen."""
        return [s.text for s in self.screens[:-1]]

    @property
    def labels(self) -> list[str]:
        """The current screen's button labels."""
        return [b.label for row in self.screen.buttons for b in row]

    def button(self, label: str) -> Button:
        """The one button whose label contains ``label``."""
        found = [b for row in self.screen.buttons for b in row if label in b.label]
        assert len(found) == 1, f"{label!r} matches {[b.label for b in found]} in {self.labels}"
        return found[0]

    async def state(self) -> ConversationState:
        """The saved state."""
        stored = await self.world.storage.conversations.get(self.key)
        assert stored is not None
        state = load_state(stored.data)
        assert state is not None
        return state

    async def step(self) -> str:
        """The saved step."""
        return (await self.state()).step
