"""Order step 5: the summary, exactly one order per confirmation, and every way it can go wrong."""

from __future__ import annotations

import asyncio

from bot.services.settlement import Settler
from bot.storage import IntentKind
from conversations.events import Press
from conversations.formatting import format_phone
from tests.unit.conversations.support import Chat, World, t


async def at_confirm(chat: Chat, country: str = "PL", direction: str = "Gdańsk") -> None:
    await chat.command("order", country)
    await chat.type(direction)
    await chat.press(direction)
    await chat.press("Any number")
    assert await chat.step() == "order.confirm"


async def test_summary_shows_number_fees_total_and_balance(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    order = (await chat.state()).order
    assert order is not None and order.key.startswith("order-")
    text = chat.screen.text
    for line in (
        t("order.confirm.title"),
        "Where: 🇵🇱 Poland, Gdańsk",
        "Connection fee: $5.00",
        "Monthly fee: $5.00",
        "Paid period: 1 month",
        "To pay now: $10.00",
        "Auto-renewal: on",
        "Your balance: $100.00",
    ):
        assert line in text
    assert "SMS reception" not in text
    assert chat.labels[0] == "✅ Confirm and pay $10.00"


async def test_period_and_autorenew_toggles(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    key = (await chat.state()).order.key  # type: ignore[union-attr]
    await chat.press("Pay for 3 months")
    assert "To pay now: $20.00" in chat.screen.text and "Paid period: 3 months" in chat.screen.text
    await chat.press("Auto-renewal: on")
    assert "Auto-renewal: off" in chat.screen.text
    assert (await chat.state()).order.key == key  # type: ignore[union-attr]
    await chat.press("Confirm and pay $20.00")
    number = (await chat.state()).order.placed  # type: ignore[union-attr]
    owned = world.sandbox.state.numbers[number]
    assert owned.autorenew is False
    assert (owned.stop_date.year, owned.stop_date.month) == (2026, 4)


async def test_one_press_one_order_and_repeats_show_the_same_result(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    confirm = Press(chat.button("Confirm and pay").action)
    await chat.send(confirm)
    number = (await chat.state()).order.placed  # type: ignore[union-attr]
    assert chat.notes[0].startswith("🎉 Done!")
    assert await chat.step() == "order.sip"
    again = [t("order.already_placed", number=format_phone(number))]
    await chat.send(confirm)  # the same update delivered twice, or a second tap
    assert chat.notes == again
    assert await chat.step() == "order.sip"
    world.restart()
    await chat.send(confirm)  # and after a restart
    assert chat.notes == again
    assert world.sandbox.call_count("order") == 1
    assert list(world.sandbox.state.numbers) == [number]
    assert await world.storage.ownership.owner_of_number(number) == chat.key.user


async def test_simultaneous_presses_place_one_order(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    confirm = Press(chat.button("Confirm and pay").action)
    other_engine = world.new_engine()
    results = await asyncio.gather(
        world.engine.handle(chat.key, confirm),
        world.engine.handle(chat.key, confirm),
        other_engine.handle(chat.key, confirm),
    )
    assert world.sandbox.call_count("order") == 1
    assert len(world.sandbox.state.numbers) == 1
    texts = "\n".join(s.text for screens in results for s in screens)
    assert "🎉 Done!" in texts


async def test_a_restart_before_the_press_keeps_the_key(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    key = (await chat.state()).order.key  # type: ignore[union-attr]
    world.restart()
    await chat.current()
    assert (await chat.state()).order.key == key  # type: ignore[union-attr]
    await chat.press("Confirm and pay")
    intent = await world.storage.intents.get(key)
    assert intent is not None and intent.status == "succeeded"


async def test_too_low_a_balance_is_refused_clearly(world: World, chat: Chat) -> None:
    world.sandbox.set_balance("3")
    await at_confirm(chat)
    assert t("order.confirm.balance_low") in chat.screen.text
    await chat.press("Confirm and pay")
    assert chat.notes == [t("error.balance_low", needed="$10.00", balance="$3.00")]
    assert await chat.step() == "order.confirm"
    assert world.sandbox.call_count("order") == 0
    world.sandbox.set_balance("50")
    await chat.press("Confirm and pay")
    assert await chat.step() == "order.sip"


async def test_number_gone_goes_back_to_the_numbers(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    taken = (await chat.state()).order.number  # type: ignore[union-attr]
    assert await world.own_number("9999", 3004, number=taken) == taken
    await chat.press("Confirm and pay")
    assert chat.notes == [t("error.number_gone")]
    assert await chat.step() == "order.number"
    order = (await chat.state()).order
    assert order is not None and order.number == "" and order.key == ""
    await chat.press("Any number")
    await chat.press("Confirm and pay")
    assert await chat.step() == "order.sip"


async def test_api_failure_offers_a_retry_with_a_new_key(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    first_key = (await chat.state()).order.key  # type: ignore[union-attr]
    world.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/order/"])
    await chat.press("Confirm and pay")
    assert chat.notes[0].startswith("⚠️ Zadarma could not do this right now:")
    assert await chat.step() == "order.confirm"
    assert chat.labels[0] == "🔁 Try the order again ($10.00)"
    second_key = (await chat.state()).order.key  # type: ignore[union-attr]
    assert second_key and second_key != first_key
    failed = await world.storage.intents.get(first_key)
    assert failed is not None and failed.status == "failed"
    world.sandbox.clear_faults()
    await chat.press("Try the order again")
    assert await chat.step() == "order.sip"
    assert len(world.sandbox.state.numbers) == 1


async def test_a_dropped_reply_says_checking_then_the_settled_order_goes_on(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    world.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
    confirm = Press(chat.button("Confirm and pay").action)
    await chat.send(confirm)
    world.sandbox.clear_faults()
    assert await chat.step() == "order.pending"
    assert chat.screen.text == t("order.pending.text") and chat.screen.text.startswith("⏳ Checking")
    assert not any("Done" in note for note in chat.notes)
    await chat.send(confirm)  # a double press (or a re-delivered update) while checking
    await chat.press("Refresh")
    assert await chat.step() == "order.pending"
    await Settler(world.services.ordering, world.storage).settle_due()
    await chat.press("Refresh")
    assert await chat.step() == "order.sip"
    assert "already placed" in chat.notes[0]
    assert len(world.sandbox.state.numbers) == 1 and world.sandbox.call_count("order") == 1


async def test_an_unknown_outcome_waits_with_refresh(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    state = await chat.state()
    assert state.order is not None
    key, number = state.order.key, state.order.number
    # Another replica is in the middle of sending this very confirmation.
    await world.storage.intents.create(key, IntentKind.ORDER, chat.key.user, {"number": number})
    await world.storage.intents.mark_sending(key)
    await chat.press("Confirm and pay")
    assert await chat.step() == "order.pending"
    assert chat.screen.text == t("order.pending.text")
    assert chat.labels == ["🔄 Refresh", "🏠 Main menu"]
    await chat.press("Refresh")
    assert await chat.step() == "order.pending"
    await world.storage.intents.mark_succeeded(key, {"number": number, "activated": 1, "reserved": 0})
    await chat.press("Refresh")
    assert await chat.step() == "order.sip"
    assert "already placed" in chat.notes[0]
    assert world.sandbox.call_count("order") == 0


async def test_purpose_is_asked_when_the_direction_specifies_it(world: World, chat: Chat) -> None:
    await chat.command("order", "US")
    await chat.type("800")
    await chat.press("800 number")
    await chat.press("Any number")
    assert await chat.step() == "order.confirm"
    assert chat.screen.expects == "text"
    assert t("order.confirm.purpose_ask") in chat.screen.text
    await chat.press("Confirm and pay $25.00")
    assert chat.notes == [t("order.confirm.purpose_missing")]
    assert world.sandbox.call_count("order") == 0
    await chat.type("   ")
    assert chat.notes == [t("invalid.empty")]
    await chat.type("Customer hotline")
    assert chat.notes == [t("order.confirm.purpose_saved")]
    assert "Purpose: Customer hotline" in chat.screen.text
    await chat.press("Confirm and pay")
    number = (await chat.state()).order.placed  # type: ignore[union-attr]
    assert world.sandbox.state.numbers[number].purpose == "Customer hotline"


async def test_sms_reception_toggle_where_supported(world: World, chat: Chat) -> None:
    await at_confirm(chat, "US", "New York")
    assert "SMS reception: off" in chat.screen.text
    await chat.press("SMS reception: off")
    assert "SMS reception: on" in chat.screen.text
    await chat.press("Confirm and pay")
    number = (await chat.state()).order.placed  # type: ignore[union-attr]
    assert world.sandbox.state.numbers[number].receive_sms is True


async def test_back_from_confirm_drops_the_key(chat: Chat) -> None:
    await at_confirm(chat)
    await chat.press("Back")
    assert await chat.step() == "order.number"
    assert (await chat.state()).order.key == ""  # type: ignore[union-attr]


async def test_sip_step_after_ordering(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    await chat.press("Confirm and pay")
    assert chat.screen.expects == "text"
    assert "📞 00001 · Office" in chat.labels
    number = (await chat.state()).order.placed  # type: ignore[union-attr]
    await chat.type("not a sip uri")
    assert chat.notes == [t("invalid.sip_uri")]
    await chat.type("00009")
    assert chat.notes == [t("invalid.sip_login")]
    assert await chat.step() == "order.sip"
    await chat.press("Test mode: off")
    assert "Test mode: on" in chat.screen.text
    await chat.type("1234@sip.example.com:5061")
    assert await chat.step() == "order.done"
    owned = world.sandbox.state.numbers[number]
    assert (owned.sip, owned.test_mode) == ("1234@sip.example.com:5061", True)
    assert "Status: ✅ Active" in chat.screen.text
    assert "Calls go to: 1234@sip.example.com:5061, test mode" in chat.screen.text
    await chat.press("Manage this number")
    assert await chat.step() == "numbers.card"
    assert (await chat.state()).order is None


async def test_sip_can_be_skipped(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    await chat.press("Confirm and pay")
    await chat.press("Skip for now")
    assert await chat.step() == "order.done"
    assert "Calls go to: not connected yet" in chat.screen.text
    await chat.press("Main menu")
    assert await chat.step() == "menu"
