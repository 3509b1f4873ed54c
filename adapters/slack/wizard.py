"""The conversation engine in Slack: the order wizard (and the rest of the menu) as Block Kit.

A conversation is keyed ``ConversationKey("slack", chat_id, user_id)`` where
``chat_id`` is the channel or DM the wizard was started in. Its buttons
carry that chat id (see :mod:`adapters.slack.actions`), so a press always
reaches its own conversation, also from the DM where a file was shared.

Two Slack-specific conveniences sit on top of the engine:

* **Files.** When a screen asks for a file, the user is told to share it in
  a DM with the bot, and ``slack.file_wait.<user>`` in the snapshot store
  remembers which conversation waits for it (across restarts and replicas).
* **The document-group form as a modal.** While the conversation is in its
  form step, the message gets a "Fill in the form" button; the modal asks
  the remaining questions at once and its answers are fed to the engine as
  the very answers it asks for (typed text, the choice buttons, Skip, then
  Create), so the engine itself checks them again and creates the group
  through ``services.documents.create_group``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from adapters.slack import actions
from adapters.slack.blocks import Rendered, actions_block, button, render_screens
from bot.services.documents import FormField as ServiceFormField
from bot.services.ports import PlatformRecords
from bot.services.types import ConversationKey
from conversations.engine import ConversationEngine
from conversations.events import Command, Event, FileUpload, Press, Text
from conversations.screens import Screen
from conversations.state import ConversationState, load_state

log = logging.getLogger("adapters.slack.wizard")

PLATFORM = "slack"
FORM_STEPS = frozenset({"order.form", "docs.form"})
CHOICE_FIELDS = frozenset({"salutation", "type_of_id"})
FILE_WAIT_PREFIX = "slack.file_wait."


@dataclass(frozen=True)
class OpenForm:
    """The questions a conversation's form still has to ask, and the country it insists on."""

    fields: tuple[ServiceFormField, ...]
    country_must_be: str = ""
    language: str = "en"
    answers: tuple[tuple[str, str], ...] = ()  # what the conversation's form already has (the country...)


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

    async def handle(self, chat_id: str, user_id: str, event: Event) -> Rendered:
        """Run one event and render the screens it returns."""
        key = conversation_key(chat_id, user_id)
        screens = await self._engine.handle(key, event, locale=self._locale)
        return await self.render(key, screens)

    async def start_order(self, chat_id: str, user_id: str) -> Rendered:
        """``/numbers order``: the order flow from its first step."""
        return await self.handle(chat_id, user_id, Command("order"))

    async def press(self, chat_id: str, user_id: str, action: str) -> Rendered:
        """A wizard button (the engine re-checks it against the conversation's current state)."""
        return await self.handle(chat_id, user_id, Press(action))

    async def text(self, chat_id: str, user_id: str, text: str) -> Rendered:
        """A typed answer."""
        return await self.handle(chat_id, user_id, Text(text))

    async def file(self, chat_id: str, user_id: str, upload: FileUpload) -> Rendered:
        """A document fetched from Slack."""
        return await self.handle(chat_id, user_id, upload)

    async def current_screens(self, chat_id: str, user_id: str) -> list[Screen]:
        """The conversation's current screens (nothing changes)."""
        return await self._engine.current(conversation_key(chat_id, user_id), locale=self._locale)

    # -- rendering ---------------------------------------------------------------

    async def render(self, key: ConversationKey, screens: Sequence[Screen]) -> Rendered:
        """Block Kit for ``screens``; also keeps the file-wait note and offers the form modal."""
        rendered = render_screens(screens, key.chat_id)
        await self._engine.acknowledge(key, screens)  # posted right after this returns
        last = screens[-1] if screens else None
        await self._note_file_wait(key, last is not None and last.expects == "file")
        if await self.open_form(key) is not None:
            form_button = actions_block(
                [button("📝 Fill in the form", actions.GROUP_NEW, key.chat_id, style="primary")]
            )
            rendered = replace(rendered, blocks=[*rendered.blocks[:49], form_button][-50:])
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

    # -- the form modal ------------------------------------------------------------

    async def _state(self, key: ConversationKey) -> ConversationState | None:
        stored = await self._storage.conversations.get(key)
        return load_state(stored.data) if stored is not None else None

    async def open_form(self, key: ConversationKey) -> OpenForm | None:
        """The questions still open when the conversation is in its form step, else None."""
        state = await self._state(key)
        if state is None or state.step not in FORM_STEPS or state.form is None:
            return None
        form = state.form
        remaining = form.fields[form.index :]
        if not remaining:
            return None
        return OpenForm(
            tuple(ServiceFormField(f.name, f.required) for f in remaining),
            form.country_must_be,
            state.language,
            tuple(form.answers.items()),
        )

    @staticmethod
    def _token(state: ConversationState, op: str, ref: str = "") -> str | None:
        for token, action in state.actions.items():
            if action.op == op and (not ref or action.ref == ref):
                return token
        return None

    async def submit_form(self, chat_id: str, user_id: str, answers: dict[str, str]) -> Rendered:
        """Feed validated modal answers to the engine's form, then press its Create button.

        Stops early, showing the engine's own message, if the engine does not
        take an answer (or the conversation has left the form meanwhile).
        """
        key = conversation_key(chat_id, user_id)
        screens: list[Screen] = []
        for _ in range(100):
            state = await self._state(key)
            if state is None or state.step not in FORM_STEPS or state.form is None:
                break
            form = state.form
            if form.index >= len(form.fields):
                token = self._token(state, "create")
                if token is not None:
                    screens = await self._engine.handle(key, Press(token), locale=self._locale)
                break
            field = form.fields[form.index]
            value = answers.get(field.name, "")
            event: Event | None
            if not value:
                token = self._token(state, "skip")
                event = Press(token) if token else None
            elif field.name in CHOICE_FIELDS:
                token = self._token(state, "choose", value)
                event = Press(token) if token else None
            else:
                event = Text(value)
            if event is None:
                break
            screens = await self._engine.handle(key, event, locale=self._locale)
            after = await self._state(key)
            if after is None or after.form is None or after.form.index <= form.index:
                break  # not taken (or the form is done): show what the engine said
        if not screens:
            screens = await self._engine.current(key, locale=self._locale)
        return await self.render(key, screens)
