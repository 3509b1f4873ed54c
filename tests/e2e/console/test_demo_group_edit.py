"""Correcting a document group in the console demo (the same conversation engine as Telegram)."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.console.driver import Demo
from tests.e2e.console.test_demo_flows import GROUP_ANSWERS


def test_a_group_is_created_then_corrected(start_demo: Callable[..., Demo]) -> None:
    demo = start_demo()
    demo.press("documents")
    demo.press("New document group")
    demo.press("Company")
    assert "Company name" in demo.screen  # a company is asked its organization next
    demo.send("Kowalski Sp. z o.o.")
    for answer in GROUP_ANSWERS:
        demo.send(answer)
    demo.press("Skip")
    demo.press("Create the group")
    assert "Organisation: Kowalski Sp. z o.o." in demo.screen
    demo.press("Edit details")
    demo.press("City")
    assert "Current answer: Warszawa" in demo.screen
    demo.press("Back")  # back to the list of fields, nothing changed
    assert "Save changes" not in demo.screen
    demo.press("City")
    demo.send("Kraków")
    assert "✏️ City: Kraków" in demo.screen
    demo.press("Save changes")
    assert "were saved" in demo.screen
    assert "Address: Marszałkowska 10, 00-001 Warszawa, Kraków, Poland" in demo.screen
    assert demo.quit()[0] == 0
