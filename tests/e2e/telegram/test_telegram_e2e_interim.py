""" "⏳" in Telegram: a press that waits on Zadarma more than once shows it at once, then the outcome.

The emulator answers every call late here, so the order (two calls: the account's numbers,
then the order) and the SIP change are slow; the pressed message shows "⏳ …" without its
buttons meanwhile, and the outcome is edited into that same message.
"""

from __future__ import annotations

import pytest

from tests.e2e.telegram.telegram_helpers import TelegramHarness, text_of
from tests.fakes.telegram_api import ChatMessage, FakeUser

LATE_MS = 400


async def at_confirmation(h: TelegramHarness, user: FakeUser) -> tuple[ChatMessage, str]:
    """An order up to its confirmation; the confirmation message and the chosen number as shown."""
    await h.say(user, "/order")
    await h.say(user, "PL")
    await h.press(user, "Gdańsk")
    await h.press(user, "Any number")
    summary = h.screen(user)
    prefix = text_of("order.confirm.number", number="")
    shown = next(line for line in summary.text.splitlines() if line.startswith(prefix)).removeprefix(prefix)
    return summary, shown


def message(h: TelegramHarness, user: FakeUser, message_id: int) -> ChatMessage:
    return next(m for m in h.fake.bot_messages(user.chat_id) if m.message_id == message_id)


async def test_the_hourglass_replaces_the_pressed_confirmation_before_zadarma_answers(
    polling: TelegramHarness,
) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    summary, number = await at_confirmation(h, ann)
    h.sandbox.set_faults(latency_ms=LATE_MS)
    hourglass = text_of("working.order", number=number)

    pressed = fake.press(ann, "Confirm and pay")
    await fake.wait_for(lambda: message(h, ann, summary.message_id).text == hourglass, what="the hourglass")

    # Shown before the order was even sent (the account's numbers are asked first, late):
    assert h.sandbox.call_count("direct_numbers.order") == 0 and h.sandbox.state.numbers == {}
    assert message(h, ann, summary.message_id).buttons == ()  # nothing left to press twice
    await h.settle(pressed)
    assert message(h, ann, summary.message_id).text == text_of("order.placed", number=number)
    assert "Where should calls" in h.screen(ann).text
    assert h.sandbox.call_count("direct_numbers.order") == 1

    sip_menu = h.screen(ann)
    chose = fake.press(ann, "Office")
    await fake.wait_for(
        lambda: message(h, ann, sip_menu.message_id).text == text_of("working.sip", number=number),
        what="the hourglass",
    )
    assert h.sandbox.call_count("set_sip_id") == 0
    await h.settle(chose)
    assert "Your new number" in h.screen(ann).text
    # one hourglass per slow press, none for the fast ones: the city (its free numbers were
    # not cached yet), the payment, the SIP change
    hourglasses = [c.params["text"] for c in fake.calls_to("editMessageText") if c.params["text"][:1] == "⏳"]
    assert hourglasses == [
        text_of("working.numbers", city="Gdańsk"),
        hourglass,
        text_of("working.sip", number=number),
    ]


async def test_a_second_press_while_the_hourglass_shows_places_one_order(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    summary, number = await at_confirmation(h, ann)
    h.sandbox.set_faults(latency_ms=LATE_MS)

    first = fake.press(ann, "Confirm and pay")
    await fake.wait_for(lambda: message(h, ann, summary.message_id).text.startswith("⏳"), what="⏳")
    # The buttons are gone, but a client may still send the press of the screen it had (a double tap).
    second = fake.press(ann, "Confirm and pay", message=summary)
    await h.settle(first, second)

    assert h.sandbox.call_count("direct_numbers.order") == 1 and len(h.sandbox.state.numbers) == 1
    texts = fake.texts(ann.chat_id)
    assert text_of("order.already_placed", number=number) in texts
    assert not any(text.startswith("⏳") for text in texts)  # every hourglass was replaced


async def test_a_typed_sip_address_gets_the_hourglass_as_a_new_message_then_the_outcome_in_it(
    polling: TelegramHarness,
) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await at_confirmation(h, ann)
    await h.press(ann, "Confirm and pay")
    sip_menu = h.screen(ann)
    h.sandbox.set_faults(latency_ms=LATE_MS)

    typed = fake.send_text(ann, "1234@sip.example.com")
    await fake.wait_for(lambda: h.screen(ann).text.startswith("⏳"), what="the hourglass")
    hourglass = h.screen(ann)
    assert hourglass.message_id > sip_menu.message_id and hourglass.buttons == ()
    assert h.sandbox.call_count("set_sip_id") == 0
    await h.settle(typed)

    assert message(h, ann, hourglass.message_id).text.startswith("✅")  # the outcome took its place
    assert "Your new number" in h.screen(ann).text
    assert message(h, ann, sip_menu.message_id).buttons == ()  # the SIP menu is no longer live


async def test_a_step_that_fails_after_the_hourglass_replaces_it_with_the_failure(
    polling: TelegramHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    summary, _ = await at_confirmation(h, ann)

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the store broke")  # not a service error: the step fails as a whole

    monkeypatch.setattr(h.storage.intents, "create", broken)
    await h.press(ann, "Confirm and pay")

    assert message(h, ann, summary.message_id).text == text_of("telegram.error")
    assert not any(text.startswith("⏳") for text in fake.texts(ann.chat_id))
    assert h.sandbox.call_count("direct_numbers.order") == 0
