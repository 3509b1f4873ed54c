"""A reserved order in Telegram: told as reserved with the shortfall, never "done", and listed so."""

from __future__ import annotations

from tests.e2e.telegram.telegram_helpers import TelegramHarness, text_of


async def test_a_short_balance_order_is_reserved_not_done(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    h.sandbox.set_reserve_when_short(True)
    ann = fake.user(first_name="Ann", language_code="en")
    await h.say(ann, "/order PL")
    await h.say(ann, "Gdańsk")
    await h.press(ann, "Gdańsk")
    summary = await h.press(ann, "Any number")
    assert "To pay now: $10.00" in summary[-1].text and "Your balance: $1,000.00" in summary[-1].text
    h.sandbox.set_balance("4.00")  # spent elsewhere after the summary was shown
    told = await h.press(ann, "Confirm and pay")
    [number] = list(h.sandbox.state.numbers)
    text = "\n".join(m.text for m in told)
    assert "is reserved for you until the account balance is topped up" in text
    assert "$6.00" in text and "is yours" not in text and "SIP" not in text
    assert h.sandbox.state.numbers[number].status == "reserved_on"
    listed = await h.say(ann, "/numbers")
    assert text_of("status.reserved_on") in "\n".join(m.text for m in listed)
