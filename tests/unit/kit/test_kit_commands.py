"""The kit's command catalog: the engine's commands, in menu order, described in every language."""

from __future__ import annotations

import re

import pytest

from adapters.kit.commands import CUSTOMER_COMMANDS, command_catalog, command_list, help_lines, is_command
from conversations.events import COMMANDS
from conversations.i18n import SUPPORTED_LANGUAGES


def test_the_catalog_is_exactly_the_engines_command_set_in_menu_order() -> None:
    assert set(CUSTOMER_COMMANDS) == COMMANDS
    assert len(CUSTOMER_COMMANDS) == len(COMMANDS)  # no name twice
    assert CUSTOMER_COMMANDS[0] == "start"  # the menu opens with the main menu
    assert all(is_command(name) for name in COMMANDS)
    assert not is_command("assign") and not is_command("") and not is_command("START")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_command_is_described_in_every_language_within_telegrams_limits(language: str) -> None:
    catalog = command_catalog(language)
    assert [info.name for info in catalog] == list(CUSTOMER_COMMANDS)
    for info in catalog:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", info.name)  # what setMyCommands accepts
        assert 3 <= len(info.description) <= 256
        assert not info.description.startswith("commands.")  # translated, not the bare key


def test_english_and_polish_differ_and_unknown_languages_fall_back_to_english() -> None:
    english = {info.name: info.description for info in command_catalog("en")}
    polish = {info.name: info.description for info in command_catalog("pl")}
    assert all(english[name] != polish[name] for name in CUSTOMER_COMMANDS)
    assert command_catalog("de") == command_catalog("en")


def test_hints_and_help_lines_name_every_command_in_order() -> None:
    assert command_list() == ", ".join(f"/{name}" for name in CUSTOMER_COMMANDS)
    assert command_list("/quit").endswith(", /quit")
    lines = help_lines("pl").splitlines()
    described = dict(line.split(": ", 1) for line in lines)
    assert [line.split(":")[0] for line in lines] == [f"/{name}" for name in CUSTOMER_COMMANDS]
    assert described["/order"] == next(i.description for i in command_catalog("pl") if i.name == "order")
