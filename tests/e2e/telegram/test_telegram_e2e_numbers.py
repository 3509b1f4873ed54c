"""Managing numbers in Telegram, end to end: auto-renewal, prolong once, stale and foreign buttons."""

from __future__ import annotations

from bot.services import Actor
from bot.storage import UserRef
from tests.e2e.telegram.telegram_helpers import ADMIN_ID, TelegramHarness, text_of
from tests.fakes.telegram_api import FakeUser


async def give_number(h: TelegramHarness, user: FakeUser) -> str:
    """Seed the account with numbers and give one (with auto-renewal on) to ``user``."""
    h.sandbox.seed_owned_numbers(3)
    number = next(
        n.number for n in sorted(h.sandbox.state.numbers.values(), key=lambda n: n.number) if n.autorenew
    )
    operator = Actor(UserRef("telegram", str(ADMIN_ID)), is_operator=True)
    await h.services.numbers.assign(operator, number, UserRef("telegram", str(user.id)))
    return number


async def open_card(h: TelegramHarness, user: FakeUser) -> None:
    """``/numbers`` and open the first (only) number's card."""
    await h.say(user, "/numbers")
    first = h.screen(user).buttons[0][0].text
    await h.press(user, first)


async def test_auto_renewal_is_switched_from_the_number_card(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    number = await give_number(h, ann)
    await open_card(h, ann)

    changed = await h.press(ann, "Turn auto-renewal off")

    assert "Auto-renewal" in changed[0].text and "off" in changed[0].text
    assert "Turn auto-renewal on" in h.screen(ann).labels[0]
    assert h.sandbox.state.numbers[number].autorenew is False
    assert h.sandbox.call_count("direct_numbers.autoprolongation") == 1


async def test_prolong_shows_the_price_first_and_charges_once_even_when_tapped_twice(
    polling: TelegramHarness,
) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    number = await give_number(h, ann)
    stop_before = h.sandbox.state.numbers[number].stop_date
    await open_card(h, ann)
    await h.press(ann, "Prolong")

    quote = await h.press(ann, "3 months")

    assert "Price:" in quote[0].text
    assert h.sandbox.call_count("direct_numbers.prolong") == 0
    confirm_screen = h.screen(ann)

    await h.press(ann, "Confirm and pay")
    # the customer taps the same confirmation again (a double tap, or an impatient second try)
    await h.press(ann, "Confirm and pay", message=confirm_screen)

    assert h.sandbox.call_count("direct_numbers.prolong") == 1
    stop_after = h.sandbox.state.numbers[number].stop_date
    assert (stop_after - stop_before).days >= 89
    assert not any("went wrong" in t for t in fake.texts(ann.chat_id))


async def test_a_stale_button_says_the_menu_expired_and_shows_the_current_screen(
    polling: TelegramHarness,
) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await h.say(ann, "/start")
    old_menu = h.screen(ann)
    await h.press(ann, "Order a number")
    before = h.screen(ann)  # the main menu's message, now showing the country question
    assert before.message_id == old_menu.message_id

    changed = await h.press(ann, "Order a number", message=old_menu)

    # the pressed message keeps its text and loses its buttons; the answer comes as new messages
    pressed = next(m for m in fake.bot_messages(ann.chat_id) if m.message_id == old_menu.message_id)
    assert pressed.text == before.text and pressed.buttons == ()
    assert next(m.text for m in changed if m.message_id > old_menu.message_id) == text_of("menu.expired")
    assert "which country" in h.screen(ann).text
    assert h.screen(ann).message_id > old_menu.message_id


async def test_a_second_tap_on_a_refused_confirmation_leaves_the_outcome_readable(
    polling: TelegramHarness,
) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    await h.say(ann, "/order")
    await h.say(ann, "PL")
    await h.press(ann, "Gdańsk")
    await h.press(ann, "Any number")
    summary = h.screen(ann)
    h.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/order/"])

    refused = await h.press(ann, "Confirm and pay")
    outcome = next(m for m in refused if m.message_id == summary.message_id)
    assert text_of("error.api", detail="").split(":")[0] in outcome.text
    h.sandbox.clear_faults()

    # the customer taps Confirm on the same message again (a double tap)
    await h.press(ann, "Confirm and pay", message=summary)

    shown = next(m for m in fake.bot_messages(ann.chat_id) if m.message_id == summary.message_id)
    assert shown.text == outcome.text
    assert text_of("menu.expired") in fake.texts(ann.chat_id)
    assert h.sandbox.call_count("direct_numbers.order") == 1


async def test_a_customer_cannot_press_another_customers_number_actions(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann, bob = fake.user(first_name="Ann"), fake.user(first_name="Bob")
    number = await give_number(h, ann)
    await open_card(h, ann)
    ann_card = h.screen(ann)
    autorenew_off = ann_card.button("Turn auto-renewal off").data
    prolong = ann_card.button("Prolong").data
    await h.say(bob, "/numbers")

    for forged in (autorenew_off, prolong):
        injected = fake.press(bob, message=h.screen(bob), data=forged)
        await h.settle(injected)
        assert fake.texts(bob.chat_id)[-2] == text_of("menu.expired")

    assert h.sandbox.state.numbers[number].autorenew is True
    assert h.sandbox.call_count("direct_numbers.autoprolongation") == 0
    assert h.sandbox.call_count("direct_numbers.prolong") == 0
    assert not any(number[-4:] in t.replace(" ", "") for t in fake.texts(bob.chat_id))
