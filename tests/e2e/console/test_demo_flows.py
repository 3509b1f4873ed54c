"""The whole demo through ``python -m bot demo`` as a subprocess, driven through its standard input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.console.driver import Demo

GROUP_ANSWERS = [
    "Jan",
    "Kowalski",
    "jan@example.com",
    "+48 22 123 45 67",
    "PL",
    "Warszawa",
    "00-001",
    "Marszałkowska",
    "10",
    "Marszałkowska 10, 00-001 Warszawa",
]


def order_lodz(demo: Demo) -> str:
    """Order a Łódź number (no documents) up to the SIP step; returns the chosen number."""
    demo.press("Order a number")
    assert "Poland" in demo.send("PL")
    demo.press("Łódź")
    chosen = next(label for label in demo.buttons if label.startswith("+48 42"))
    demo.press(chosen)
    assert "Please check your order" in demo.screen and chosen in demo.screen
    assert "To pay now: $4.50" in demo.screen  # 18 PLN, priced in the account's USD
    demo.press("Confirm and pay")
    assert f"{chosen} is yours" in demo.screen
    return chosen


def test_order_without_documents_then_sip_and_manage(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo()
    assert "Welcome" in demo.screen
    number = order_lodz(demo)
    demo.press("00002")
    assert "now go to 00002" in demo.screen
    assert "Status: ✅ Active" in demo.screen
    demo.press("Manage this number")
    demo.press("Turn auto-renewal off")
    assert "Turn auto-renewal on" in demo.buttons.__repr__()
    demo.press("Prolong")
    demo.press("3 months")
    assert "Price: $13.50" in demo.screen and "→" in demo.screen
    demo.press("Confirm and pay")
    assert f"{number} is paid until" in demo.screen
    demo.press("Caller name")
    assert "Latin" in demo.send("Zażółć gęślą")  # refused, with what is expected
    assert "Acme 24" in demo.send("Acme 24")
    assert demo.quit()[0] == 0


def test_order_with_documents_form_and_files(tmp_path: Path, start_demo: Callable[..., Demo]) -> None:
    notes = tmp_path / "passport.jpg"
    notes.write_text("this is not an image")
    demo = start_demo()
    demo.press("Order a number")
    demo.send("+48")
    assert "Requires: documents (Passport)" in demo.screen  # shown before committing
    demo.press("Warsaw")
    demo.press("Any number")
    demo.press("New document group")
    demo.press("Mr")
    answers = list(GROUP_ANSWERS)
    demo.send(answers.pop(0))
    demo.send(answers.pop(0))
    assert "e-mail address" in demo.send("jan@example")  # refused, the question stays
    demo.send(answers.pop(0))
    assert "phone" in demo.send("12ab").lower()
    demo.send(answers.pop(0))
    assert "needs an address in Poland" in demo.send("DE")
    for answer in answers:
        demo.send(answer)
    demo.press("Skip")
    demo.press("Create the group")
    assert "JPEG" in demo.send(f"/file {notes}")  # judged by content, not by name
    assert "Cannot read" in demo.send(f"/file {tmp_path / 'missing.pdf'}")
    demo.send("/sample")
    assert "Passport uploaded" in demo.screen
    assert "Documents: uploaded" in demo.screen
    demo.press("Continue to the order")
    demo.press("Confirm and pay")
    assert "is yours" in demo.screen
    demo.send("100@pbx.example.com")
    assert "100@pbx.example.com" in demo.screen
    assert demo.quit()[0] == 0


def test_bad_input_gets_a_message_and_the_flow_continues(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo()
    demo.press("Order a number")
    assert "No country matches “Atlantis”" in demo.send("Atlantis")
    demo.send("Poland")
    demo.press("Łódź")
    assert "Please type digits only" in demo.send("abc")
    assert "Poland, Łódź" in demo.screen  # still on the number step
    assert "Cancelled" in demo.send("/cancel")
    assert "Order a number" in demo.buttons.__repr__()
    assert "Unknown command" in demo.send("/frobnicate")
    assert demo.close_input()[0] == 0


def test_restart_with_a_database_continues_at_the_same_step(
    tmp_path: Path, start_demo: Callable[..., Demo]
) -> None:
    db = tmp_path / "demo.db"
    first = start_demo("--db", str(db))
    first.press("Order a number")
    first.send("ES")
    before = first.screen
    assert first.close_input()[0] == 0
    second = start_demo("--db", str(db))
    assert before.splitlines()[0] in second.screen
    assert "Welcome" not in second.screen
    second.press("Cancel")
    assert second.quit()[0] == 0


@pytest.mark.parametrize(("lang", "text"), [("pl", "Zamów numer"), ("en", "Order a number")])
def test_language_option(lang: str, text: str, start_demo: Callable[..., Demo]) -> None:
    demo = start_demo("--lang", lang)
    assert text in demo.screen
    assert demo.quit()[0] == 0
