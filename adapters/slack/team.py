"""The team console in Slack: ``/numbers ARGS`` and its buttons run as the engine's team conversation.

Each operator has one console conversation, keyed
``ConversationKey("slack", "team", user)`` wherever the command was typed, so
a card shown in one channel and a confirmation in another share their
buttons. Buttons carry ``team|TOKEN``: the engine's opaque token, never a
number or a price. Alerts in the team's channel carry ``alerts:CHANNEL|TOKEN``:
their tokens live in the channel's own conversation (no user speaks in it)
and a press runs in the presser's console (see
:meth:`ConversationEngine.press_shared`). The engine re-checks on every
event that the user is an operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapters.slack.blocks import Rendered, render_screens
from bot.services.types import ConversationKey
from conversations.engine import ConversationEngine
from conversations.events import Command, Press
from conversations.notices import Notice
from conversations.screens import Screen
from conversations.steps.team import TEAM_COMMAND, TEAM_START

PLATFORM = "slack"
TEAM_CHAT = "team"
ALERTS_PREFIX = "alerts:"
ALERTS_USER = "alerts"  # no Slack user id looks like this (they start with U or W)


def team_key(user_id: str) -> ConversationKey:
    """The console conversation of one operator."""
    return ConversationKey(PLATFORM, TEAM_CHAT, user_id)


def alerts_key(channel: str) -> ConversationKey:
    """The conversation holding the buttons of the alerts posted to ``channel``."""
    return ConversationKey(PLATFORM, ALERTS_PREFIX + channel, ALERTS_USER)


def is_empty(screens: Sequence[Screen]) -> bool:
    """Nothing to show (a confirmation was cancelled): the message pressed can go."""
    return all(not s.text.strip() and not s.buttons for s in screens)


@dataclass(frozen=True)
class TeamAnswer:
    """What a press answers: the message, whether it is empty, whether the press changed anything."""

    message: Rendered
    empty: bool
    applied: bool


class TeamConsole:
    """Runs console commands and presses through the engine and renders the screens."""

    def __init__(self, engine: ConversationEngine, *, locale: str | None = None) -> None:
        self._engine = engine
        self._locale = locale

    async def _render(self, key: ConversationKey, screens: Sequence[Screen]) -> Rendered:
        language = await self._engine.language_of(key, locale=self._locale)
        rendered = render_screens(screens, key.chat_id, language)
        await self._engine.acknowledge(key, screens)  # posted right after this returns
        return rendered

    async def command(self, user_id: str, text: str) -> tuple[Rendered, bool]:
        """``/numbers TEXT``: the message to show, and whether it is empty."""
        key = team_key(user_id)
        event = Command(TEAM_COMMAND, text)
        screens = await self._engine.handle(key, event, locale=self._locale, start=TEAM_START)
        return await self._render(key, screens), is_empty(screens)

    async def press(self, chat_id: str, user_id: str, token: str) -> TeamAnswer:
        """A console button (``chat_id`` ``team``) or an alert's (``alerts:CHANNEL``)."""
        key = team_key(user_id)
        applied = True
        if chat_id.startswith(ALERTS_PREFIX):
            source = ConversationKey(PLATFORM, chat_id, ALERTS_USER)
            screens, applied = await self._engine.press_shared(key, source, token, locale=self._locale)
        else:
            screens = await self._engine.handle(key, Press(token), locale=self._locale, start=TEAM_START)
        return TeamAnswer(await self._render(key, screens), is_empty(screens), applied)

    async def alert(
        self, channel: str, notice: Notice, *, prolong: bool, autorenew: bool, card: bool, language: str
    ) -> Rendered:
        """An alert for ``channel`` with one-tap buttons any operator may press."""
        key = alerts_key(channel)
        screen = await self._engine.team_notice(
            key, notice, prolong=prolong, autorenew=autorenew, card=card, locale=language
        )
        return render_screens([screen], key.chat_id, language)

    async def language(self, user_id: str) -> str:
        """The operator's console language (their choice, else the Slack locale, else the default)."""
        return await self._engine.language_of(team_key(user_id), locale=self._locale)
