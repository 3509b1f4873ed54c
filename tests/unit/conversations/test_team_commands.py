"""Parsing the team console's ``/numbers`` subcommands: a table of inputs and what they become."""

from __future__ import annotations

import pytest

from bot.services.selection import NumberFilter
from conversations.i18n import Translator, translator
from conversations.team_commands import (
    GENERAL,
    SUBCOMMANDS,
    Assign,
    Audit,
    Autorenew,
    CallerName,
    CommandError,
    Docs,
    Expiring,
    Help,
    Info,
    ListNumbers,
    Order,
    Prolong,
    Sip,
    Sms,
    Subcommand,
    help_text,
    normalize_number,
    parse_command,
    usage_line,
)

EN = translator("en")
PL = translator("pl")
USAGE = {name: usage_line(EN, name) for name in SUBCOMMANDS}
GENERAL_USAGE = usage_line(EN, GENERAL)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("help", Help()),
        ("  HELP  ", Help()),
        ("list", ListNumbers()),
        ("list on", ListNumbers(NumberFilter("status", "on"))),
        ("list Parking", ListNumbers(NumberFilter("status", "parking"))),
        ("list pending", ListNumbers(NumberFilter("status", "pending"))),
        ("list +48 22", ListNumbers(NumberFilter("digits", "4822"))),
        ("list DE", ListNumbers(NumberFilter("country", "DE"))),
        ("list United Kingdom", ListNumbers(NumberFilter("country", "United Kingdom"))),
        ("expiring", Expiring(7)),
        ("expiring 30", Expiring(30)),
        ("info +48221234567", Info("48221234567")),
        ("info 0048-22-123-45-67", Info("48221234567")),
        ("prolong 48221234567 3", Prolong("48221234567", 3)),
        ("autorenew 48221234567 ON", Autorenew("48221234567", True)),
        ("autorenew 48221234567 off", Autorenew("48221234567", False)),
        ("callername 48221234567 Front Desk", CallerName("48221234567", "Front Desk")),
        ("callername 48221234567 -", CallerName("48221234567", "-")),
        ("sip 48221234567 00001", Sip("48221234567", "00001", False)),
        ("sip 48221234567 me@pbx.example.com test", Sip("48221234567", "me@pbx.example.com", True)),
        ("sms 48221234567 on", Sms("48221234567", True)),
        ("order", Order()),
        ("docs", Docs()),
        ("docs 12", Docs(12)),
        ("assign 48221234567 123456789", Assign("48221234567", "123456789")),
        ("audit", Audit()),
        ("audit +48221234567", Audit("48221234567")),
    ],
)
def test_parses(text: str, expected: Subcommand) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "usage", "reason"),
    [
        ("frobnicate", GENERAL_USAGE, "not a subcommand"),
        ("expiring soon", USAGE["expiring"], "DAYS must be a whole number"),
        ("expiring 0", USAGE["expiring"], "from 1 to 365"),
        ("expiring 1 2", USAGE["expiring"], "Too many"),
        ("info", USAGE["info"], "missing"),
        ("info 12ab", USAGE["info"], "not a phone number"),
        ("info 123", USAGE["info"], "not a phone number"),
        ("prolong 48221234567", USAGE["prolong"], "missing"),
        ("prolong 48221234567 13", USAGE["prolong"], "from 1 to 12"),
        ("prolong 48221234567 -1", USAGE["prolong"], "MONTHS"),
        ("autorenew 48221234567 maybe", USAGE["autorenew"], "neither on nor off"),
        ("callername 48221234567", USAGE["callername"], "missing"),
        ("sip 48221234567 00001 prod", USAGE["sip"], "is not `test`"),
        ("sms 48221234567", USAGE["sms"], "missing"),
        ("order now", USAGE["order"], "Too many"),
        ("docs abc", USAGE["docs"], "GROUP"),
        ("assign 48221234567 @bob", USAGE["assign"], "TELEGRAM_USER_ID"),
        ("audit 1 2", USAGE["audit"], "Too many"),
    ],
)
def test_refuses_with_the_usage_line(text: str, usage: str, reason: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    message = caught.value.message(EN)
    assert usage_line(EN, caught.value.usage) == usage
    assert reason in message.splitlines()[0]
    assert message.endswith(f"Usage: `{usage}`")


@pytest.mark.parametrize(
    ("text", "reason", "usage"),
    [
        (
            "prolong 48221234567 13",
            "MIESIĄCE musi być liczbą całkowitą od 1 do 12",
            "/numbers prolong NUMER MIESIĄCE",
        ),
        ("autorenew 48221234567 maybe", "`maybe` to ani on, ani off.", "/numbers autorenew NUMER on|off"),
        ("frobnicate", "`frobnicate` nie jest podpoleceniem; `/numbers help`", "/numbers list|expiring|"),
    ],
)
def test_refusals_are_translated(text: str, reason: str, usage: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    first, second = caught.value.message(PL).splitlines()
    assert first.startswith(reason)
    assert second.startswith(f"Użycie: `{usage}")


def test_numbers_are_normalised_to_digits() -> None:
    assert normalize_number("+48 (22) 123.45.67") == "48221234567"
    assert normalize_number("0048221234567") == "48221234567"
    assert normalize_number("1234567890123456") is None
    assert normalize_number("+48x") is None


@pytest.mark.parametrize("tr", [EN, PL])
def test_help_lists_every_subcommand(tr: Translator) -> None:
    text = help_text(tr)
    assert len(text.splitlines()) == len(SUBCOMMANDS) + 1
    for name in SUBCOMMANDS:
        assert f"`{usage_line(tr, name)}` — " in text
    assert ("Zarządzanie numerami" in text) == (tr is PL)


def test_a_platforms_own_command_replaces_numbers_name_in_the_usage_line() -> None:
    with pytest.raises(CommandError) as caught:
        parse_command("assign 48221234567")
    assert usage_line(EN, "assign", "/assign") == "/assign NUMBER TELEGRAM_USER_ID"
    assert caught.value.message(EN, "/assign").endswith("Usage: `/assign NUMBER TELEGRAM_USER_ID`")
    assert usage_line(EN, "order", "/order") == "/order"
