"""Alerts: the pure text for any channel, and cards whose buttons work later like any other."""

from __future__ import annotations

import pytest

from conversations.events import Press
from conversations.formatting import format_phone
from conversations.notices import NOTICE_KEYS, Notice, render_notice_text
from tests.unit.conversations.support import Chat, World, t

NUMBER = "48223071234"


@pytest.mark.parametrize(
    ("notice", "english", "polish"),
    [
        (
            Notice("expiry_warning", NUMBER, {"days_left": "1", "stop_date": "2026-02-15 09:00:00"}),
            "⏰ +48 22 307 12 34 expires in 1 day, on Feb 15, 2026.",
            "⏰ Numer +48 22 307 12 34 wygasa za 1 dzień, 15 lut 2026.",
        ),
        (
            Notice("expiry_warning", NUMBER, {"days_left": "3", "stop_date": "2026-02-15"}),
            "expires in 3 days, on Feb 15, 2026.",
            "wygasa za 3 dni, 15 lut 2026.",
        ),
        (
            Notice(
                "renewal_at_risk",
                NUMBER,
                {"stop_date": "2026-02-15", "balance": "2.5", "needed": "5", "currency": "USD"},
            ),
            "the balance ($2.50) does not cover the renewal ($5.00)",
            "saldo (2,50\u00a0USD) nie pokrywa odnowienia (5,00\u00a0USD)",
        ),
        (
            Notice("renewed", NUMBER, {"stop_date": "2026-03-15"}),
            "✅ +48 22 307 12 34 was renewed and is paid until Mar 15, 2026.",
            "jest opłacony do 15 mar 2026.",
        ),
        (
            Notice("parked", NUMBER, {"reason": "insufficient funds", "kept_days": "5"}),
            "has been switched off (insufficient funds). It is kept for 5 more days",
            "Zachowamy go jeszcze przez 5 dni",
        ),
        (Notice("activated", NUMBER), "🎉 +48 22 307 12 34 is active now", "jest już aktywny"),
        (
            Notice("documents_needed", NUMBER),
            "needs documents before it can be switched on",
            "wymaga dokumentów",
        ),
        (
            Notice("documents_rejected", NUMBER, {"reason": "blurry scan"}),
            "were rejected: blurry scan",
            "zostały odrzucone: blurry scan",
        ),
        (
            Notice("balance_low", None, {"balance": "3", "needed": "40", "currency": "EUR"}),
            "The account balance is €3.00, but the renewals coming due need €40.00.",
            "Saldo konta wynosi 3,00\u00a0€",
        ),
    ],
)
def test_notice_texts(notice: Notice, english: str, polish: str) -> None:
    assert english in render_notice_text(notice, "en")
    assert polish in render_notice_text(notice, "pl-PL")


def test_every_kind_renders_even_with_missing_params() -> None:
    for kind in NOTICE_KEYS:
        for language in ("en", "pl"):
            text = render_notice_text(Notice(kind, None, {}), language)  # type: ignore[arg-type]
            assert text and "{" not in text


async def test_expiry_card_buttons_lead_to_the_prolong_confirmation(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    await chat.start()
    card = await world.engine.notice(chat.key, Notice("expiry_warning", number, {"days_left": "3"}))
    assert card.expects == "none"
    assert [b.label for row in card.buttons for b in row] == [
        "⏩ Prolong 1 month",
        "🔁 Turn on auto-renewal",
        "📱 Open the number",
    ]
    prolong, autorenew, _open = (row[0].action for row in card.buttons)
    await chat.press("My numbers")  # the user does something else meanwhile
    await chat.send(Press(prolong))
    assert await chat.step() == "numbers.prolong_confirm"
    assert "Price: $5.00" in chat.screen.text
    assert "Paid until: Feb 15, 2026 → Mar 15, 2026" in chat.screen.text
    await chat.press("Confirm and pay")
    assert world.sandbox.call_count("prolong") == 1
    world.sandbox.state.numbers[number].autorenew = False
    await chat.send(Press(autorenew))
    assert chat.notes == [t("card.autorenew_done", number=format_phone(number), value="on")]
    assert world.sandbox.state.numbers[number].autorenew is True
    assert await chat.step() == "numbers.card"


async def test_notice_in_the_users_language(world: World) -> None:
    chat = world.chat("1001", locale="pl")
    number = await world.own_number("1001", 3301)
    card = await world.engine.notice(chat.key, Notice("activated", number), locale="pl")
    assert card.text.startswith("🎉 Numer")
    assert [b.label for row in card.buttons for b in row] == ["📱 Otwórz numer"]


async def test_a_notice_button_for_someone_elses_number_does_nothing(world: World) -> None:
    alices = await world.own_number("1001", 3301)
    bob = world.chat("2002")
    card = await world.engine.notice(bob.key, Notice("expiry_warning", alices, {"days_left": "1"}))
    prolong = card.buttons[0][0].action
    await bob.send(Press(prolong))
    assert bob.notes == [t("error.not_yours")]
    assert await bob.step() == "numbers.list"
    autorenew = card.buttons[1][0].action
    world.sandbox.state.numbers[alices].autorenew = False
    await bob.send(Press(autorenew))
    assert bob.notes == [t("error.not_yours")]
    assert world.sandbox.state.numbers[alices].autorenew is False
    assert world.sandbox.call_count("prolong") == 0


async def test_balance_notice_has_no_number_buttons(world: World, chat: Chat) -> None:
    card = await world.engine.notice(
        chat.key, Notice("balance_low", None, {"balance": "1", "currency": "USD"})
    )
    assert [b.label for row in card.buttons for b in row] == ["📱 My numbers"]
    await chat.send(Press(card.buttons[0][0].action))
    assert await chat.step() == "numbers.list"


@pytest.mark.parametrize(
    ("cause", "language", "expected"),
    [
        ("renewal_failed", "en", "the balance did not cover the renewal"),
        ("not_renewed", "pl", "automatyczne odnawianie było wyłączone"),
    ],
)
def test_parked_cause_codes_are_translated(cause: str, language: str, expected: str) -> None:
    notice = Notice("parked", "48221234567", {"cause": cause, "kept_days": "7"})
    assert expected in render_notice_text(notice, language)
