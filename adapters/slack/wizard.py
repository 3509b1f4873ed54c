"""The conversation engine in Slack: the order wizard (and the rest of the menu) as Block Kit.

A conversation is keyed ``ConversationKey("slack", chat_id, user_id)`` where
``chat_id`` is the channel or DM the wizard was started in. Its buttons
carry that chat id (see :mod:`adapters.slack.actions`), so a press always
reaches its own conversation, also from the DM where a file was shared.

Two Slack-specific conveniences sit on top of the engine:

* **Files.** When a screen asks for a file, the user is told to share it in
  a DM with the bot, and ``slack.file_wait.<user>`` in the snapshot store
  remembers which conversation waits for it (across restarts and replicas).
* **Forms as modals.** A screen that carries a form description gets its
  ``open`` button (an engine token); :meth:`Wizard.form` gives that form while
  it is on screen, the modal is built from it alone, and the submission goes
  to the engine as :class:`~conversations.events.FormSubmitted`, which the
  conversation's form step checks and applies.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from adapters.slack.blocks import Rendered, render_screens
from bot.services.ports import PlatformRecords
from bot.services.types import ConversationKey
from conversations.context import Interim
from conversations.engine import ConversationEngine
from conversations.events import Command, Event, FileUpload, FormSubmitted, Press, Text
from conversations.i18n import normalize_language
from conversations.screens import Form, Screen

log = logging.getLogger("adapters.slack.wizard")

PLATFORM = "slack"
FILE_WAIT_PREFIX = "slack.file_wait."


def conversation_key(chat_id: str, user_id: str) -> ConversationKey:
    """The engine's key for a Slack user in a channel or DM."""
    return ConversationKey(PLATFORM, chat_id, user_id)


class Wizard:
    """Runs events through the engine and renders the resulting screens for Slack."""

    def __init__(
        self, engine: ConversationEngine, storage: PlatformRecords, *, locale: str | None = None
    ) -> None:
        self._engine = engine
        self._storage = storage
        self._locale = locale

    # -- events ------------------------------------------------------------------

    async def handle(
        self, chat_id: str, user_id: str, event: Event, *, interim: Interim | None = None
    ) -> Rendered:
        """Run one event and render the screens it returns (``interim``: as ``ConversationEngine.handle``)."""
        key = conversation_key(chat_id, user_id)
        screens = await self._engine.handle(key, event, locale=self._locale, interim=interim)
        return await self.render(key, screens)

    async def start_order(self, chat_id: str, user_id: str) -> Rendered:
        """``/numbers order``: the order flow from its first step."""
        return await self.handle(chat_id, user_id, Command("order"))

    async def press(
        self, chat_id: str, user_id: str, action: str, *, interim: Interim | None = None
    ) -> Rendered:
        """A wizard button (the engine re-checks it against the conversation's current state)."""
        return await self.handle(chat_id, user_id, Press(action), interim=interim)

    async def text(self, chat_id: str, user_id: str, text: str) -> Rendered:
        """A typed answer."""
        return await self.handle(chat_id, user_id, Text(text))

    async def file(self, chat_id: str, user_id: str, upload: FileUpload) -> Rendered:
        """A document fetched from Slack."""
        return await self.handle(chat_id, user_id, upload)

    async def current_screens(self, chat_id: str, user_id: str) -> list[Screen]:
        """The conversation's current screens (nothing changes)."""
        return await self._engine.current(conversation_key(chat_id, user_id), locale=self._locale)

    # -- forms ---------------------------------------------------------------------

    async def form(self, chat_id: str, user_id: str, token: str) -> Form | None:
        """The form whose open button is ``token``, while the conversation shows it (else None)."""
        return await self._engine.form(conversation_key(chat_id, user_id), token, locale=self._locale)

    async def check_form(self, chat_id: str, user_id: str, submitted: FormSubmitted) -> dict[str, str] | None:
        """The per-field errors the conversation would refuse ``submitted`` with (None: expired)."""
        key = conversation_key(chat_id, user_id)
        return await self._engine.check_form(key, submitted, locale=self._locale)

    async def submit_answers(self, chat_id: str, user_id: str, submitted: FormSubmitted) -> Rendered:
        """Apply a whole form submission; the screens that follow."""
        return await self.handle(chat_id, user_id, submitted)

    @property
    def language(self) -> str:
        """The language of texts for someone with no conversation yet: the team's Slack locale."""
        return normalize_language(self._locale) or "en"

    async def language_of(self, chat_id: str, user_id: str) -> str:
        """The language ``user_id``'s conversation in ``chat_id`` speaks (reads only)."""
        return await self._engine.language_of(conversation_key(chat_id, user_id), locale=self._locale)

    # -- rendering ---------------------------------------------------------------

    async def render(self, key: ConversationKey, screens: Sequence[Screen]) -> Rendered:
        """Block Kit for ``screens``; also keeps the file-wait note."""
        language = await self._engine.language_of(key, locale=self._locale)
        rendered = render_screens(screens, key.chat_id, language)
        await self._engine.acknowledge(key, screens)  # posted right after this returns
        last = screens[-1] if screens else None
        await self._note_file_wait(key, last is not None and last.expects == "file")
        return rendered

    # -- files ---------------------------------------------------------------------

    async def _note_file_wait(self, key: ConversationKey, waiting: bool) -> None:
        name = FILE_WAIT_PREFIX + key.user_id
        if waiting:
            await self._storage.snapshots.save_snapshot(name, key.chat_id)
        elif await self._storage.snapshots.load_snapshot(name) == key.chat_id:
            await self._storage.snapshots.save_snapshot(name, "")

    async def chat_waiting_for_file(self, user_id: str) -> str | None:
        """The chat of the user's conversation that waits for a file, if one does."""
        chat_id = await self._storage.snapshots.load_snapshot(FILE_WAIT_PREFIX + user_id)
        return chat_id or None
