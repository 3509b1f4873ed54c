"""Declared transitions the flow tests do not take on their way: each one taken here, step by step.

A full run of this directory fails when a declared transition is never taken
(``tests/transition_record.py``), so every edge of ``conversations/transitions.py``
has a test somewhere in it; these are the ones no flow test needed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.services import Actor
from bot.services.outcomes import FAIL_NUMBER_GONE
from bot.storage import IntentKind
from conversations.events import FormSubmitted, Press
from conversations.notices import Notice
from conversations.state import ConversationState, DocsState, FormField, FormState, OrderDraft, StepName
from tests.unit.conversations.support import JPEG, Chat, World, t
from tests.unit.conversations.test_confirm import at_confirm
from tests.unit.conversations.test_group_edit import GERMAN
from tests.unit.conversations.test_navigation import Ids, ids_for, seeded

MISSING = 987_654  # no group and no direction has this id


async def test_menu_buttons_lead_to_the_documents_and_the_help(chat: Chat) -> None:
    await chat.start()
    await chat.press(t("menu.documents"))
    assert await chat.step() == "docs.list"
    await chat.press(t("button.menu"))
    await chat.press(t("menu.help"))
    assert await chat.step() == "help"


async def test_alert_buttons_open_the_number_and_the_documents(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    await chat.start()
    card = await world.engine.notice(chat.key, Notice("expiry_warning", number, {"days_left": "3"}))
    _prolong, _autorenew, open_number = (row[0].action for row in card.buttons)
    await chat.send(Press(open_number))
    assert await chat.step() == "numbers.card"
    assert chat.notes == []
    documents = await world.engine.notice(chat.key, Notice("documents_needed", number))
    await chat.send(Press(documents.buttons[0][0].action))
    assert await chat.step() == "docs.list"


def _gone_direction(step: StepName, ids: Ids) -> ConversationState:
    state = seeded(step, ids)
    assert state.order is not None
    state.order.direction_id = MISSING
    return state


def _gone_country(step: StepName, ids: Ids) -> ConversationState:
    state = seeded(step, ids)
    assert state.order is not None
    state.order.iso = "XX"
    return state


def _gone_group(step: StepName, ids: Ids) -> ConversationState:
    state = seeded(step, ids)
    assert state.order is not None
    state.order.group_id = MISSING
    if state.form is not None:
        state.form.group_id = MISSING
    return state


def _someone_elses_number(step: StepName, ids: Ids) -> ConversationState:
    state = seeded(step, ids)
    state.manage.number = "12025550199"  # on nobody's account here
    return state


@pytest.mark.parametrize(
    ("step", "damage", "lands_on"),
    [
        ("order.direction", _gone_country, "order.country"),
        ("order.number", _gone_direction, "order.direction"),
        ("order.group", _gone_direction, "order.direction"),  # via order.number
        ("order.confirm", _gone_direction, "order.direction"),  # via order.number
        ("order.doc_status", _gone_group, "order.group"),
        ("order.edit", _gone_group, "order.group"),  # via order.doc_status
        ("numbers.messages", _someone_elses_number, "numbers.list"),
    ],
)
async def test_a_screen_whose_data_is_gone_falls_back(
    world: World,
    step: StepName,
    damage: Callable[[StepName, Ids], ConversationState],
    lands_on: StepName,
) -> None:
    chat = world.chat("1001")
    await world.seed(chat.key, damage(step, await ids_for(world)))
    await chat.current()
    assert await chat.step() == lands_on
    assert chat.notes, "the user is told why the screen changed"


@pytest.mark.parametrize(
    ("state", "lands_on"),
    [
        (
            ConversationState(step="order.doc_status", order=OrderDraft(iso="PL", direction_id=3001)),
            "order.group",
        ),
        (
            ConversationState(step="order.confirm", order=OrderDraft(iso="PL", direction_id=3004)),
            "order.number",
        ),
        (ConversationState(step="docs.group", docs=DocsState(group_id=None)), "docs.list"),
    ],
)
async def test_a_screen_without_its_choice_redirects(
    world: World, state: ConversationState, lands_on: StepName
) -> None:
    chat = world.chat("1001")
    await world.seed(chat.key, state)
    await chat.current()
    assert await chat.step() == lands_on
    assert chat.notes == []


async def test_a_group_needing_no_files_goes_straight_to_its_status(world: World, chat: Chat) -> None:
    await world.services.documents.create_group(Actor(chat.key.user), GERMAN)
    await chat.command("order", "DE")
    await chat.type("Berlin")
    await chat.press("Berlin")
    await chat.press("Any number")
    assert await chat.step() == "order.group"
    await chat.press("Anna Nowak")
    assert await chat.step() == "order.doc_status"


async def test_a_group_created_for_a_direction_needing_no_files_shows_its_status(world: World) -> None:
    chat = world.chat("1001")
    fields = [FormField(name=name, required=True) for name in GERMAN]
    answers = dict(GERMAN)
    state = ConversationState(
        step="order.form",
        order=OrderDraft(iso="DE", direction_id=3101, number_id="x", number="4930000000"),
        form=FormState(origin="order", fields=fields, index=len(fields), answers=answers, direction_id=3101),
    )
    await world.seed(chat.key, state)
    await chat.current()
    await chat.press(t("form.create"))
    assert await chat.step() == "order.doc_status"
    assert chat.notes[0] == t("form.created", name="Anna Nowak")


async def test_saving_a_correction_asks_for_the_files_still_missing(world: World) -> None:
    chat = world.chat("1001")
    await world.seed(chat.key, seeded("order.edit", await ids_for(world)))
    await chat.current()
    await chat.press(t("field.email"))
    await chat.type("jan.kowalski@example.com")
    await chat.press(t("docs.edit.save"))
    assert await chat.step() == "order.upload"


async def test_back_from_the_confirmation_returns_to_the_documents(world: World) -> None:
    chat = world.chat("1001")
    state = seeded("order.doc_status", await ids_for(world))
    state.step = "order.confirm"
    await world.seed(chat.key, state)
    await chat.current()
    assert await chat.step() == "order.confirm"
    await chat.press(t("button.back"))
    assert await chat.step() == "order.doc_status"


async def test_a_document_type_pressed_with_no_group_open_goes_to_the_list(world: World) -> None:
    chat = world.chat("1001")
    await world.seed(chat.key, ConversationState(step="docs.upload_type"))
    await chat.current()
    await chat.press(t("doctype.passport"))
    assert await chat.step() == "docs.list"


async def _pending_order(world: World, chat: Chat) -> tuple[str, str]:
    """At the confirmation, the order's outcome unknown: another replica is sending it."""
    await at_confirm(chat)
    order = (await chat.state()).order
    assert order is not None
    await world.storage.intents.create(order.key, IntentKind.ORDER, chat.key.user, {"number": order.number})
    await world.storage.intents.mark_sending(order.key)
    await chat.press(t("order.confirm.pay", amount="$10.00"))
    assert await chat.step() == "order.pending"
    return order.key, order.number


async def _reserved(world: World, key: str, number: str) -> None:
    await world.storage.intents.mark_succeeded(key, {"number": number, "activated": 0, "reserved": 1})


async def _gone(world: World, key: str, number: str) -> None:
    await world.storage.intents.mark_failed(key, FAIL_NUMBER_GONE)


async def _refused(world: World, key: str, number: str) -> None:
    await world.storage.intents.mark_failed(key, "the order failed")


@pytest.mark.parametrize(
    ("settle", "lands_on"),
    [(_reserved, "menu"), (_gone, "order.number"), (_refused, "order.confirm")],
)
async def test_refresh_of_a_pending_order_goes_where_its_outcome_leads(
    world: World, chat: Chat, settle: Callable[[World, str, str], Awaitable[None]], lands_on: StepName
) -> None:
    key, number = await _pending_order(world, chat)
    await settle(world, key, number)
    await chat.press(t("button.refresh"))
    assert await chat.step() == lands_on


async def _pending_renewal(world: World, chat: Chat) -> str:
    """At the renewal's confirmation, its outcome unknown: another replica is sending it."""
    number = await world.own_number("1001", 3301)
    await chat.command("numbers")
    await chat.press(number[-4:])
    await chat.press(t("card.prolong"))
    await chat.press("1 month")
    assert await chat.step() == "numbers.prolong_confirm"
    key = (await chat.state()).manage.key
    await world.storage.intents.create(key, IntentKind.PROLONG, chat.key.user, {"number": number})
    await world.storage.intents.mark_sending(key)
    await chat.press("Confirm")
    assert await chat.step() == "numbers.prolong_pending"
    return key


async def test_refresh_of_a_pending_renewal_shows_the_card_once_settled(world: World, chat: Chat) -> None:
    key = await _pending_renewal(world, chat)
    await world.storage.intents.mark_succeeded(
        key, {"stop_date": "2026-03-15 00:00:00", "amount": "5.00", "currency": "USD"}
    )
    await chat.press(t("button.refresh"))
    assert await chat.step() == "numbers.card"


async def test_refresh_of_a_refused_renewal_offers_the_confirmation_again(world: World, chat: Chat) -> None:
    key = await _pending_renewal(world, chat)
    await world.storage.intents.mark_failed(key, "the renewal failed")
    await chat.press(t("button.refresh"))
    assert await chat.step() == "numbers.prolong_confirm"


# -- whole forms submitted at once (FormSubmitted): the same moves as the buttons ------------------


async def test_a_submitted_order_form_needing_no_files_shows_the_groups_status(world: World) -> None:
    chat = world.chat("1001")
    fields = [FormField(name=name, required=True) for name in GERMAN]
    state = ConversationState(
        step="order.form",
        order=OrderDraft(iso="DE", direction_id=3101, number_id="x", number="4930000000"),
        form=FormState(origin="order", fields=fields, direction_id=3101),
    )
    await world.seed(chat.key, state)
    await chat.current()
    await chat.send(FormSubmitted(dict(GERMAN)))
    assert await chat.step() == "order.doc_status"
    assert chat.notes[0] == t("form.created", name="Anna Nowak")


async def test_a_submitted_correction_asks_for_the_files_still_missing(world: World) -> None:
    chat = world.chat("1001")
    await world.seed(chat.key, seeded("order.edit", await ids_for(world)))
    await chat.current()
    form = chat.screen.form
    assert form is not None
    values = {f.name: f.value for f in form.fields}
    await chat.send(FormSubmitted({**values, "email": "jan.kowalski@example.com"}))
    assert await chat.step() == "order.upload"


async def test_a_submitted_correction_of_a_complete_group_shows_its_status(world: World, chat: Chat) -> None:
    group = await world.services.documents.create_group(Actor(chat.key.user), GERMAN)
    await chat.command("order", "PL")
    await chat.type("Warsaw")
    await chat.press("Warsaw")
    await chat.press("Any number")
    await chat.press("Anna Nowak")
    await chat.upload(JPEG, "passport.jpg")
    await chat.press("Edit details")
    assert await chat.step() == "order.edit"
    form = chat.screen.form
    assert form is not None
    values = {f.name: f.value for f in form.fields}
    fixed = {"country": "PL", "city": "Warszawa", "zip_code": "00-001", "street": "Prosta"}
    await chat.send(FormSubmitted({**values, **fixed, "address": "Prosta 5, 00-001 Warszawa"}))
    assert chat.notes == [t("docs.edit.saved", name="Anna Nowak")]
    assert await chat.step() == "order.doc_status"
    assert world.sandbox.state.groups[group.id].fields["country"] == "PL"
