"""Telegram messages and button presses as conversation events: pure functions, no I/O.

A message is one of:

* a conversation command (``/order``, ``/cancel@my_bot``) -> :class:`Command`;
* another ``/command`` -> :class:`UnknownCommand` (the adapter answers with a hint);
* a photo or a document -> :class:`IncomingFile`, a description of the file that
  the adapter still has to fetch (it becomes a :class:`FileUpload` once downloaded);
* text -> :class:`Text`;
* anything else (stickers, voice, locations...) -> :class:`Unsupported`.

A press (callback query) is a :class:`Press` with the button's ``callback_data``.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass

from aiogram.types import CallbackQuery, Message, PhotoSize

from adapters.kit.commands import is_command
from conversations.events import Command, Event, Press, Text

PHOTO_MIME = "image/jpeg"
"""Telegram re-encodes photos as JPEG."""


@dataclass(frozen=True)
class IncomingFile:
    """A file in a message, before download: what Telegram tells about it."""

    file_id: str
    filename: str
    mime: str | None
    size: int | None


@dataclass(frozen=True)
class UnknownCommand:
    """A ``/command`` the conversations do not know (``name`` without the slash)."""

    name: str


@dataclass(frozen=True)
class Unsupported:
    """A message the bot cannot use (a sticker, a voice note, a location...)."""


_COMMAND = re.compile(
    r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@(?P<mention>[A-Za-z0-9_]+))?(?:\s+(?P<args>.*))?$", re.DOTALL
)

Incoming = Event | IncomingFile | UnknownCommand | Unsupported


def parse_command(text: str) -> tuple[str, str, str] | None:
    """``"/Order@my_bot  x y"`` -> ``("order", "x y", "my_bot")``; ``None`` if not a command.

    A command is ``/`` and a name of Latin letters, digits and ``_`` (at most 32),
    optionally ``@bot_username``, then arguments after white space. ``/22/33``
    or ``/ x`` are not commands.
    """
    match = _COMMAND.match(text)
    if match is None:
        return None
    return match["name"].lower(), (match["args"] or "").strip(), match["mention"] or ""


def largest_photo(sizes: list[PhotoSize]) -> PhotoSize:
    """The biggest of a photo's sizes (by pixels, then by bytes)."""
    return max(sizes, key=lambda p: (p.width * p.height, p.file_size or 0))


def incoming_file(message: Message) -> IncomingFile | None:
    """The photo (its largest size) or document in ``message``, if any."""
    if message.photo:
        photo = largest_photo(message.photo)
        return IncomingFile(
            file_id=photo.file_id,
            filename=f"photo_{message.message_id}.jpg",
            mime=PHOTO_MIME,
            size=photo.file_size,
        )
    document = message.document
    if document is not None:
        filename = document.file_name or _default_name(message.message_id, document.mime_type)
        return IncomingFile(
            file_id=document.file_id, filename=filename, mime=document.mime_type, size=document.file_size
        )
    return None


def _default_name(message_id: int, mime: str | None) -> str:
    extension = (mimetypes.guess_extension(mime) if mime else None) or ""
    return f"document_{message_id}{extension}"


def translate_message(message: Message, bot_username: str | None = None) -> Incoming:
    """What a customer's message means to the conversation."""
    file = incoming_file(message)
    if file is not None:
        return file
    if message.text is None:
        return Unsupported()
    command = parse_command(message.text)
    if command is None:
        return Text(message.text)
    name, args, mention = command
    if mention and bot_username and mention.lower() != bot_username.lower():
        return Unsupported()  # meant for another bot in the same chat
    if is_command(name):
        return Command(name, args)
    return UnknownCommand(name)


def translate_press(callback: CallbackQuery) -> Press | None:
    """A button press; ``None`` for presses without data (games, inline-mode buttons)."""
    if not callback.data:
        return None
    return Press(callback.data)
