"""Telegram messages and presses as conversation events (adapters.telegram.translate)."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import CallbackQuery, Message

from adapters.telegram.translate import (
    IncomingFile,
    UnknownCommand,
    Unsupported,
    parse_command,
    translate_message,
    translate_press,
)
from conversations.events import Command, Press, Text

USER = {"id": 42, "is_bot": False, "first_name": "Ann", "language_code": "pl"}
CHAT = {"id": 42, "type": "private", "first_name": "Ann"}


def message(**content: Any) -> Message:
    return Message.model_validate(
        {"message_id": 7, "date": 1_700_000_000, "chat": CHAT, "from": USER, **content}
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", ("start", "", "")),
        ("/Order  PL ", ("order", "PL", "")),
        ("/order@numbers_bot de", ("order", "de", "numbers_bot")),
        ("/help\nmore", ("help", "more", "")),
        ("/22/33", None),
        ("/ start", None),
        ("hello", None),
        ("/", None),
    ],
)
def test_parse_command(text: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_command(text) == expected


def test_text_is_text() -> None:
    assert translate_message(message(text="Kraków")) == Text("Kraków")


def test_conversation_commands_become_command_events_with_their_arguments() -> None:
    assert translate_message(message(text="/order PL")) == Command("order", "PL")
    assert translate_message(message(text="/cancel")) == Command("cancel")


def test_a_command_addressed_to_this_bot_by_name_counts() -> None:
    assert translate_message(message(text="/numbers@Numbers_Bot"), "numbers_bot") == Command("numbers")


def test_a_command_for_another_bot_is_not_ours() -> None:
    assert translate_message(message(text="/start@other_bot"), "numbers_bot") == Unsupported()


def test_an_unknown_command_is_reported_as_such() -> None:
    assert translate_message(message(text="/weather")) == UnknownCommand("weather")


def test_a_text_that_only_looks_like_a_path_is_text() -> None:
    assert translate_message(message(text="/22/33")) == Text("/22/33")


def test_a_photo_is_its_largest_size() -> None:
    sizes = [
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 60, "file_size": 1_000},
        {"file_id": "big", "file_unique_id": "b", "width": 1280, "height": 853, "file_size": 90_000},
        {"file_id": "mid", "file_unique_id": "m", "width": 320, "height": 213, "file_size": 9_000},
    ]
    assert translate_message(message(photo=sizes, caption="passport")) == IncomingFile(
        "big", "photo_7.jpg", "image/jpeg", 90_000
    )


def test_a_document_keeps_its_name_type_and_reported_size() -> None:
    document = {
        "file_id": "f1",
        "file_unique_id": "u1",
        "file_name": "bill.pdf",
        "mime_type": "application/pdf",
        "file_size": 12_345,
    }
    assert translate_message(message(document=document)) == IncomingFile(
        "f1", "bill.pdf", "application/pdf", 12_345
    )


def test_a_document_without_a_name_gets_one_from_its_type() -> None:
    document = {"file_id": "f1", "file_unique_id": "u1", "mime_type": "application/pdf"}
    assert translate_message(message(document=document)) == IncomingFile(
        "f1", "document_7.pdf", "application/pdf", None
    )


def test_other_messages_are_unsupported() -> None:
    assert translate_message(message(location={"latitude": 52.2, "longitude": 21.0})) == Unsupported()


def test_a_press_carries_the_button_action() -> None:
    callback = CallbackQuery.model_validate(
        {
            "id": "1",
            "from": USER,
            "chat_instance": "c",
            "data": "k3Xz",
            "message": {"message_id": 5, "date": 1, "chat": CHAT},
        }
    )
    assert translate_press(callback) == Press("k3Xz")


def test_a_press_without_data_is_ignored() -> None:
    callback = CallbackQuery.model_validate(
        {"id": "1", "from": USER, "chat_instance": "c", "game_short_name": "g"}
    )
    assert translate_press(callback) is None
