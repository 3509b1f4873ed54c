"""The team console as engine steps: state x event -> next step + replies, over the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, timedelta

import pytest

from bot.services.selection import account_now
from bot.storage import ConversationKey, UserRef
from conversations.engine import ConversationEngine
from conversations.events import Command, Press
from conversations.formatting import format_phone
from conversations.i18n import translator
from conversations.notices import Notice
from conversations.state import MAX_TEAM_ACTIONS, Action, ConversationState
from conversations.team_commands import usage_line
from tests.unit.conversations.support import EN, PL, Chat, World, open_world, t

OPERATOR = UserRef("slack", "UOPS1")
OTHER_OPERATOR = UserRef("slack", "UOPS2")
CUSTOMER = "1001"
Numbers = tuple[str, str]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with open_world(operators=frozenset({OPERATOR, OTHER_OPERATOR})) as built:
        yield built


def console(world: World, user: UserRef = OPERATOR, *, locale: str = "en") -> Chat:
    """The team console conversation of ``user`` (as the Slack adapter keys it)."""
    return Chat(world, ConversationKey(user.platform, "team", user.user_id), locale)


@pytest.fixture
async def numbers(world: World) -> tuple[str, str]:
    """Two numbers of the account: one a customer owns, one expiring in three days (real clock)."""
    owned = await world.own_number(CUSTOMER, 3301)
    soon = await world.own_number("2002", 3004)
    now = account_now().replace(tzinfo=UTC)
    world.sandbox.state.numbers[soon].stop_date = now + timedelta(days=3)
    world.sandbox.state.numbers[owned].stop_date = now + timedelta(days=30)
    return owned, soon


@dataclass(frozen=True)
class Case:
    """One console command from a fresh console: the step it leads to and what the answer holds."""

    args: str
    step: str
    shows: tuple[str, ...]
    notes: int = 0


CASES = [
    Case("list", "team.list", ("Numbers (2)", "{owned}", "{soon}", "United States")),
    Case("list parking", "team.list", ("Numbers matching parking", "No numbers match.")),
    Case("list {soon_digits}", "team.list", ("(1)", "{soon}")),
    Case("expiring 7", "team.expiring", ("Expiring within 7 days (1)", "{soon}")),
    Case("expiring 60", "team.expiring", ("Expiring within 60 days (2)",)),
    Case("info {owned_digits}", "team.card", ("{owned}", "Paid until", "Owner: telegram:1001")),
    Case("prolong {owned_digits} 2", "team.prolong_confirm", ("by 2 months", "Price: $10.00")),
    Case("autorenew {owned_digits} off", "team.idle", ("Auto-renewal of {owned} is now off.",), 1),
    Case("callername {owned_digits} Front Desk", "team.idle", ("“Front Desk”",), 1),
    Case("sip {owned_digits} 00001 test", "team.idle", ("now rings 00001 in test mode",), 1),
    Case("assign {owned_digits} 4242", "team.idle", ("now belongs to Telegram user 4242",), 1),
    Case("docs", "team.docs", ("Document groups", "#0")),
    Case("docs 0", "team.group", ("Document group #0", "No documents uploaded.")),
    Case("audit", "team.audit", ("Audit log",)),
    Case("help", "team.idle", ("Manage the account's virtual numbers:", "`/numbers audit [NUMBER]`"), 1),
    Case("prolong {owned_digits} 13", "team.idle", ("MONTHS must be a whole number from 1 to 12",), 1),
    Case("frobnicate", "team.idle", ("`frobnicate` is not a subcommand",), 1),
    Case("info 4812345678", "team.card", ("There is no such number or group in the account.",)),
    Case("autorenew 4812345678 on", "team.idle", ("Zadarma could not do this right now",), 1),
    Case("order", "order.country", ()),
]


@pytest.mark.parametrize("case", CASES, ids=[c.args for c in CASES])
async def test_each_command_leads_to_its_step_and_says_what_it_did(
    world: World, numbers: Numbers, case: Case
) -> None:
    owned, soon = numbers
    values = {
        "owned": format_phone(owned),
        "soon": format_phone(soon),
        "owned_digits": owned,
        "soon_digits": soon[-7:],
    }
    chat = console(world)
    await chat.command("team", case.args.format(**values))
    assert await chat.step() == case.step
    assert len(chat.notes) == case.notes
    for fragment in case.shows:
        assert fragment.format(**values) in chat.text


async def test_switches_change_the_account_and_write_the_audit(world: World, numbers: Numbers) -> None:
    owned, _ = numbers
    chat = console(world)
    state = world.sandbox.state.numbers[owned]
    await chat.command("team", f"autorenew {owned} off")
    assert state.autorenew is False
    await chat.command("team", f"callername {owned} -")
    assert chat.notes == [t("caller_name.cleared", number=format_phone(owned))]
    await chat.command("team", f"sip {owned} office@pbx.example.com")
    assert (state.sip, state.test_mode) == ("office@pbx.example.com", False)
    await chat.command("team", f"audit {owned}")
    audit = chat.screen.text
    assert audit.startswith(f"Audit of {format_phone(owned)}")
    for action in ("autorenew", "caller_name", "sip"):
        assert f"slack:{OPERATOR.user_id} {action} {owned}" in audit


async def test_card_prolong_confirm_pays_once_and_a_second_press_replays(
    world: World, numbers: Numbers
) -> None:
    owned, _ = numbers
    before = world.sandbox.state.numbers[owned].stop_date
    chat = console(world)
    await chat.command("team", f"info {owned}")
    assert chat.labels == ["⏩ Prolong 1 month", "🔁 Turn auto-renewal off"]
    await chat.press("Prolong 1 month")
    assert await chat.step() == "team.prolong_confirm"
    assert chat.screen.replaces_pressed is False  # a card's button: the card stays
    assert world.sandbox.call_count("prolong") == 0
    pay = chat.button("Confirm and pay $5.00")
    await chat.send(Press(pay.action))
    assert world.sandbox.call_count("prolong") == 1
    assert world.sandbox.state.numbers[owned].stop_date > before
    assert await chat.step() == "team.idle"
    [done] = chat.notes
    assert done.startswith(f"✅ {format_phone(owned)} is paid until ") and done.endswith("Charged: $5.00.")
    assert chat.screen.text == ""  # nothing more than the outcome

    await chat.send(Press(pay.action))  # pressed again (a second click): shown, never paid twice
    assert world.sandbox.call_count("prolong") == 1
    assert "already done" in chat.notes[0]


async def test_cancel_leaves_nothing_to_show_and_pays_nothing(world: World, numbers: Numbers) -> None:
    owned, _ = numbers
    chat = console(world)
    await chat.command("team", f"prolong {owned} 1")
    await chat.press("Cancel")
    assert await chat.step() == "team.idle"
    assert [s.text for s in chat.screens] == [""]
    assert (await chat.state()).manage.key == ""
    assert world.sandbox.call_count("prolong") == 0


async def test_a_cards_buttons_keep_working_after_newer_screens(world: World, numbers: Numbers) -> None:
    owned, _ = numbers
    chat = console(world)
    await chat.command("team", f"info {owned}")
    toggle = chat.button("auto-renewal")
    await chat.command("team", "list")
    await chat.send(Press(toggle.action))
    assert world.sandbox.state.numbers[owned].autorenew is False
    assert chat.notes == [t("card.autorenew_done", number=format_phone(owned), value="off")]


async def test_no_button_carries_a_number_or_a_price(world: World, numbers: Numbers) -> None:
    owned, _ = numbers
    chat = console(world)
    await chat.command("team", f"info {owned}")
    await chat.press("Prolong")
    for action in [*chat.screen.actions, *(await chat.state()).team_actions]:
        assert owned[-4:] not in action and "5.00" not in action and len(action) <= 12


async def test_a_stale_or_forged_token_is_refused(world: World, numbers: Numbers) -> None:
    owned, _ = numbers
    chat = console(world)
    await chat.command("team", f"prolong {owned} 1")
    await chat.send(Press("forged-token"))
    assert chat.notes == [t("menu.expired")]
    assert chat.screen.replaces_pressed is False
    assert await chat.step() == "team.prolong_confirm"  # the confirmation on screen stays valid
    assert world.sandbox.call_count("prolong") == 0


async def test_a_customer_is_refused_the_console_and_its_buttons(world: World, numbers: Numbers) -> None:
    owned, _ = numbers
    customer = world.chat(CUSTOMER)
    await customer.start()
    await customer.command("team", "list")
    assert customer.notes == [t("team.refused")]
    assert await customer.step() == "menu"

    # A console button in a non-operator's state (say, an operator removed since): refused.
    state = await customer.state()
    state.team_actions["tok1"] = Action(op="team.autorenew", ref=owned, n=0)
    await world.seed(customer.key, state)
    await customer.send(Press("tok1"))
    assert customer.notes == [t("team.refused")]
    assert world.sandbox.state.numbers[owned].autorenew is True


async def test_an_operator_removed_after_the_confirmation_cannot_pay(world: World, numbers: Numbers) -> None:
    owned, _ = numbers
    chat = console(world)
    await chat.command("team", f"prolong {owned} 1")
    pay = chat.button("Confirm and pay")
    world.operators = frozenset({OTHER_OPERATOR})
    world.restart()
    await chat.send(Press(pay.action))
    assert chat.notes == [t("team.refused")]
    assert world.sandbox.call_count("prolong") == 0


async def test_a_polish_operator_reads_polish(world: World, numbers: Numbers) -> None:
    owned, soon = numbers
    chat = console(world, locale="pl")
    await chat.command("team", "expiring 7")
    assert chat.screen.text.startswith("Wygasające w ciągu 7 dni (1)")
    assert format_phone(soon) in chat.screen.text
    await chat.command("team", f"info {owned}")
    assert PL.gettext("number.paid_until", date="").rstrip() in chat.screen.text
    assert chat.labels == ["⏩ Przedłuż o 1 miesiąc", PL.gettext("card.autorenew_off")]
    await chat.command("team", "prolong 1 2")
    assert chat.notes[0].startswith("`1` nie jest numerem telefonu")
    assert chat.notes[0].endswith(f"Użycie: `{usage_line(PL, 'prolong')}`")
    await chat.command("team", "info 4812345678")
    assert chat.screen.text == PL.gettext("team.error.not_found")


async def test_alert_buttons_are_shared_by_the_team_and_rechecked(world: World, numbers: Numbers) -> None:
    owned, _ = numbers
    engine = world.engine
    source = ConversationKey("slack", "alerts:CALERTS", "alerts")
    notice = Notice("expiry_warning", owned, {"days_left": "3", "stop_date": "2026-12-01"})
    alert = await engine.team_notice(source, notice, prolong=True, autorenew=True, card=True, locale="en")
    labels = [b.label for row in alert.buttons for b in row]
    assert labels == ["⏩ Prolong 1 month", "🔁 Turn auto-renewal on", t("team.show_number")]
    prolong, autorenew, card = (b.action for row in alert.buttons for b in row)

    first = console(world)
    screens, applied = await engine.press_shared(first.key, source, prolong)
    assert applied
    assert screens[-1].text.startswith(f"⏩ Prolong {format_phone(owned)} by 1 month")
    second = console(world, OTHER_OPERATOR)
    world.sandbox.state.numbers[owned].autorenew = False
    screens, applied = await engine.press_shared(second.key, source, autorenew)
    assert applied
    assert screens[0].text == t("card.autorenew_done", number=format_phone(owned), value="on")
    assert world.sandbox.state.numbers[owned].autorenew is True
    screens, _ = await engine.press_shared(second.key, source, card)
    assert "Paid until" in screens[-1].text

    forged, applied = await engine.press_shared(first.key, source, "nope")
    assert forged[0].text == t("menu.expired") and not applied
    stranger = ConversationKey("slack", "team", "USTRANGER")
    refused, applied = await engine.press_shared(stranger, source, autorenew)
    assert refused[0].text == t("team.refused") and not applied
    without_number = await engine.team_notice(
        source, Notice("balance_low", None, {}), prolong=True, autorenew=True, card=True
    )
    assert without_number.buttons == ()


async def test_states_round_trip_through_every_console_step(world: World, numbers: Numbers) -> None:
    owned, _ = numbers
    chat = console(world)
    for args in ("list DE", "expiring 3", f"info {owned}", f"prolong {owned} 3", "docs", "docs 0", "audit"):
        await chat.send(Command("team", args))  # Chat.send checks the JSON round trip of each state
        state = await chat.state()
        assert ConversationState.model_validate_json(state.dump()) == state
    assert translator("en").gettext("team.list.title") == "Numbers"
    assert EN.language == "en"


async def test_older_buttons_expire_but_an_alerts_last_much_longer(world: World, numbers: Numbers) -> None:
    owned, soon = numbers
    chat = console(world)
    await chat.command("team", f"info {owned}")
    first_card = chat.button("auto-renewal")
    for _ in range(MAX_TEAM_ACTIONS // 2):  # each card registers two buttons
        await chat.command("team", f"info {soon}")
    await chat.send(Press(first_card.action))
    assert chat.notes == [t("menu.expired")]
    assert world.sandbox.state.numbers[owned].autorenew is True

    source = ConversationKey("slack", "alerts:CALERTS", "alerts")
    notice = Notice("expiry_warning", owned, {"days_left": "3", "stop_date": "2026-12-01"})
    first = await world.engine.team_notice(source, notice, prolong=True, autorenew=True, card=True)
    for _ in range(MAX_TEAM_ACTIONS):
        await world.engine.team_notice(source, notice, prolong=True, autorenew=True, card=True)
    world.sandbox.state.numbers[owned].autorenew = False
    switch = first.buttons[0][1].action
    _, applied = await world.engine.press_shared(chat.key, source, switch)
    assert applied and world.sandbox.state.numbers[owned].autorenew is True


@pytest.mark.parametrize("platform", ["telegram", "console"])
async def test_assign_gives_the_number_to_a_user_of_the_customers_platform(
    world: World, numbers: Numbers, platform: str
) -> None:
    owned, _ = numbers
    world.engine = ConversationEngine(world.services, operators=world.operators, customers_platform=platform)
    await console(world).command("team", f"assign {owned} 4242")
    assert await world.storage.ownership.owner_of_number(owned) == UserRef(platform, "4242")


async def test_assign_is_refused_where_no_customers_platform_is_served(
    world: World, numbers: Numbers
) -> None:
    owned, _ = numbers
    before = await world.storage.ownership.owner_of_number(owned)
    world.engine = ConversationEngine(world.services, operators=world.operators)
    chat = console(world)
    await chat.command("team", f"assign {owned} 4242")
    assert chat.notes == [t("team.assign_no_customers")]
    assert await world.storage.ownership.owner_of_number(owned) == before


async def test_the_customers_platform_is_told_of_a_number_given_once_the_step_is_done(
    world: World, numbers: Numbers, caplog: pytest.LogCaptureFixture
) -> None:
    owned, _ = numbers
    world.engine = ConversationEngine(
        world.services, operators=world.operators, customers_platform="telegram"
    )
    told: list[tuple[str, UserRef]] = []

    async def welcome(number: str, owner: UserRef) -> None:
        assert await world.storage.ownership.owner_of_number(number) == owner  # already theirs
        told.append((number, owner))

    world.engine.on_number_given = welcome
    chat = console(world)
    await chat.send(Command("team", f"assign {owned} 4242"))
    await chat.send(Command("team", "assign 48221234567 4242"))  # not in the account: nobody told
    await chat.send(Command("team", f"info {owned}"))
    assert told == [(owned, UserRef("telegram", "4242"))]

    async def broken(number: str, owner: UserRef) -> None:
        raise RuntimeError("the customer's platform is down")

    world.engine.on_number_given = broken
    await chat.send(Command("team", f"assign {owned} 4343"))  # the number is given all the same
    assert await world.storage.ownership.owner_of_number(owned) == UserRef("telegram", "4343")
    assert "could not tell a customer about their new number" in caplog.text


async def test_an_event_applied_before_tells_nobody_again(world: World, numbers: Numbers) -> None:
    owned, _ = numbers
    world.engine = ConversationEngine(
        world.services, operators=world.operators, customers_platform="telegram"
    )
    told: list[str] = []

    async def welcome(number: str, owner: UserRef) -> None:
        told.append(owner.user_id)

    world.engine.on_number_given = welcome
    key = console(world).key
    event = Command("team", f"assign {owned} 4242")
    await world.engine.handle(key, event, event_id="telegram:1")
    await world.engine.handle(key, event, event_id="telegram:1")  # delivered again after a crash
    assert told == ["4242"]


async def test_usage_lines_show_the_platforms_own_command(world: World) -> None:
    chat = console(world)
    await chat.send(Command("team", "assign", alias="/assign"))
    assert chat.notes[-1].endswith("Usage: `/assign NUMBER TELEGRAM_USER_ID`")
