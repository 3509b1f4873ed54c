"""Pure translation between terminal lines and conversation events and screens.

A button is pressed by typing its number; at a question that expects typed
text the line is always the answer (a building number ``2`` is not button
[2]), and the buttons are shown and pressed as ``/1``, ``/2``... Only ASCII
digits, a few of them, ever count as a button number: ``²`` or a line of
5,000 digits is just text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.services.file_check import MAX_UPLOAD_BYTES
from conversations.events import Command, Event, FileUpload, Press, Text
from conversations.screens import Expects, Screen
from conversations.state import ConversationState

COMMANDS = frozenset({"start", "order", "numbers", "documents", "language", "help", "cancel"})
MAX_BUTTON_DIGITS = 4
LEAVES_FORM = frozenset({"nav.cancel", "nav.menu"})
YES = frozenset({"yes", "y", "tak", "t"})


@dataclass(frozen=True)
class Rendered:
    """What to print, the actions that the numbers ``1..N`` press, and what the last screen expects."""

    text: str
    actions: tuple[str, ...]
    expects: Expects = "choice"


@dataclass(frozen=True)
class Quit:
    """The user asked to leave."""


@dataclass(frozen=True)
class Problem:
    """Input that cannot become an event; ``message`` says what is expected."""

    message: str


@dataclass(frozen=True)
class SendFile:
    """``/file PATH``: read the file and send it."""

    path: Path


@dataclass(frozen=True)
class SendSample:
    """``/sample``: send a small built-in scan (a PNG image)."""


def render(screens: list[Screen]) -> Rendered:
    """Screens as terminal text; only the last screen's buttons are live, numbered from 1."""
    blocks: list[str] = []
    actions: list[str] = []
    expects: Expects = screens[-1].expects if screens else "choice"
    mark = "/" if expects == "text" else ""
    for index, screen in enumerate(screens):
        lines = [screen.text]
        if index == len(screens) - 1:
            for row in screen.buttons:
                for button in row:
                    actions.append(button.action)
                    lines.append(f"[{mark}{len(actions)}] {button.label}")
        blocks.append("\n".join(lines))
    return Rendered("\n\n".join(blocks), tuple(actions), expects)


def button_number(text: str) -> int | None:
    """``"2"`` -> 2; anything but a few ASCII digits (``"²"``, 5,000 digits, ``"-1"``) -> None."""
    if 0 < len(text) <= MAX_BUTTON_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None


def parse(
    line: str, actions: tuple[str, ...], expects: Expects = "choice"
) -> Event | Quit | Problem | SendFile | SendSample:
    """One typed line as an event (or a local instruction).

    ``/N`` presses button N on any screen; a bare number presses it only
    where the screen does not expect typed text.
    """
    text = line.strip()
    if text in {"/quit", "/exit"}:
        return Quit()
    if text == "/sample":
        return SendSample()
    if text.startswith("/file"):
        path = text[len("/file") :].strip()
        if not path:
            return Problem("Usage: /file PATH (a JPEG, PNG or PDF scan)")
        return SendFile(Path(path).expanduser())
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        pressed = button_number(name) if not args else None
        if pressed is not None:
            if 1 <= pressed <= len(actions):
                return Press(actions[pressed - 1])
            return Problem(f"There is no button [{pressed}] here.")
        if name in COMMANDS:
            return Command(name, args.strip())
        return Problem(
            f"Unknown command /{name}. Commands: /{', /'.join(sorted(COMMANDS))}, /file PATH, /quit"
        )
    choice = button_number(text) if expects != "text" else None
    if choice is not None and 1 <= choice <= len(actions):
        return Press(actions[choice - 1])
    return Text(text)


def answers_at_stake(state: ConversationState | None, event: Event) -> int:
    """How many form answers ``event`` would throw away (0 when it keeps them, or there are none).

    Every command leaves the form for another screen; so do Cancel and Main
    menu, and Back on the first question.
    """
    form = state.form if state is not None else None
    if form is None or not form.answers:
        return 0
    if isinstance(event, Command):
        return len(form.answers)
    if isinstance(event, Press):
        action = state.actions.get(event.action) if state is not None else None
        if action is not None and (action.op in LEAVES_FORM or (action.op == "back" and form.index == 0)):
            return len(form.answers)
    return 0


def confirms(line: str) -> bool:
    """Whether a typed answer to "discard?" means yes."""
    return line.strip().lower() in YES


def file_event(path: Path, limit: int = MAX_UPLOAD_BYTES) -> FileUpload | Problem:
    """Read a file for sending (at most ``limit`` + 1 bytes, so the size check still sees it is too big).

    A missing, unreadable or oddly named file is a :class:`Problem`.
    """
    try:
        with path.open("rb") as handle:
            content = handle.read(limit + 1)
            size = len(content)
            if size > limit:
                handle.seek(0, 2)
                size = max(size, handle.tell())
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable file name"
        return Problem(f"Cannot read {path!s:.200}: {reason}")
    return FileUpload(filename=path.name, content=content, mime=None, declared_size=size)
