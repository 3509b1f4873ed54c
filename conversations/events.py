"""What a user can do, whatever the platform: type, press, send a file, run a command."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

COMMANDS = frozenset({"start", "order", "numbers", "documents", "language", "help", "cancel"})
"""Command names the engine understands (``/start`` ... ``/cancel``); operators also have ``team``
(the team console, see :mod:`conversations.steps.team`), which no customer command list offers."""


@dataclass(frozen=True)
class Text:
    """A typed message."""

    text: str


@dataclass(frozen=True)
class Press:
    """A button press; ``action`` is the button's opaque token."""

    action: str


@dataclass(frozen=True)
class FileUpload:
    """A file or photo sent into the chat, held in memory only.

    ``declared_size`` is the size the platform announced before download (it
    lets an oversized file be refused without reading it); ``content`` is
    left out of ``repr`` so documents never end up in logs.
    """

    filename: str
    content: bytes = field(repr=False)
    mime: str | None = None
    declared_size: int | None = None


@dataclass(frozen=True)
class Command:
    """A slash command such as ``/order`` with its free-text ``args``.

    ``alias`` is how the platform's user typed it when that is not the command's own
    name (Telegram's ``/assign ARGS`` is ``Command("team", "assign ARGS", "/assign")``):
    usage lines then show the alias.
    """

    name: str
    args: str = ""
    alias: str = ""


@dataclass(frozen=True)
class FormSubmitted:
    """A whole form filled in at once: ``answers`` by field name (an empty string: left empty).

    ``form`` is the token of the form's ``open`` button, when the platform
    opened the form from it: the submission is then refused as expired unless
    that form is still the one on screen.
    """

    answers: Mapping[str, str]
    form: str = ""


Event: TypeAlias = Text | Press | FileUpload | Command | FormSubmitted
