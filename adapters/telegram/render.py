"""Screens as Telegram messages: pure functions, no I/O.

A :class:`~conversations.screens.Screen` becomes one message (plain text, no
parse mode) with an inline keyboard built from its button rows; a button's
``action`` is its ``callback_data`` as is. A screen longer than Telegram's
4096 characters is split at line breaks, with the keyboard under the last part.

The keyboard is written as the Bot API's ``reply_markup`` object, plain data
ready for the call's JSON body: built as aiogram's models it would be
validated button by button and dumped back to the same data on every message
sent (:meth:`Outgoing.markup` gives aiogram's model where one is wanted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from aiogram.types import InlineKeyboardMarkup

from conversations.screens import Button, Screen

MAX_TEXT = 4096
"""Telegram's limit on a message's text, in UTF-16 code units."""

MAX_CALLBACK_DATA = 64
"""Telegram's limit on ``callback_data``, in bytes."""

EMPTY_TEXT = "…"
"""Sent instead of an empty screen text, which Telegram refuses."""


ReplyMarkup: TypeAlias = dict[str, list[list[dict[str, Any]]]]
"""An inline keyboard as the Bot API takes it: ``{"inline_keyboard": [[button, ...], ...]}``."""


@dataclass(frozen=True)
class Outgoing:
    """One message to send or to edit in: its text and its inline keyboard (if any)."""

    text: str
    keyboard: ReplyMarkup | None = None

    def markup(self) -> InlineKeyboardMarkup | None:
        """The keyboard as aiogram's (validated) model, or ``None`` without one."""
        return None if self.keyboard is None else InlineKeyboardMarkup.model_validate(self.keyboard)


def keyboard(rows: Sequence[Sequence[Button]]) -> ReplyMarkup | None:
    """The inline keyboard for button rows; ``None`` when there are no buttons.

    Raises ``ValueError`` for an action longer than 64 bytes (a bug in the
    conversation: Telegram would refuse the whole message).
    """
    built: list[list[dict[str, Any]]] = []
    for row in rows:
        line = []
        for button in row:
            if len(button.action.encode("utf-8")) > MAX_CALLBACK_DATA:
                raise ValueError(f"button action longer than {MAX_CALLBACK_DATA} bytes: {button.action!r}")
            line.append({"text": button.label or EMPTY_TEXT, "callback_data": button.action})
        if line:
            built.append(line)
    return {"inline_keyboard": built} if built else None


def telegram_length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (most emoji count twice)."""
    return len(text.encode("utf-16-le")) // 2


def _longest_prefix(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in parts Telegram accepts (``limit`` UTF-16 units each), cut at line breaks where possible."""
    text = text.strip("\n")
    if not text.strip():
        return [EMPTY_TEXT]
    parts: list[str] = []
    while telegram_length(text) > limit:
        fits = _longest_prefix(text, limit)
        cut = text.rfind("\n", 0, fits + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, fits + 1)
        if cut <= 0:
            cut = fits
        head, text = text[:cut].rstrip(), text[cut:].lstrip("\n ")
        if head:
            parts.append(head)
    if text:
        parts.append(text)
    return parts


@dataclass(frozen=True)
class WebAppLink:
    """The Mini App button of the current menu: the page's ``url`` and the button's translated ``label``."""

    url: str
    label: str


def web_app_label(screen: Screen, upload_label: str) -> str | None:
    """The Mini App button's label for ``screen``, or None when the page has nothing for it.

    A screen carrying a form with an ``open`` button offers the whole form (under
    that button's label); a screen asking for a file offers the page's document
    capture (``upload_label``); others offer nothing.
    """
    if screen.form is not None and screen.form.open is not None:
        return screen.form.open.label
    return upload_label if screen.expects == "file" else None


def render_screen(screen: Screen, web_app: WebAppLink | None = None) -> list[Outgoing]:
    """One screen as one message (or a few, when its text is very long).

    ``web_app`` adds a Mini App button as the keyboard's first row.
    """
    parts = split_text(screen.text)
    markup = keyboard(screen.buttons)
    if web_app is not None:
        button = {"text": web_app.label or EMPTY_TEXT, "web_app": {"url": web_app.url}}
        rows = markup["inline_keyboard"] if markup is not None else []
        markup = {"inline_keyboard": [[button], *rows]}
    return [Outgoing(part, markup if index == len(parts) - 1 else None) for index, part in enumerate(parts)]


def render_screens(screens: Sequence[Screen], web_app: WebAppLink | None = None) -> list[Outgoing]:
    """Every screen, in order; the conversation's current menu is the last message (with ``web_app``)."""
    last = len(screens) - 1
    return [
        message
        for index, screen in enumerate(screens)
        for message in render_screen(screen, web_app if index == last else None)
    ]
