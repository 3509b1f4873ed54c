"""``/days N`` in the demo's line parser, and its texts in both languages."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.console.translate import AdvanceDays, parse
from conversations.demo import days_passed, days_usage, waiting_for_retry
from conversations.events import Text


@pytest.mark.parametrize(
    ("line", "days"),
    [
        ("/days 30", 30),
        ("/days 1", 1),
        ("/days 366", 366),
        ("/days", None),
        ("/days 0", None),
        ("/days 367", None),
        ("/days ²", None),
        ("/days -3", None),
        ("/days " + "9" * 5000, None),
    ],
)
def test_days_is_parsed_on_any_screen(line: str, days: int | None) -> None:
    assert parse(line, ("a",), "text") == AdvanceDays(days)
    assert parse(line, ("a",), "choice") == AdvanceDays(days)


def test_days_is_a_command_only_with_its_slash() -> None:
    assert parse("days 30", (), "text") == Text("days 30")


def test_texts_in_both_languages_with_plurals() -> None:
    day = date(2027, 1, 7)
    assert days_passed("en", 1, day, 0).text.startswith("⏩ The emulator's clock moved 1 day ahead")
    assert "2 alerts arrived" in days_passed("en", 30, day, 2).text
    assert "o 5 dni" in days_passed("pl", 5, day, 0).text
    assert "Przyszły 3 powiadomienia" in days_passed("pl", 2, day, 3).text
    assert "366" in days_usage("pl") and days_usage("pl").startswith("Użycie")
    assert waiting_for_retry("en", 0.5) == "⏳ Zadarma did not answer; trying again in 0.5 s…"
    assert waiting_for_retry("pl", 0.5).startswith("⏳ Zadarma nie odpowiedziała")
