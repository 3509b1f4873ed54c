"""Parsing of the team console's commands (``/numbers list``, ``/numbers prolong ...``), pure.

``parse_command(text)`` returns one of the subcommand dataclasses below, or
raises :class:`CommandError`, whose :meth:`~CommandError.message` is the
translated reason and usage line to show back. The subcommand names stay
English in every language (they are typed); what they take is translated.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.selection import NumberFilter, parse_filter
from bot.services.validation import number_digits
from conversations.i18n import N_, Translator

COMMAND = "/numbers"
"""How the team types the console's commands (the Slack slash command)."""

SUBCOMMANDS: tuple[str, ...] = (
    "list",
    "expiring",
    "info",
    "prolong",
    "autorenew",
    "callername",
    "sip",
    "sms",
    "order",
    "docs",
    "assign",
    "audit",
    "help",
)

_ARGUMENTS: dict[str, str] = {
    "list": N_("team.args.list"),
    "expiring": N_("team.args.expiring"),
    "info": N_("team.args.info"),
    "prolong": N_("team.args.prolong"),
    "autorenew": N_("team.args.autorenew"),
    "callername": N_("team.args.callername"),
    "sip": N_("team.args.sip"),
    "sms": N_("team.args.sms"),
    "order": "",
    "docs": N_("team.args.docs"),
    "assign": N_("team.args.assign"),
    "audit": N_("team.args.audit"),
    "help": "",
}

_DESCRIPTIONS: dict[str, str] = {
    "list": N_("team.help.list"),
    "expiring": N_("team.help.expiring"),
    "info": N_("team.help.info"),
    "prolong": N_("team.help.prolong"),
    "autorenew": N_("team.help.autorenew"),
    "callername": N_("team.help.callername"),
    "sip": N_("team.help.sip"),
    "sms": N_("team.help.sms"),
    "order": N_("team.help.order"),
    "docs": N_("team.help.docs"),
    "assign": N_("team.help.assign"),
    "audit": N_("team.help.audit"),
    "help": N_("team.help.help"),
}

_WHAT: dict[str, str] = {
    "DAYS": N_("team.what.days"),
    "MONTHS": N_("team.what.months"),
    "GROUP": N_("team.what.group"),
    "TELEGRAM_USER_ID": N_("team.what.telegram_user"),
}

MAX_EXPIRING_DAYS = 365
DEFAULT_EXPIRING_DAYS = 7
GENERAL = ""
"""The usage "name" of the command as a whole."""


def usage_line(tr: Translator, name: str, alias: str = "") -> str:
    """The usage of subcommand ``name`` (``/numbers prolong NUMBER MONTHS``), or of the whole command.

    ``alias`` is the platform's own command for the subcommand (``/assign NUMBER ...``).
    """
    if name == GENERAL:
        arguments = tr.gettext("team.args.any")
        return f"{COMMAND} {'|'.join(SUBCOMMANDS)} {arguments}"
    typed = alias or f"{COMMAND} {name}"
    key = _ARGUMENTS[name]
    return f"{typed} {tr.gettext(key)}" if key else typed


def help_text(tr: Translator) -> str:
    """The help shown for ``/numbers`` and ``/numbers help`` (mrkdwn code marks)."""
    lines = [tr.gettext("team.help.title")]
    lines += [f"• `{usage_line(tr, name)}` — {tr.gettext(_DESCRIPTIONS[name])}" for name in SUBCOMMANDS]
    return "\n".join(lines)


class CommandError(Exception):
    """A subcommand or argument that cannot be used: ``usage`` names the subcommand, ``key`` the reason."""

    def __init__(self, usage: str, key: str, **params: object) -> None:
        super().__init__(key)
        self.usage = usage
        self.key = key
        self.params = params

    def message(self, tr: Translator, alias: str = "") -> str:
        """What to answer: the reason and the usage line (with ``alias``, see :func:`usage_line`)."""
        params = dict(self.params)
        what = params.get("what")
        if isinstance(what, str) and what in _WHAT:
            params["what"] = tr.gettext(_WHAT[what])
        reason = tr.gettext(self.key, command=COMMAND, **params)
        usage = tr.gettext("team.usage", usage=usage_line(tr, self.usage, alias))
        return f"{reason}\n{usage}"


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


def _number(name: str, raw: str) -> str:
    number = normalize_number(raw)
    if number is None:
        raise CommandError(name, N_("team.error.not_a_number"), value=raw)
    return number


def _switch(name: str, raw: str) -> bool:
    low = raw.lower()
    if low in {"on", "yes", "true", "1"}:
        return True
    if low in {"off", "no", "false", "0"}:
        return False
    raise CommandError(name, N_("team.error.not_a_switch"), value=raw)


def _int(name: str, raw: str, what: str, low: int, high: int) -> int:
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise CommandError(name, N_("team.error.range"), what=what, low=low, high=high, value=raw)
    return int(raw)


def _arity(name: str, args: list[str], least: int, most: int) -> None:
    if len(args) < least:
        raise CommandError(name, N_("team.error.missing"))
    if len(args) > most:
        raise CommandError(name, N_("team.error.too_many"))


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
            raise CommandError(name, N_("team.error.missing"))
        number_raw, _, caller = rest.partition(" ")
        return CallerName(_number(name, number_raw), caller.strip())
    if name == "sip":
        _arity(name, args, 2, 3)
        if len(args) == 3 and args[2].lower() != "test":
            raise CommandError(name, N_("team.error.not_test"), value=args[2])
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
    raise CommandError(GENERAL, N_("team.error.unknown"), name=name)
