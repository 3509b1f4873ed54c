"""Pure translation between terminal lines and conversation events and screens.

A button is pressed by typing its number; at a question that expects typed
text the line is always the answer (a building number ``2`` is not button
[2]), and the buttons are shown and pressed as ``/1``, ``/2``... Only ASCII
digits, a few of them, ever count as a button number: ``²`` or a line of
5,000 digits is just text.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from adapters.kit.commands import command_list as customer_commands
from adapters.kit.commands import is_command
from adapters.kit.download import FileTooBig, check_declared
from bot.services.file_check import MAX_UPLOAD_BYTES
from conversations.demo import MAX_DEMO_CALL_SECONDS, MAX_DEMO_DAYS
from conversations.events import Command, Event, FileUpload, Press, Text
from conversations.i18n import N_, Translator
from conversations.screens import Expects, Screen
from conversations.state import ConversationState

LOCAL_COMMANDS = ("/file PATH", "/sample", "/days N", "/sms TEXT", "/call [SECONDS]", "/quit")
PREVIOUS_KEY = "<"
NEXT_KEY = ">"
PAGING_KEYS: Mapping[str, str] = {"prev": PREVIOUS_KEY, "next": NEXT_KEY}
# Why a file cannot be read, in words the catalogs translate (other errors show the system's words).
OS_ERRORS: Mapping[int, str] = {
    errno.ENOENT: N_("console.file_missing"),
    errno.EISDIR: N_("console.file_is_folder"),
    errno.EACCES: N_("console.file_forbidden"),
    errno.EPERM: N_("console.file_forbidden"),
}
MAX_BUTTON_DIGITS = 4
LEAVES_FORM = frozenset({"nav.cancel", "nav.menu"})
YES = frozenset({"yes", "y", "tak", "t"})


@dataclass(frozen=True)
class Quit:
    """The user asked to leave."""


@dataclass(frozen=True)
class Problem:
    """Input that cannot become an event: a catalog ``key`` (with ``params``) says what is expected."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, tr: Translator) -> str:
        """The message in ``tr``'s language (a key missing from the catalogs is shown as it is)."""
        return tr.gettext(self.key, **self.params)


@dataclass(frozen=True)
class SendFile:
    """``/file PATH``: read the file and send it."""

    path: Path


@dataclass(frozen=True)
class SendSample:
    """``/sample``: send a small built-in scan (a PNG image)."""


@dataclass(frozen=True)
class AdvanceDays:
    """``/days N``: move the emulator's clock ``days`` days ahead (``None``: not a usable number)."""

    days: int | None


@dataclass(frozen=True)
class SendSms:
    """``/sms TEXT``: the emulator delivers an SMS with ``text`` to the user's newest number."""

    text: str


@dataclass(frozen=True)
class PlaceCall:
    """``/call [SECONDS]``: an incoming call on the user's newest number (``0``: missed)."""

    seconds: int


def call_argument(text: str) -> int | None:
    """``""`` -> 0 (missed), ``"120"`` -> 120; non-ASCII or out of range (0..3600) -> None."""
    if not text.strip():
        return 0
    value = button_number(text.strip())
    return value if value is not None and value <= MAX_DEMO_CALL_SECONDS else None


def days_argument(text: str) -> int | None:
    """``"30"`` -> 30; a missing, non-ASCII or out-of-range number (1..366) -> None."""
    value = button_number(text.strip())
    return value if value is not None and 1 <= value <= MAX_DEMO_DAYS else None


@dataclass(frozen=True)
class Rendered:
    """What to print, the actions that the numbers ``1..N`` press, and what the last screen expects.

    ``paging`` maps the fixed keys ``<`` and ``>`` to the Previous/Next actions,
    so turning pages is the same key on every page.
    """

    text: str
    actions: tuple[str, ...]
    expects: Expects = "choice"
    paging: Mapping[str, str] = field(default_factory=dict)


def render(screens: list[Screen]) -> Rendered:
    """Screens as terminal text; only the last screen's buttons are live.

    Buttons are numbered from 1, except Previous and Next, which are always
    ``<`` and ``>``: numbers would shift from page to page.
    """
    blocks: list[str] = []
    actions: list[str] = []
    paging: dict[str, str] = {}
    expects: Expects = screens[-1].expects if screens else "choice"
    mark = "/" if expects == "text" else ""
    for index, screen in enumerate(screens):
        lines = [screen.text]
        if index == len(screens) - 1:
            for row in screen.buttons:
                for button in row:
                    key = PAGING_KEYS.get(button.role)
                    if key is not None:
                        paging[key] = button.action
                        lines.append(f"[{mark}{key}] {button.label}")
                    else:
                        actions.append(button.action)
                        lines.append(f"[{mark}{len(actions)}] {button.label}")
        blocks.append("\n".join(lines))
    return Rendered("\n\n".join(blocks), tuple(actions), expects, paging)


def button_number(text: str) -> int | None:
    """``"2"`` -> 2; anything but a few ASCII digits (``"²"``, 5,000 digits, ``"-1"``) -> None."""
    if 0 < len(text) <= MAX_BUTTON_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None


def parse(
    line: str,
    actions: tuple[str, ...],
    expects: Expects = "choice",
    paging: Mapping[str, str] | None = None,
) -> Event | Quit | Problem | SendFile | SendSample | AdvanceDays | SendSms | PlaceCall:
    """One typed line as an event (or a local instruction).

    ``/N`` presses button N on any screen; a bare number presses it only
    where the screen does not expect typed text. ``<``/``>`` (``/<``, ``/>``)
    turn pages where ``paging`` has them.
    """
    text = line.strip()
    paging = paging or {}
    if text in {"/quit", "/exit"}:
        return Quit()
    if text == "/sample":
        return SendSample()
    if text.startswith("/file"):
        path = text[len("/file") :].strip()
        if not path:
            return Problem(N_("console.file_usage"))
        return SendFile(Path(path).expanduser())
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        if name == "days":
            return AdvanceDays(days_argument(args))
        if name == "sms":
            return SendSms(args.strip()) if args.strip() else Problem(N_("demo.sms.usage"))
        if name == "call":
            seconds = call_argument(args)
            if seconds is None:
                return Problem(N_("demo.call.usage"), {"max": MAX_DEMO_CALL_SECONDS})
            return PlaceCall(seconds)
        if not args and name in paging:
            return Press(paging[name])
        pressed = button_number(name) if not args else None
        if pressed is not None:
            if 1 <= pressed <= len(actions):
                return Press(actions[pressed - 1])
            return Problem(N_("console.no_button"), {"number": pressed})
        if is_command(name):
            return Command(name, args.strip())
        return Problem(N_("console.unknown_command"), {"name": name[:40], "commands": command_list()})
    if expects != "text" and text in paging:
        return Press(paging[text])
    choice = button_number(text) if expects != "text" else None
    if choice is not None and 1 <= choice <= len(actions):
        return Press(actions[choice - 1])
    return Text(text)


def command_list() -> str:
    """Every command the demo knows (the customer commands, then its own), for the unknown-command message."""
    return customer_commands(*LOCAL_COMMANDS)


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
    """Read a file for sending, bounded like every platform's download (:mod:`adapters.kit.download`).

    A file whose size is over ``limit`` is not read at all: it is sent with its
    declared size and no content, and the conversation refuses it by that size.
    A file that grows while it is read is cut off just past the limit. A
    missing, unreadable or oddly named file is a :class:`Problem`.
    """
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            try:
                check_declared(size, limit)
            except FileTooBig:
                return FileUpload(filename=path.name, content=b"", mime=None, declared_size=size)
            content = handle.read(limit + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        shown = f"{path!s:.200}"
        if not isinstance(exc, OSError):
            return Problem(N_("console.bad_file_name"), {"path": shown})
        key = OS_ERRORS.get(exc.errno or 0)
        if key is not None:
            return Problem(key, {"path": shown})
        return Problem(
            N_("console.cannot_read"), {"path": shown, "reason": exc.strerror or type(exc).__name__}
        )
    return FileUpload(filename=path.name, content=content, mime=None, declared_size=max(size, len(content)))
