"""Pure helpers: phone numbers, statuses, paging."""

from __future__ import annotations

import pytest

from conversations.formatting import country_name, document_type_text, format_phone, status_text
from conversations.i18n import translator
from conversations.paging import paginate
from conversations.screens import Button


@pytest.mark.parametrize(
    ("raw", "human"),
    [
        ("48223071234", "+48 22 307 12 34"),
        ("+48223071234", "+48 22 307 12 34"),
        ("4930123456789", "+49 30 123456789"),
        ("12125551234", "+1 212-555-1234"),
        ("442071234567", "+44 20 7123 4567"),
        ("123", "+123"),
        ("not a number", "not a number"),
    ],
)
def test_phone_numbers_for_humans(raw: str, human: str) -> None:
    assert format_phone(raw) == human


@pytest.mark.parametrize(
    ("status", "english", "polish"),
    [
        ("on", "✅ Active", "✅ Aktywny"),
        ("checking", "⏳ Documents being checked", "⏳ Dokumenty w weryfikacji"),
        ("checking_upload", "📄 Documents needed", "📄 Potrzebne dokumenty"),
        ("parking", "⏸ Switched off (kept for 7 days)", "⏸ Wyłączony (zachowany przez 7 dni)"),
        (
            "reserved_on",
            "📌 Reserved until the balance is topped up",
            "📌 Zarezerwowany do czasu doładowania konta",
        ),
        (
            "reserved_checking_upload",
            "📌 Reserved until the balance is topped up; documents needed",
            "📌 Zarezerwowany do czasu doładowania konta; potrzebne dokumenty",
        ),
        ("something_new", "something_new", "something_new"),
    ],
)
def test_statuses_in_words(status: str, english: str, polish: str) -> None:
    assert status_text(translator("en"), status) == english
    assert status_text(translator("pl"), status) == polish


def test_document_types_in_words() -> None:
    assert document_type_text(translator("en"), "passport") == "Passport"
    assert document_type_text(translator("pl"), "passport") == "Paszport"
    assert document_type_text(translator("en"), "unknown_kind") == "unknown_kind"


@pytest.mark.parametrize(
    ("size", "index", "items", "page", "count"),
    [
        (10, 0, [0, 1, 2, 3], 0, 3),
        (10, 2, [8, 9], 2, 3),
        (10, 7, [8, 9], 2, 3),
        (10, -1, [0, 1, 2, 3], 0, 3),
        (0, 0, [], 0, 1),
        (4, 0, [0, 1, 2, 3], 0, 1),
    ],
)
def test_pages(size: int, index: int, items: list[int], page: int, count: int) -> None:
    result = paginate(list(range(size)), index, 4)
    assert list(result.items) == items and result.index == page and result.count == count
    assert result.has_prev == (page > 0) and result.has_next == (page + 1 < count)


def test_button_actions_fit_telegram() -> None:
    Button("ok", "a" * 64)
    with pytest.raises(ValueError):
        Button("too long", "ą" * 33)
    with pytest.raises(ValueError):
        Button("empty", "")


@pytest.mark.parametrize(
    ("english", "language", "shown"),
    [
        ("Poland", "pl", "Polska"),
        ("United Kingdom", "pl", "Wielka Brytania"),
        ("Poland", "en", "Poland"),
        ("Atlantis", "pl", "Atlantis"),
    ],
)
def test_country_names_from_the_api_are_translated(english: str, language: str, shown: str) -> None:
    assert country_name(translator(language), english) == shown
