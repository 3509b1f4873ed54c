"""Zadarma's English rejection reasons in the user's language; labels that cannot be confused."""

from __future__ import annotations

import pytest

from bot.sandbox.state import REJECTION_REASON
from conversations.i18n import SUPPORTED_LANGUAGES, translator
from conversations.notices import notice_from_alert, render_notice_text
from conversations.reasons import reason_text


def test_the_emulators_rejection_reason_is_polish_in_polish() -> None:
    polish = reason_text(translator("pl"), REJECTION_REASON)
    assert polish != REJECTION_REASON
    assert "nieczytelny" in polish
    assert reason_text(translator("en"), REJECTION_REASON) == REJECTION_REASON


def test_the_spec_example_reason_is_translated() -> None:
    assert "Paszport" in reason_text(translator("pl"), "The passport has expired. It is considered invalid.")


def test_a_wrong_address_names_the_countries_in_the_language() -> None:
    message = (
        "Invalid address: number 48221234567 needs an address in Poland, "
        "the group's address is in DE and the address is empty"
    )
    text = reason_text(translator("pl"), message)
    assert "+48 22 123 45 67" in text and "Polska" in text and "Niemcy" in text and "pusty" in text
    english = reason_text(translator("en"), message)
    assert "Poland" in english and "Germany" in english


def test_an_unknown_reason_is_shown_as_given() -> None:
    assert reason_text(translator("pl"), "Something new went wrong") == "Something new went wrong"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_back_and_previous_look_different(language: str) -> None:
    tr = translator(language)
    back, previous = tr.gettext("button.back"), tr.gettext("button.prev")
    assert back.split()[0] != previous.split()[0]


def test_on_and_off_end_without_a_full_stop_so_sentences_get_one() -> None:
    tr = translator("pl")
    for value in (tr.gettext("common.on"), tr.gettext("common.off")):
        done = tr.gettext("card.autorenew_done", number="+48", value=value)
        assert ".." not in done


def test_the_rejection_alert_gives_the_reason_in_polish() -> None:
    notice = notice_from_alert("documents_rejected", "48221234567", {"reason": REJECTION_REASON})
    assert notice is not None
    text = render_notice_text(notice, "pl")
    assert "nieczytelny" in text and "unreadable" not in text
