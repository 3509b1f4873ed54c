"""A reserved order in the chat, and prices in another currency than the balance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.storage import IntentStatus
from tests.unit.conversations.support import Chat, World, t
from tests.unit.conversations.test_confirm import at_confirm


@pytest.mark.sandbox(reserve_when_short=True)
async def test_a_reservation_is_told_with_the_shortfall_and_not_sent_to_sip_set_up(
    world: World, chat: Chat
) -> None:
    await at_confirm(chat)  # Gdańsk: $10.00 for a month; the screen saw a $100.00 balance
    world.sandbox.set_balance("1.50")  # spent elsewhere meanwhile: the bot's figure is stale
    await chat.press("Confirm and pay $10.00")
    [said] = chat.notes
    number = next(iter(world.sandbox.state.numbers))
    assert said == t("order.reserved_short", number=_phone(number), needed="$8.50", amount="$10.00")
    assert "Done" not in chat.text
    assert await chat.step() == "menu"
    assert world.sandbox.state.numbers[number].status == "reserved_on"
    intents = await world.storage.intents.list_by_status(IntentStatus.SUCCEEDED)
    assert [(i.result or {}).get("needed") for i in intents] == ["8.50"]
    assert world.sandbox.call_count("order") == 1
    # the card reads as reserved, in words, in both languages
    await chat.command("numbers")
    assert "📌 Reserved until the balance is topped up" in chat.text and "✅" not in chat.text
    await chat.command("language", "pl")
    await chat.command("numbers")
    assert "📌 Zarezerwowany do czasu doładowania konta" in chat.text


@pytest.mark.sandbox(mixed_currencies=True, balance=Decimal("0.10"))
async def test_a_price_in_another_currency_is_shown_beside_the_balance_never_compared(
    world: World, chat: Chat
) -> None:
    await at_confirm(chat, direction="Łódź")  # PLN 18.00 a month, the account in USD
    text = chat.screen.text
    assert "To pay now: PLN\u00a018.00" in text and "Your balance: $0.10" in text
    assert t("order.confirm.other_currency", currency="PLN", account="USD") in text
    assert t("order.confirm.balance_low") not in text  # 0.10 USD against 18 PLN is not compared


@pytest.mark.sandbox(balance=Decimal("0.10"))
async def test_the_low_balance_warning_stays_when_the_currencies_match(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    assert t("order.confirm.balance_low") in chat.screen.text
    assert "PLN" not in chat.screen.text  # the default catalogue prices in the account's currency


def _phone(number: str) -> str:
    from conversations.formatting import format_phone

    return format_phone(number)
