"""Pure translation between terminal lines and conversation events and screens."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conversations.events import Command, Event, FileUpload, Press, Text
from conversations.screens import Screen

COMMANDS = frozenset({"start", "order", "numbers", "documents", "language", "help", "cancel"})


@dataclass(frozen=True)
class Rendered:
    """What to print, and the actions that the numbers ``1..N`` press."""

    text: str
    actions: tuple[str, ...]


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
    for index, screen in enumerate(screens):
        lines = [screen.text]
        if index == len(screens) - 1:
            for row in screen.buttons:
                for button in row:
                    actions.append(button.action)
                    lines.append(f"[{len(actions)}] {button.label}")
        blocks.append("\n".join(lines))
    return Rendered("\n\n".join(blocks), tuple(actions))


def parse(line: str, actions: tuple[str, ...]) -> Event | Quit | Problem | SendFile | SendSample:
    """One typed line as an event (or a local instruction)."""
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
        if name in COMMANDS:
            return Command(name, args.strip())
        return Problem(
            f"Unknown command /{name}. Commands: /{', /'.join(sorted(COMMANDS))}, /file PATH, /quit"
        )
    if text.isdigit() and actions:
        choice = int(text)
        if 1 <= choice <= len(actions):
            return Press(actions[choice - 1])
    return Text(text)


def file_event(path: Path) -> FileUpload | Problem:
    """Read a file for sending; a missing or unreadable file is a :class:`Problem`."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        return Problem(f"Cannot read {path}: {exc.strerror or exc}")
    return FileUpload(filename=path.name, content=content, mime=None, declared_size=len(content))
