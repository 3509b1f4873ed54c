"""Block Kit rendering (pure): conversation screens (the wizard's, the team console's, alerts), notes.

Every function returns a :class:`Rendered` message (``text`` is the
notification fallback, ``blocks`` the Block Kit layout) within Slack's
limits: at most 50 blocks, 3000 characters per section, 75 per button label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.slack import actions
from adapters.slack.texts import DIGEST_EMPTY, DIGEST_TITLE, FILE_STEP_HINT, TYPE_AN_ANSWER, say
from bot.services.file_check import MAX_UPLOAD_BYTES
from conversations.screens import Button, Screen

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_BUTTON_LABEL = 75
MAX_BUTTONS_PER_ROW = 25
MAX_TEXT = 3000  # fallback text kept short; blocks carry the content


@dataclass(frozen=True)
class Rendered:
    """A message: fallback ``text`` and ``blocks``.

    ``replaces_pressed`` is False when the message answers a press the
    conversation did not apply: it is then posted anew, and the pressed message
    (which may tell a payment's outcome) is left as it is.
    """

    text: str
    blocks: list[Block] = field(default_factory=list)
    replaces_pressed: bool = True

    @property
    def has_buttons(self) -> bool:
        """Whether the message offers anything to press."""
        return any(b.get("type") == "actions" for b in self.blocks)


# -- primitives --------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` for mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: str, size: int = MAX_SECTION) -> list[str]:
    """Split ``text`` at line ends into pieces of at most ``size`` characters."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > size:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:size])
            line = line[size:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return [p if p.strip() else " " for p in pieces]


def section(text: str, *, markdown: bool = False) -> list[Block]:
    """One or more section blocks holding ``text`` (plain text unless ``markdown``)."""
    kind = "mrkdwn" if markdown else "plain_text"
    blocks: list[Block] = []
    for piece in _chunks(text):
        body: dict[str, Any] = {"type": kind, "text": piece}
        if not markdown:
            body["emoji"] = True
        blocks.append({"type": "section", "text": body})
    return blocks


def context(text: str) -> Block:
    """A small grey line (mrkdwn)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_SECTION]}]}


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    """A button; the label is cut to Slack's 75 characters."""
    text = label if len(label) <= MAX_BUTTON_LABEL else label[: MAX_BUTTON_LABEL - 1] + "…"
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions_block(elements: Sequence[Block]) -> Block:
    """An actions block (at most 25 elements)."""
    return {"type": "actions", "elements": list(elements[:MAX_BUTTONS_PER_ROW])}


def _fit(blocks: list[Block], tail: list[Block]) -> list[Block]:
    """``blocks + tail`` cut to 50 blocks, keeping ``tail`` (the live buttons) whole."""
    room = MAX_BLOCKS - len(tail)
    if room < 0:
        return tail[:MAX_BLOCKS]
    if len(blocks) > room:
        blocks = blocks[: max(room - 1, 0)] + ([context("…")] if room else [])
    return blocks + tail


def _fallback(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


# -- conversation screens -------------------------------------------------------------


def render_screens(screens: Sequence[Screen], chat_id: str, language: str) -> Rendered:
    """The engine's screens as one message; only the last screen's buttons are live.

    ``language`` is the conversation's: the few texts Slack adds (where to share a file,
    the button that opens the answer modal) are in it.

    Each button's ``action_id`` is unique in the message and its ``value``
    carries ``chat_id`` and the engine's opaque action. A screen expecting
    text gets a "Type an answer" button (a one-field modal; in a DM with the
    bot typing a message works too); one expecting a file says where to share it.
    A screen carrying a form gets its ``open`` button, which opens the form as a modal.
    """
    screens = [s for s in screens if s.text.strip() or s.buttons]  # an empty screen shows nothing
    if not screens:
        return Rendered(" ", section(" "))
    body: list[Block] = []
    for screen in screens[:-1]:
        body += section(screen.text)
        body.append({"type": "divider"})
    last = screens[-1]
    body += section(last.text)
    tail: list[Block] = []
    if last.expects == "file":
        tail.append(context(say(language, FILE_STEP_HINT, max_mb=MAX_UPLOAD_BYTES // (1024 * 1024))))
    if last.expects == "text":
        label = say(language, TYPE_AN_ANSWER)
        tail.append(actions_block([button(label, actions.TEXT_ANSWER, chat_id, style="primary")]))
    opener = last.form.open if last.form is not None else None
    if opener is not None:
        value = actions.wizard_value(chat_id, opener.action)
        tail.append(actions_block([button(opener.label, actions.FORM_OPEN, value, style="primary")]))
    for r, row in enumerate(last.buttons):
        elements = [_button(b, r, c, chat_id) for c, b in enumerate(row)]
        if elements:
            tail.append(actions_block(elements))
    return Rendered(_fallback(last.text), _fit(body, tail), replaces_pressed=screens[0].replaces_pressed)


def _button(b: Button, row: int, col: int, chat_id: str) -> Block:
    """An engine button: its press goes back to ``chat_id``'s conversation with its token."""
    return button(b.label, actions.wizard_action_id(row, col), actions.wizard_value(chat_id, b.action))


# -- digest, notes ------------------------------------------------------------------


def digest_message(lines: Sequence[str], language: str) -> Rendered:
    """The daily digest: a header and the lines (header and "nothing to report" in ``language``)."""
    title = say(language, DIGEST_TITLE)
    body = "\n".join(lines) if lines else say(language, DIGEST_EMPTY)
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    return Rendered(_fallback(f"{title}\n{body}"), _fit(blocks + section(body), []))


def note(text: str) -> Rendered:
    """A one-section message (mrkdwn)."""
    return Rendered(_fallback(text), section(text, markdown=True))
