"""My numbers: list, card, auto-renewal, prolonging, caller name, SIP target, SMS, ownership."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services.ordering import add_months
from conversations.events import Press
from conversations.formatting import format_phone
from conversations.state import Action, ConversationState, ManageState
from tests.unit.conversations.support import Chat, World, t


async def open_card(chat: Chat, number: str) -> None:
    await chat.command("numbers")
    await chat.press(format_phone(number))
    assert await chat.step() == "numbers.card"


async def test_no_numbers_yet(chat: Chat) -> None:
    await chat.command("numbers")
    assert chat.screen.text == t("numbers.empty")
    await chat.press("Order a number")
    assert await chat.step() == "order.country"


async def test_list_shows_status_expiry_autorenew_and_sip(world: World, chat: Chat) -> None:
    first = await world.own_number("1001", 3301)
    second = await world.own_number("1001", 3004)
    await world.own_number("2002", 3302)
    world.sandbox.state.numbers[second].sip = "00002"
    await chat.command("numbers")
    text = chat.screen.text
    assert text.startswith("📱 You have 2 numbers:")
    assert f"{format_phone(first)} — ✅ Active" in text
    assert "until Feb 15, 2026 · auto-renewal on · → not connected yet" in text
    assert "→ 00002" in text
    assert chat.labels == [format_phone(first), format_phone(second), "🏠 Main menu"]


async def test_list_is_paged(world: World, chat: Chat) -> None:
    for _ in range(7):
        await world.own_number("1001", 3303)
    await chat.command("numbers")
    assert t("common.page", page=1, pages=2) in chat.screen.text
    await chat.press("Next")
    assert len([label for label in chat.labels if label.startswith("+1")]) == 1


async def test_card_and_auto_renewal(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    await open_card(chat, number)
    text = chat.screen.text
    for line in (
        f"📱 {format_phone(number)}",
        "🌍 New York, United States",
        "Status: ✅ Active",
        "Paid until: Feb 15, 2026",
        "Auto-renewal: on",
        "Monthly fee: $5.00",
        "SMS reception: off",
    ):
        assert line in text
    await chat.press("Turn auto-renewal off")
    assert chat.notes == [t("card.autorenew_done", number=format_phone(number), value="off")]
    assert world.sandbox.state.numbers[number].autorenew is False
    assert "Auto-renewal: off" in chat.screen.text
    await chat.press("Turn auto-renewal on")
    assert world.sandbox.state.numbers[number].autorenew is True


async def test_sms_reception_only_where_supported(world: World, chat: Chat) -> None:
    with_sms = await world.own_number("1001", 3301)
    without = await world.own_number("1001", 3303)
    await open_card(chat, with_sms)
    await chat.press("Turn SMS reception on")
    assert chat.notes == [t("card.sms_done", number=format_phone(with_sms), value="on")]
    assert world.sandbox.state.numbers[with_sms].receive_sms is True
    assert "SMS reception: on" in chat.screen.text
    await chat.press("Back")
    await chat.press(format_phone(without))
    assert not any("SMS" in label for label in chat.labels)
    assert "SMS reception" not in chat.screen.text


async def test_prolong_one_month_shows_price_and_date_then_pays_once(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    before = world.sandbox.state.numbers[number].stop_date
    await open_card(chat, number)
    await chat.press("Prolong")
    assert chat.labels[:4] == ["1 month", "3 months", "6 months", "12 months"]
    await chat.press("1 month")
    text = chat.screen.text
    assert f"⏩ Prolong {format_phone(number)} by 1 month" in text
    assert "Price: $5.00" in text
    assert "Paid until: Feb 15, 2026 → Mar 15, 2026" in text
    assert "Your balance: $95.00" in text
    confirm = Press(chat.button("Confirm and pay $5.00").action)
    await chat.send(confirm)
    assert chat.notes == [t("prolong.done", number=format_phone(number), date="Mar 15, 2026", amount="$5.00")]
    assert await chat.step() == "numbers.card"
    assert "Paid until: Mar 15, 2026" in chat.screen.text
    await chat.send(confirm)
    assert chat.notes == [
        t("prolong.already_done", number=format_phone(number), date="Mar 15, 2026", amount="$5.00")
    ]
    assert world.sandbox.call_count("prolong") == 1
    assert world.sandbox.state.numbers[number].stop_date == add_months(before, 1)


async def test_prolong_refused_when_the_balance_is_too_low(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    world.set_balance("2")
    await open_card(chat, number)
    await chat.press("Prolong")
    await chat.press("12 months")
    assert t("prolong.balance_low") in chat.screen.text
    await chat.press("Confirm and pay $60.00")
    assert chat.notes == [t("error.balance_low", needed="$60.00", balance="$2.00")]
    assert await chat.step() == "numbers.prolong_confirm"
    assert world.sandbox.call_count("prolong") == 0


async def test_prolong_failure_offers_a_retry(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    await open_card(chat, number)
    await chat.press("Prolong")
    await chat.press("3 months")
    world.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/prolong/"])
    await chat.press("Confirm and pay $15.00")
    assert chat.notes[0].startswith("⚠️ Zadarma could not do this right now:")
    assert chat.labels[0] == "🔁 Try again ($15.00)"
    world.sandbox.clear_faults()
    await chat.press("Try again")
    assert await chat.step() == "numbers.card"
    assert "Paid until: May 15, 2026" in chat.screen.text
    assert world.sandbox.state.balance == 80


@pytest.mark.parametrize(
    ("typed", "note", "stored"),
    [
        ("Zażółć gęślą", "invalid.caller_name", ""),
        ("A" * 31, "invalid.caller_name", ""),
        ("ACME-Sales", "invalid.caller_name", ""),
        ("ACME Sales 24", "caller_name.done", "ACME Sales 24"),
        ("-", "caller_name.cleared", ""),
    ],
)
async def test_caller_name(world: World, chat: Chat, typed: str, note: str, stored: str) -> None:
    number = await world.own_number("1001", 3301)
    world.sandbox.state.numbers[number].caller_name = ""
    await open_card(chat, number)
    await chat.press("Caller name")
    assert chat.screen.expects == "text"
    await chat.type(typed)
    assert chat.notes == [t(note, number=format_phone(number), name=stored)]
    assert await chat.step() == ("numbers.caller_name" if note.startswith("invalid") else "numbers.card")
    assert world.sandbox.state.numbers[number].caller_name == stored


async def test_sip_target_and_test_mode(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    await open_card(chat, number)
    await chat.press("Where calls go")
    assert chat.screen.expects == "text"
    await chat.type("sip:bad uri")
    assert chat.notes == [t("invalid.sip_uri")]
    await chat.press("Test mode: off")
    await chat.press("00002")
    assert chat.notes[0].startswith(t("sip.done", number=format_phone(number), target="00002"))
    owned = world.sandbox.state.numbers[number]
    assert (owned.sip, owned.test_mode) == ("00002", True)
    assert "Calls go to: 00002 (Reception), test mode" in chat.screen.text
    await chat.press("Where calls go")
    assert "Test mode: on" in chat.screen.text
    await chat.type("sip:alice@pbx.example.org")
    assert world.sandbox.state.numbers[number].sip == "alice@pbx.example.org"


@pytest.mark.parametrize(
    ("typed", "note", "stored"),
    [
        ("1234@localhost", "invalid.sip_host_local", ""),
        ("1234@192.168.0.10:5060", "invalid.sip_host_local", ""),
        ("1234@pbx", "invalid.sip_host_local", ""),
        ("1234@sip.example.com;transport=carrier-pigeon", "invalid.sip_uri", ""),
        ("sips:1234@sip.example.com", "", "sips:1234@sip.example.com"),
        ("1234@sip.example.com:5060;transport=tcp", "", "sip:1234@sip.example.com:5060;transport=tcp"),
    ],
)
async def test_sip_uris_must_be_valid_and_reachable(
    world: World, chat: Chat, typed: str, note: str, stored: str
) -> None:
    number = await world.own_number("1001", 3301)
    before = world.sandbox.state.numbers[number].sip
    await open_card(chat, number)
    await chat.press("Where calls go")
    await chat.type(typed)
    owned = world.sandbox.state.numbers[number]
    if note:
        host = typed.split("@", 1)[1].split(":", 1)[0].split(";", 1)[0]
        assert chat.notes == [t(note, host=host)]
        assert owned.sip == before and await chat.step() == "numbers.sip"
    else:
        assert owned.sip == stored and await chat.step() == "numbers.card"


async def test_refresh_and_back(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    await open_card(chat, number)
    world.sandbox.state.numbers[number].autorenew = False
    await chat.press("Refresh")
    assert "Auto-renewal: off" in chat.screen.text
    await chat.press("Back")
    assert await chat.step() == "numbers.list"


async def test_an_expired_number_card_falls_back_to_the_list(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    await open_card(chat, number)
    world.sandbox.state.numbers[number].autorenew = False
    world.sandbox.advance_days(60)
    await chat.press("Refresh")
    assert chat.notes == [t("error.not_found")]
    assert await chat.step() == "numbers.list"
    assert chat.screen.text == t("numbers.empty")


async def test_another_customers_number_stays_out_of_reach(world: World) -> None:
    alices = await world.own_number("1001", 3301)
    bob = world.chat("2002")
    alice = world.chat("1001")
    await open_card(alice, alices)
    alice_token = alice.button("Turn auto-renewal off").action
    # Bob presses Alice's button: it is not in his table.
    await bob.command("numbers")
    await bob.send(Press(alice_token))
    assert bob.notes == [t("menu.expired")]
    # Bob's own state pointing at Alice's number (forged or stale): the service refuses.
    forged = ConversationState(step="numbers.card", manage=ManageState(number=alices))
    forged.actions = {"zz1": Action(op="autorenew", n=0)}
    await world.seed(bob.key, forged)
    await bob.send(Press("zz1"))
    assert bob.notes[0] == t("error.not_yours")
    assert world.sandbox.state.numbers[alices].autorenew is True
    assert await bob.step() == "numbers.list"
    await world.seed(
        bob.key, ConversationState(step="numbers.prolong_confirm", manage=ManageState(number=alices))
    )
    await bob.current()
    assert bob.notes == [t("error.not_yours")]
    assert alices.lstrip("+") not in bob.screen.text.replace(" ", "")
    assert world.sandbox.call_count("prolong") == 0


async def test_an_operator_reaches_every_number(world: World) -> None:
    world.operators = frozenset({world.chat("UOPS").key.user})
    world.restart()
    number = await world.own_number("1001", 3301)
    operator = world.chat("UOPS")
    await operator.command("numbers")
    assert format_phone(number) in operator.labels
    await operator.press(format_phone(number))
    await operator.press("Turn auto-renewal off")
    assert world.sandbox.state.numbers[number].autorenew is False


async def test_stop_dates_move_with_the_sandbox_clock(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    world.sandbox.advance_days(35)
    await open_card(chat, number)
    owned = world.sandbox.state.numbers[number]
    assert owned.stop_date - world.sandbox.clock.now() < timedelta(days=31)
    assert "Paid until: Mar 15, 2026" in chat.screen.text


async def test_a_balance_spent_elsewhere_moments_ago_is_refused_by_zadarma_with_the_real_figure(
    world: World, chat: Chat
) -> None:
    number = await world.own_number("1001", 3301)
    stop_date = world.sandbox.state.numbers[number].stop_date
    world.sandbox.set_balance("2")  # the bot's balance cache is still warm
    await open_card(chat, number)
    await chat.press("Prolong")
    await chat.press("12 months")
    await chat.press("Confirm and pay $60.00")
    assert chat.notes == [t("error.balance_low", needed="$60.00", balance="$2.00")]
    assert await chat.step() == "numbers.prolong_confirm"
    assert world.sandbox.state.numbers[number].stop_date == stop_date


async def test_chat_switches_and_the_messages_list_on_the_card(world: World, chat: Chat) -> None:
    from datetime import UTC, datetime

    from bot.zadarma.notifications import SmsEvent

    number = await world.own_number("1001", 3301)
    await open_card(chat, number)
    assert "📩 SMS to chat: on" in chat.labels and "📞 Calls to chat: off" in chat.labels
    await chat.press("📞 Calls to chat: off")
    assert chat.notes == [t("card.calls_chat_done", number=format_phone(number), value="on")]
    assert (await world.storage.number_events.prefs(number)).calls_to_chat is True
    await chat.press("📩 SMS to chat: on")
    assert "📩 SMS to chat: off" in chat.labels
    await chat.press("💬 Messages")
    assert await chat.step() == "numbers.messages"
    assert chat.screen.text == t("messages.empty", number=format_phone(number), days=30)
    events = world.services.events
    await events.accept(SmsEvent(number, "48600100200", "Kod: 1234", '{"a": 1}'))
    await events.accept(SmsEvent(number, "48600100201", "Drugi", '{"a": 2}'))
    await chat.press("Refresh")
    lines = chat.screen.text.splitlines()
    assert lines[0] == t("messages.title", number=format_phone(number))
    assert lines[-2].endswith("+48 600 100 201: Drugi") and lines[-1].endswith("+48 600 100 200: Kod: 1234")
    assert str(datetime.now(UTC).year) in lines[-1]
    await chat.press("Back")
    assert await chat.step() == "numbers.card"
