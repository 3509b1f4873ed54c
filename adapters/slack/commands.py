"""Parsing of the ``/numbers`` slash command into typed subcommands (pure, no I/O).

``parse_command(text)`` returns one of the subcommand dataclasses below, or
raises :class:`CommandError` whose ``usage`` is the line to show back
(ephemerally) and whose ``reason`` says what was wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from bot.services.types import NumberStatus
from bot.services.validation import number_digits

COMMAND = "/numbers"

USAGE: dict[str, str] = {
    "list": f"{COMMAND} list [STATUS|COUNTRY|DIGITS]",
    "expiring": f"{COMMAND} expiring [DAYS]",
    "info": f"{COMMAND} info NUMBER",
    "prolong": f"{COMMAND} prolong NUMBER MONTHS",
    "autorenew": f"{COMMAND} autorenew NUMBER on|off",
    "callername": f"{COMMAND} callername NUMBER NAME|-",
    "sip": f"{COMMAND} sip NUMBER TARGET [test]",
    "sms": f"{COMMAND} sms NUMBER on|off",
    "order": f"{COMMAND} order",
    "docs": f"{COMMAND} docs [GROUP]",
    "assign": f"{COMMAND} assign NUMBER TELEGRAM_USER_ID",
    "audit": f"{COMMAND} audit [NUMBER]",
    "help": f"{COMMAND} help",
}

GENERAL_USAGE = f"{COMMAND} {'|'.join(USAGE)} [ARGUMENTS]"

_DESCRIPTIONS: dict[str, str] = {
    "list": "every number of the account; filter by status (on, parking, checking...), country or digits",
    "expiring": "numbers whose paid period ends within DAYS days (default 7)",
    "info": "one number's card",
    "prolong": "pay MONTHS (1-12) more months; shows the price and asks to confirm",
    "autorenew": "switch auto-renewal",
    "callername": "set the caller name (Latin letters, digits, spaces, at most 30) or clear it with -",
    "sip": "point the number at a SIP login (00001) or a SIP URI (user@host); add test for test mode",
    "sms": "switch SMS reception",
    "order": "order a number (the same wizard customers use)",
    "docs": "document groups; with GROUP: its files, verification state and rejection reasons",
    "assign": "give a number to a Telegram customer",
    "audit": "who did what, newest first (all, or one number)",
    "help": "this help",
}

STATUSES = frozenset(get_args(NumberStatus))
PENDING_STATUS = "pending"  # any status waiting for documents or their verification

MAX_EXPIRING_DAYS = 365
DEFAULT_EXPIRING_DAYS = 7


def help_text() -> str:
    """The help shown for ``/numbers`` and ``/numbers help``."""
    lines = ["Manage the account's virtual numbers:"]
    lines += [f"• `{USAGE[name]}` — {_DESCRIPTIONS[name]}" for name in USAGE]
    return "\n".join(lines)


class CommandError(Exception):
    """A subcommand or argument that cannot be used; ``usage`` is the line to show."""

    def __init__(self, usage: str, reason: str) -> None:
        super().__init__(reason)
        self.usage = usage
        self.reason = reason

    @property
    def message(self) -> str:
        """What to answer: the reason and the usage line."""
        return f"{self.reason}\nUsage: `{self.usage}`"


@dataclass(frozen=True)
class NumberFilter:
    """What ``list`` narrows to: a status (or ``pending``), digits contained, or a country."""

    kind: Literal["status", "digits", "country"]
    value: str


@dataclass(frozen=True)
class Help:
    """``/numbers`` or ``/numbers help``."""


@dataclass(frozen=True)
class ListNumbers:
    """``list [filter]``."""

    filter: NumberFilter | None = None


@dataclass(frozen=True)
class Expiring:
    """``expiring [days]``."""

    days: int = DEFAULT_EXPIRING_DAYS


@dataclass(frozen=True)
class Info:
    """``info NUMBER``."""

    number: str


@dataclass(frozen=True)
class Prolong:
    """``prolong NUMBER MONTHS`` (asks for confirmation before paying)."""

    number: str
    months: int


@dataclass(frozen=True)
class Autorenew:
    """``autorenew NUMBER on|off``."""

    number: str
    enabled: bool


@dataclass(frozen=True)
class CallerName:
    """``callername NUMBER NAME|-`` (``-`` clears)."""

    number: str
    name: str


@dataclass(frozen=True)
class Sip:
    """``sip NUMBER TARGET [test]``: without ``test`` the number leaves test mode."""

    number: str
    target: str
    test_mode: bool


@dataclass(frozen=True)
class Sms:
    """``sms NUMBER on|off``."""

    number: str
    enabled: bool


@dataclass(frozen=True)
class Order:
    """``order``: the order wizard."""


@dataclass(frozen=True)
class Docs:
    """``docs [GROUP]``."""

    group_id: int | None = None


@dataclass(frozen=True)
class Assign:
    """``assign NUMBER TELEGRAM_USER_ID``."""

    number: str
    telegram_user_id: str


@dataclass(frozen=True)
class Audit:
    """``audit [NUMBER]``."""

    number: str | None = None


Subcommand = (
    Help
    | ListNumbers
    | Expiring
    | Info
    | Prolong
    | Autorenew
    | CallerName
    | Sip
    | Sms
    | Order
    | Docs
    | Assign
    | Audit
)


normalize_number = number_digits


def parse_filter(raw: str) -> NumberFilter:
    """A ``list`` filter: a known status or ``pending``, digits (``+`` allowed), else a country."""
    value = raw.strip()
    low = value.lower()
    if low in STATUSES or low == PENDING_STATUS:
        return NumberFilter("status", low)
    digits = re.sub(r"[\s\-().]", "", value).lstrip("+")
    if digits.isdigit():
        return NumberFilter("digits", digits)
    return NumberFilter("country", value)


def _number(name: str, raw: str) -> str:
    number = normalize_number(raw)
    if number is None:
        raise CommandError(USAGE[name], f"`{raw}` is not a phone number (7 to 15 digits, + allowed).")
    return number


def _switch(name: str, raw: str) -> bool:
    low = raw.lower()
    if low in {"on", "yes", "true", "1"}:
        return True
    if low in {"off", "no", "false", "0"}:
        return False
    raise CommandError(USAGE[name], f"`{raw}` is neither on nor off.")


def _int(name: str, raw: str, what: str, low: int, high: int) -> int:
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise CommandError(USAGE[name], f"{what} must be a whole number from {low} to {high}, not `{raw}`.")
    return int(raw)


def _arity(name: str, args: list[str], least: int, most: int) -> None:
    if len(args) < least:
        raise CommandError(USAGE[name], "Something is missing.")
    if len(args) > most:
        raise CommandError(USAGE[name], "Too many arguments.")


def parse_command(text: str) -> Subcommand:
    """Parse the text after ``/numbers``; raise :class:`CommandError` when it is not usable."""
    name, _, rest = text.strip().partition(" ")
    name = name.lower()
    rest = rest.strip()
    args = rest.split()
    if name in {"", "help", "?"}:
        return Help()
    if name == "list":
        return ListNumbers(parse_filter(rest) if rest else None)
    if name == "expiring":
        _arity(name, args, 0, 1)
        return Expiring(_int(name, args[0], "DAYS", 1, MAX_EXPIRING_DAYS) if args else DEFAULT_EXPIRING_DAYS)
    if name == "info":
        _arity(name, args, 1, 1)
        return Info(_number(name, args[0]))
    if name == "prolong":
        _arity(name, args, 2, 2)
        return Prolong(_number(name, args[0]), _int(name, args[1], "MONTHS", 1, 12))
    if name in {"autorenew", "sms"}:
        _arity(name, args, 2, 2)
        number, enabled = _number(name, args[0]), _switch(name, args[1])
        return Autorenew(number, enabled) if name == "autorenew" else Sms(number, enabled)
    if name == "callername":
        if len(args) < 2:
            raise CommandError(USAGE[name], "Something is missing.")
        number_raw, _, caller = rest.partition(" ")
        return CallerName(_number(name, number_raw), caller.strip())
    if name == "sip":
        _arity(name, args, 2, 3)
        if len(args) == 3 and args[2].lower() != "test":
            raise CommandError(USAGE[name], f"`{args[2]}` is not `test`.")
        return Sip(_number(name, args[0]), args[1], len(args) == 3)
    if name == "order":
        _arity(name, args, 0, 0)
        return Order()
    if name == "docs":
        _arity(name, args, 0, 1)
        return Docs(_int(name, args[0], "GROUP", 0, 10**12) if args else None)
    if name == "assign":
        _arity(name, args, 2, 2)
        return Assign(_number(name, args[0]), str(_int(name, args[1], "TELEGRAM_USER_ID", 1, 10**15)))
    if name == "audit":
        _arity(name, args, 0, 1)
        return Audit(_number(name, args[0]) if args else None)
    raise CommandError(GENERAL_USAGE, f"`{name}` is not a subcommand; `{COMMAND} help` explains each.")
