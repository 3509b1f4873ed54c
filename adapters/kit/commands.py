"""The customer commands, once: names in menu order with descriptions from the translated catalogs.

Telegram publishes them with ``setMyCommands`` (one menu per language), the console
lists them for an unknown command, and any other platform's help shows the same lines.
The names are exactly the commands the conversation engine understands
(:data:`conversations.events.COMMANDS`); a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from conversations.i18n import N_, translator

CUSTOMER_COMMANDS: Final = ("start", "order", "numbers", "documents", "language", "help", "cancel")
"""The commands that become :class:`conversations.events.Command` events, in menu order."""

_DESCRIPTIONS: Final = {
    "start": N_("commands.start"),
    "order": N_("commands.order"),
    "numbers": N_("commands.numbers"),
    "documents": N_("commands.documents"),
    "language": N_("commands.language"),
    "help": N_("commands.help"),
    "cancel": N_("commands.cancel"),
}


@dataclass(frozen=True)
class CommandInfo:
    """One command as a menu shows it: ``name`` without the slash, ``description`` translated."""

    name: str
    description: str


def is_command(name: str) -> bool:
    """Whether ``name`` (no slash) is one of the customer commands."""
    return name in _DESCRIPTIONS


def command_catalog(language: str) -> tuple[CommandInfo, ...]:
    """Every customer command with its description in ``language`` (English when not supported)."""
    tr = translator(language)
    return tuple(CommandInfo(name, tr.gettext(_DESCRIPTIONS[name])) for name in CUSTOMER_COMMANDS)


def command_list(*extra: str) -> str:
    """``/start, /order, ...`` (then ``extra``, such as a platform's own commands) for hints."""
    return ", ".join([*(f"/{name}" for name in CUSTOMER_COMMANDS), *extra])


def help_lines(language: str) -> str:
    """One ``/name: description`` line per command, in ``language``."""
    return "\n".join(f"/{info.name}: {info.description}" for info in command_catalog(language))
