"""The router: a few generic handlers that turn updates into conversation steps.

* ``/assign ARGS`` -> the team console's ``assign ARGS`` (the engine checks the operator);
* any other message in a private chat -> :func:`.translate.translate_message`:
  commands and text go to the conversation, photos and documents are fetched
  (size-checked first) and go to it as :class:`FileUpload`, the rest gets a hint;
* a button press -> :class:`Press`; its message is edited with the reply;
* the user blocking or restarting the bot (``my_chat_member``) -> the user's ``blocked`` flag;
* messages in groups get a pointer to the private chat (documents are personal).

The gate (:mod:`.gate`) has already ordered, de-duplicated and recorded the
update and started answering the press.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace

from aiogram import Bot, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command as CommandFilter
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from aiogram.types import User as TelegramUser

from adapters.telegram import texts
from adapters.telegram.chat_action import typing_while_slow
from adapters.telegram.files import FileFetcher, FileTooBig, FileUnavailable
from adapters.telegram.interim import Interim
from adapters.telegram.presenter import Presenter
from adapters.telegram.render import Outgoing
from adapters.telegram.sending import Sender, describe, is_unreachable
from adapters.telegram.translate import (
    IncomingFile,
    UnknownCommand,
    Unsupported,
    parse_command,
    translate_message,
    translate_press,
)
from bot.services.ports import PlatformRecords
from bot.services.types import ConversationKey, User, UserRef
from conversations.engine import ConversationEngine
from conversations.events import Command, Event, FileUpload
from conversations.screens import Screen
from conversations.steps.team import TEAM_COMMAND, TEAM_START

log = logging.getLogger("adapters.telegram")

PLATFORM = "telegram"
TEAM_CHAT = "team"
"""The chat id of an operator's team console conversation (``/assign``), beside their private chat."""


async def _outside_private_chat(message: Message) -> bool:
    """A message in a group or channel (a filter: aiogram runs a plain function's in a thread per update)."""
    return message.chat.type != ChatType.PRIVATE


class ChatHandlers:
    """The handlers and what they need; :meth:`router` wires them into an aiogram router."""

    def __init__(
        self,
        *,
        engine: ConversationEngine,
        storage: PlatformRecords,
        sender: Sender,
        presenter: Presenter,
        files: FileFetcher,
    ) -> None:
        self._engine = engine
        self._storage = storage
        self._sender = sender
        self._presenter = presenter
        self._files = files

    def router(self) -> Router:
        """A router with this object's handlers."""
        router = Router(name="telegram-conversations")
        router.message.register(self.on_group_message, _outside_private_chat)
        router.message.register(self.on_assign, CommandFilter("assign", ignore_case=True))
        router.message.register(self.on_message)
        router.callback_query.register(self.on_press)
        router.my_chat_member.register(self.on_membership)
        return router

    # ------------------------------------------------------------------ handlers
    async def on_message(
        self, message: Message, bot: Bot, customer: User | None, event_id: str | None = None
    ) -> None:
        """A message in a private chat: a command, text, a photo or document, or something else."""
        user = message.from_user
        if user is None:
            return
        incoming = translate_message(message, await self._username_if_mentioned(message, bot))
        language = self._language(customer, user)
        if isinstance(incoming, IncomingFile):
            await self._receive_file(message, user, incoming, language, event_id)
        elif isinstance(incoming, UnknownCommand):
            hint = texts.message(
                language, "unknown_command", name=incoming.name, commands=texts.command_list()
            )
            await self._say(message.chat.id, hint)
        elif isinstance(incoming, Unsupported):
            if message.text is None:  # commands for other bots are ignored silently
                await self._say(message.chat.id, texts.message(language, "unsupported"))
        else:
            await self._converse(message.chat.id, user, incoming, language=language, event_id=event_id)

    async def on_press(
        self, callback: CallbackQuery, customer: User | None, event_id: str | None = None
    ) -> None:
        """A button press: the conversation's reply replaces the pressed message.

        The gate has sent the press's answer (it stops the spinner) already; it is not waited
        for, so the reply is not held back one Bot API round trip (or by a flood wait).
        """
        event = translate_press(callback)
        origin = callback.message
        if event is None or origin is None or origin.chat.type != ChatType.PRIVATE:
            return
        edit = origin.message_id if isinstance(origin, Message) else None
        language = self._language(customer, callback.from_user)
        await self._converse(
            origin.chat.id, callback.from_user, event, language=language, edit=edit, event_id=event_id
        )

    async def on_assign(
        self, message: Message, command: CommandObject, customer: User | None, event_id: str | None = None
    ) -> None:
        """``/assign NUMBER USER_ID``: the team console's ``assign`` in the operator's console conversation.

        The engine checks that the sender is an operator and the arguments; the new owner is
        welcomed through :meth:`welcome_owner` (the engine's ``on_number_given``).
        """
        user = message.from_user
        if user is None:
            return
        key = ConversationKey(PLATFORM, TEAM_CHAT, str(user.id))
        event = Command(TEAM_COMMAND, f"assign {command.args or ''}".strip(), alias="/assign")
        try:
            async with typing_while_slow(self._sender, message.chat.id):
                screens = await self._engine.handle(
                    key, event, locale=user.language_code, event_id=event_id, start=TEAM_START
                )
        except Exception:
            log.exception("team command failed")
            await self._say(message.chat.id, texts.message(self._language(customer, user), "error"))
            return
        await self._say(message.chat.id, "\n\n".join(s.text for s in screens if s.text.strip()))

    async def on_membership(self, update: ChatMemberUpdated) -> None:
        """The user blocked (``kicked``) or restarted (``member``) the bot in their private chat."""
        if update.chat.type != ChatType.PRIVATE:
            return
        user = UserRef(PLATFORM, str(update.from_user.id))
        status = update.new_chat_member.status
        if status == ChatMemberStatus.KICKED:
            await self._storage.users.mark_blocked(user)
        elif status == ChatMemberStatus.MEMBER:
            await self._storage.users.mark_unblocked(user)

    async def on_group_message(self, message: Message, bot: Bot, customer: User | None) -> None:
        """Groups: commands addressed to the bot get a pointer to the private chat; the rest is ignored."""
        if message.text is None or message.from_user is None:
            return
        command = parse_command(message.text)
        if command is None:
            return
        me = await bot.me()
        if command[2] and (me.username or "").lower() != command[2].lower():
            return
        language = self._language(customer, message.from_user)
        await self._say(message.chat.id, texts.message(language, "private_only"))

    # ------------------------------------------------------------------ steps
    async def _converse(
        self,
        chat_id: int,
        user: TelegramUser,
        event: Event,
        *,
        language: str,
        edit: int | None = None,
        event_id: str | None = None,
    ) -> None:
        key = ConversationKey(PLATFORM, str(chat_id), str(user.id))
        interim = Interim(self._sender, chat_id, edit)
        try:
            async with typing_while_slow(self._sender, chat_id) as typing:

                async def show_interim(screen: Screen) -> None:
                    typing.stop()  # "⏳ …" says it: no "typing…" on top of it
                    await interim.show(screen)

                screens = await self._engine.handle(
                    key, event, locale=user.language_code, event_id=event_id, interim=show_interim
                )
        except Exception:
            log.exception("conversation step failed", extra={"event": type(event).__name__})
            failed = texts.message(language, "error")
            if interim.message_id is not None:  # "⏳" must not stay on screen: the failure takes its place
                with contextlib.suppress(TelegramAPIError):
                    if await self._sender.edit(chat_id, interim.message_id, Outgoing(failed)):
                        return
            await self._say(chat_id, failed)
            return
        if interim.message_id is not None:  # "⏳" is on screen: the reply takes its place
            edit = interim.message_id
            screens = [replace(screens[0], replaces_pressed=True), *screens[1:]] if screens else screens
        try:
            await self._presenter.show(chat_id, screens, edit=edit, language=language)
        except TelegramAPIError as error:
            await self._delivery_failed(chat_id, user, error)
            return
        await self._engine.acknowledge(key, screens)

    async def _receive_file(
        self, message: Message, user: TelegramUser, file: IncomingFile, language: str, event_id: str | None
    ) -> None:
        chat_id = message.chat.id
        try:
            async with typing_while_slow(self._sender, chat_id):
                content = await self._files.fetch(file)
        except FileTooBig as error:
            size = texts.human_size(error.size)
            limit = texts.human_size(error.limit)
            await self._say(chat_id, texts.message(language, "file_too_big", size=size, limit=limit))
            return
        except (FileUnavailable, TelegramAPIError) as error:
            log.warning("could not fetch a file", extra={"error": describe(error)})
            await self._say(chat_id, texts.message(language, "file_failed"))
            return
        upload = FileUpload(filename=file.filename, content=content, mime=file.mime, declared_size=file.size)
        await self._converse(chat_id, user, upload, language=language, event_id=event_id)

    async def welcome_owner(self, number: str, owner: UserRef) -> None:
        """Tell a Telegram customer that ``number`` (digits) is now theirs (customers elsewhere: nothing)."""
        if owner.platform != PLATFORM:
            return
        record = await self._storage.users.get(owner)
        chat_id = record.chat_id if record is not None and record.chat_id else owner.user_id
        language = texts.pick_language(record.language if record is not None else None)
        try:
            await self._sender.send(
                chat_id, Outgoing(texts.message(language, "assign_welcome", number=number))
            )
        except TelegramAPIError as error:
            # The customer may never have opened the bot; the assignment stands.
            log.info("could not tell the new owner", extra={"error": describe(error)})

    async def _say(self, chat_id: int, text: str) -> None:
        try:
            await self._sender.send(chat_id, Outgoing(text))
        except TelegramAPIError as error:
            log.warning("could not reply", extra={"error": describe(error)})

    async def _delivery_failed(self, chat_id: int, user: TelegramUser, error: TelegramAPIError) -> None:
        if is_unreachable(error):
            await self._storage.users.mark_blocked(UserRef(PLATFORM, str(user.id)))
            log.info("user blocked the bot", extra={"chat": chat_id})
        else:
            log.warning("could not show a reply", extra={"error": describe(error)})

    @staticmethod
    def _language(customer: User | None, user: TelegramUser) -> str:
        return texts.pick_language(customer.language if customer is not None else None, user.language_code)

    @staticmethod
    async def _username_if_mentioned(message: Message, bot: Bot) -> str | None:
        text = message.text or ""
        if text.startswith("/") and "@" in text.split(maxsplit=1)[0]:
            return (await bot.me()).username
        return None
