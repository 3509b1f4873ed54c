"""The team console's renewals whose outcome is refused or not known at once, and the group buttons.

Real services over the emulator: a lost reply is the emulator dropping the
connection after it prolonged; another replica's renewal is an intent left
``sending``; the evidence is weighed by the ordering service itself. Each test
says what the operator is told and how often money moved.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from bot.services.ordering import add_months
from bot.storage import ConversationKey, IntentKind, IntentStatus, UserRef
from conversations.events import Press
from conversations.formatting import format_phone
from conversations.screens import Button
from tests.unit.conversations.support import EN, Chat, World, open_world, t

OPERATOR = UserRef("slack", "UOPS1")
OTHER_OPERATOR = UserRef("slack", "UOPS2")
PROLONG_PATH = "/v1/direct_numbers/prolong/"
FEE = Decimal("5.00")


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with open_world(operators=frozenset({OPERATOR, OTHER_OPERATOR})) as built:
        yield built


def console(world: World, user: UserRef = OPERATOR) -> Chat:
    """The team console conversation of ``user`` (as the Slack adapter keys it)."""
    return Chat(world, ConversationKey(user.platform, "team", user.user_id), "en")


@pytest.fixture
async def number(world: World) -> str:
    """A number of the account, owned by a customer ($5.00 a month)."""
    return await world.own_number("1001", 3301)


async def confirmation(chat: Chat, number: str) -> Button:
    """``/numbers prolong NUMBER 1``: the Pay button of its confirmation."""
    await chat.command("team", f"prolong {number} 1")
    assert await chat.step() == "team.prolong_confirm"
    return chat.button("Confirm and pay $5.00")


async def paid_with_reply_lost(world: World, chat: Chat, number: str) -> str:
    """Pay; Zadarma prolongs but the reply is lost: the console waits for the outcome (its key)."""
    pay = await confirmation(chat, number)
    key = (await chat.state()).manage.key
    world.sandbox.set_faults(drop_rate=1.0, paths=[PROLONG_PATH])
    await chat.send(Press(pay.action))
    world.sandbox.clear_faults()
    assert await chat.step() == "team.prolong_pending"
    assert chat.screen.text == t("prolong.pending")
    assert chat.labels == [t("button.refresh")]
    return key


async def renewal_sending(world: World, key: str, number: str, before: datetime) -> None:
    """Intent ``key`` renewing ``number`` by a month, stored as being sent (``before``: its evidence)."""
    params: dict[str, str | int] = {
        "number": number,
        "months": 1,
        "stop_date_before": before.strftime("%Y-%m-%d %H:%M:%S"),
    }
    await world.storage.intents.create(key, IntentKind.PROLONG, OPERATOR, params, target=number)
    await world.storage.intents.mark_sending(key)


async def status_of(world: World, key: str) -> IntentStatus:
    intent = await world.storage.intents.get(key)
    assert intent is not None
    return intent.status


async def settle_now(world: World, key: str, *, final: bool = False) -> None:
    """The settler's look at the account for intent ``key`` (``final``: its window is over)."""
    intent = await world.storage.intents.get(key)
    assert intent is not None
    await world.services.ordering.settle(intent, final=final)


async def test_a_group_button_of_the_document_list_opens_the_group(world: World) -> None:
    chat = console(world)
    await chat.command("team", "docs")
    group_zero = chat.button("#0 ")
    await chat.command("team", "list")  # a newer screen: the list's group buttons stay valid
    await chat.send(Press(group_zero.action))
    assert await chat.step() == "team.group"
    assert chat.screen.text.startswith("Document group #0")
    assert chat.screen.replaces_pressed is False  # the list pressed stays


async def test_pay_while_another_renewal_of_the_number_is_unknown_shows_the_card(
    world: World, number: str
) -> None:
    first = console(world, OTHER_OPERATOR)
    key = await paid_with_reply_lost(world, first, number)
    assert await status_of(world, key) == IntentStatus.UNKNOWN
    moved = world.sandbox.state.numbers[number].stop_date

    chat = console(world)
    pay = await confirmation(chat, number)
    await chat.send(Press(pay.action))
    assert await chat.step() == "team.card"
    assert chat.notes == [t("error.renewal_in_progress", number=format_phone(number))]
    assert chat.labels[0] == "⏩ Prolong 1 month"  # the card again, nothing paid a second time
    assert world.sandbox.call_count("prolong") == 1
    assert world.sandbox.state.numbers[number].stop_date == moved


async def test_pay_on_a_contested_renewal_shows_the_card_and_pays_nothing(world: World, number: str) -> None:
    chat = console(world)
    pay = await confirmation(chat, number)
    key = (await chat.state()).manage.key
    # What an earlier press of this very confirmation left: a renewal the records disagree about.
    before = world.sandbox.state.numbers[number].stop_date
    assert before is not None
    await renewal_sending(world, key, number, before)
    await world.storage.intents.mark_unknown(key, "reply lost")
    world.sandbox.state.numbers[number].stop_date = add_months(before, 3)  # moved by something else
    await settle_now(world, key)
    assert await status_of(world, key) == IntentStatus.CONTESTED

    await chat.send(Press(pay.action))
    assert await chat.step() == "team.card"
    assert chat.notes == [t("error.outcome_contested", number=format_phone(number))]
    assert world.sandbox.call_count("prolong") == 0
    assert (await chat.state()).manage.key == ""  # a new renewal gets a new key


async def test_a_lost_reply_is_settled_as_paid_and_refresh_tells_it_once(world: World, number: str) -> None:
    before = world.sandbox.state.numbers[number].stop_date
    assert before is not None
    balance = world.sandbox.state.balance
    chat = console(world)
    key = await paid_with_reply_lost(world, chat, number)

    await chat.press(t("button.refresh"))  # nothing proven yet: still waiting, nothing sent again
    assert await chat.step() == "team.prolong_pending"
    assert chat.screen.text == t("prolong.pending")

    await settle_now(world, key)  # the paid-until date moved by exactly the month paid for
    assert await status_of(world, key) == IntentStatus.SUCCEEDED
    await chat.press(t("button.refresh"))
    assert await chat.step() == "team.idle"
    until = add_months(before, 1)
    assert chat.notes == [
        t("prolong.already_done", number=format_phone(number), date=EN.date(until), amount="$5.00")
    ]
    assert chat.screen.text == ""
    assert world.sandbox.state.numbers[number].stop_date == until
    assert world.sandbox.call_count("prolong") == 1
    assert world.sandbox.state.balance == balance - FEE


async def test_a_lost_reply_the_records_contradict_shows_the_card(world: World, number: str) -> None:
    chat = console(world)
    key = await paid_with_reply_lost(world, chat, number)
    record = world.sandbox.state.numbers[number]
    assert record.stop_date is not None
    record.stop_date += timedelta(days=10)  # moved again, by something this renewal does not explain
    await settle_now(world, key)
    assert await status_of(world, key) == IntentStatus.CONTESTED

    await chat.press(t("button.refresh"))
    assert await chat.step() == "team.card"
    assert chat.notes == [t("error.outcome_contested", number=format_phone(number))]
    assert world.sandbox.call_count("prolong") == 1  # the one whose reply was lost; never again


async def test_a_renewal_another_replica_never_sent_is_offered_again_and_paid_once(
    world: World, number: str
) -> None:
    before = world.sandbox.state.numbers[number].stop_date
    assert before is not None
    balance = world.sandbox.state.balance
    chat = console(world)
    pay = await confirmation(chat, number)
    key = (await chat.state()).manage.key
    # Another replica took this press, stored the intent as sending and died before the call.
    await renewal_sending(world, key, number, before)
    await chat.send(Press(pay.action))
    assert await chat.step() == "team.prolong_pending"
    assert world.sandbox.call_count("prolong") == 0

    # Recovery takes it over (unknown); the window passes with the paid-until date unchanged.
    intent = await world.storage.intents.get(key)
    assert intent is not None
    await world.services.ordering.recover(left_before=intent.updated_at + timedelta(seconds=1))
    await settle_now(world, key, final=True)
    assert await status_of(world, key) == IntentStatus.FAILED

    await chat.press(t("button.refresh"))
    assert await chat.step() == "team.prolong_confirm"
    [told] = chat.notes
    assert told.startswith("⚠️ Zadarma could not do this right now:") and "nothing was charged" in told
    assert world.sandbox.call_count("prolong") == 0
    await chat.press("Try again ($5.00)")  # a new key: this time it is paid, once
    assert await chat.step() == "team.idle"
    assert chat.notes[0].startswith(f"✅ {format_phone(number)} is paid until ")
    assert world.sandbox.call_count("prolong") == 1
    assert world.sandbox.state.numbers[number].stop_date == add_months(before, 1)
    assert world.sandbox.state.balance == balance - FEE


async def test_pay_for_a_number_no_longer_on_the_account_says_so_and_pays_nothing(
    world: World, number: str
) -> None:
    chat = console(world)
    pay = await confirmation(chat, number)
    del world.sandbox.state.numbers[number]  # released meanwhile, behind the bot's back
    await chat.send(Press(pay.action))
    [told] = chat.notes  # why nothing was paid, then the confirmation can no longer be shown
    assert told.startswith("🤷")
    assert chat.screen.text == t("team.error.not_found")
    assert chat.labels == []  # no Pay button left to press
    assert world.sandbox.call_count("prolong") == 0
