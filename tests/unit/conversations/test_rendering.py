"""Rendering has no side effects: a render only reads, the moves make what a screen needs.

Every test of the suite runs with the observer of ``tests/conftest.py``
(``tests/render_record.py``), so a render anywhere that changes the state
fails its test; the first tests here show that it does. The others pin what
moved out of the renders: the idempotency keys are made by the move that
enters a confirmation (saved before any Pay button is shown), and a free
number's digits travel with its button's action.
"""

from __future__ import annotations

import pytest

from bot.services.errors import ApiUnavailable
from conversations.context import Ctx
from conversations.events import Press
from conversations.formatting import format_phone
from conversations.purity import ImpureRender, StateChange
from conversations.screens import Screen
from conversations.state import Action, ConversationState, OrderDraft, StepName
from conversations.steps import STEPS
from conversations.ui import ScreenBuilder
from tests.render_record import RENDERS, RenderRecord
from tests.unit.conversations.support import Chat, World, t
from tests.unit.conversations.test_confirm import at_confirm
from tests.unit.conversations.test_numbers import open_card
from tests.unit.conversations.test_order_steps import at_numbers

BALANCE = "/v1/info/balance/"


@pytest.fixture
def renders(request: pytest.FixtureRequest) -> RenderRecord:
    """The session's record of impure renders (the observer ``tests/conftest.py`` registers)."""
    return request.config.stash[RENDERS]


async def test_a_render_that_changes_the_state_fails_in_tests(
    chat: Chat, renders: RenderRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    help_step = STEPS["help"]
    shown = help_step.render

    async def paging(ctx: Ctx, ui: ScreenBuilder) -> Screen:
        ctx.state.manage.page = 3  # say, a page number clamped while showing the list
        return await shown(ctx, ui)

    await chat.start()
    monkeypatch.setattr(help_step, "render", paging)
    with pytest.raises(ImpureRender, match=r"rendering help changed the state \(manage\)"):
        await chat.press(t("menu.help"))
    assert renders.changes[-1] == StateChange("help", ("manage",))
    del renders.changes[-1]  # expected here: not a failure of this test


async def test_a_render_that_changes_the_state_and_then_fails_is_caught_as_well(
    chat: Chat, renders: RenderRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def minting(ctx: Ctx, ui: ScreenBuilder) -> Screen:
        ctx.state.order = OrderDraft(key="order-made-while-showing")
        raise ApiUnavailable("the balance could not be read")

    await chat.start()
    monkeypatch.setattr(STEPS["help"], "render", minting)
    with pytest.raises(ImpureRender, match=r"rendering help changed the state \(order\)"):
        await chat.press(t("menu.help"))
    assert renders.changes[-1] == StateChange("help", ("order",))
    del renders.changes[-1]


async def test_a_route_that_changes_the_state_fails_in_tests(
    chat: Chat, renders: RenderRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def tidying(ctx: Ctx) -> StepName | None:
        ctx.state.reset_flows()  # a route only says where the state belongs; the move is the engine's
        ctx.state.docs.page = 2
        return None

    await chat.start()
    monkeypatch.setattr(STEPS["help"], "route", tidying)
    with pytest.raises(ImpureRender, match=r"rendering help changed the state \(docs\)"):
        await chat.press(t("menu.help"))
    assert renders.changes[-1] == StateChange("help", ("docs",))
    del renders.changes[-1]


async def test_the_tokens_a_render_builds_are_the_engines_to_keep(world: World, chat: Chat) -> None:
    await chat.start()
    before = await chat.state()
    await chat.press(t("menu.help"))  # checked: the render built buttons and changed nothing itself
    after = await chat.state()
    assert after.seq == before.seq + len(chat.screen.actions)
    assert set(after.actions) == set(chat.screen.actions)


async def test_the_order_key_is_made_on_entering_the_confirmation_before_its_screen(
    world: World, chat: Chat
) -> None:
    await at_numbers(chat)
    world.sandbox.set_faults(error_rate=1.0, paths=[BALANCE])
    world.services.catalog.forget_balance()
    await chat.press("Any number")
    assert await chat.step() == "order.confirm"
    assert chat.labels == ["🔁 Try again", "🏠 Main menu"]  # no Pay button shown yet...
    order = (await chat.state()).order
    assert order is not None and order.key.startswith("order-")  # ...but its key is saved already
    key = order.key

    world.sandbox.clear_faults()
    await chat.press("Try again")
    await chat.press("Confirm and pay")
    assert await chat.step() == "order.sip"
    intent = await world.storage.intents.get(key)
    assert intent is not None and intent.status == "succeeded"


async def test_a_renewal_key_is_made_on_entering_its_confirmation_and_a_new_one_each_time(
    world: World, chat: Chat
) -> None:
    number = await world.own_number("1001", 3301)
    await open_card(chat, number)
    await chat.press("Prolong")
    world.sandbox.set_faults(error_rate=1.0, paths=[BALANCE])
    world.services.catalog.forget_balance()
    await chat.press("1 month")
    assert await chat.step() == "numbers.prolong_confirm"
    assert chat.labels == ["🔁 Try again", "🏠 Main menu"]
    first = (await chat.state()).manage.key
    assert first.startswith("prolong-")

    world.sandbox.clear_faults()
    await chat.press("Try again")
    assert (await chat.state()).manage.key == first  # showing the confirmation keeps its key
    await chat.press(t("button.back"))
    assert (await chat.state()).manage.key == ""
    await chat.press("1 month")
    second = (await chat.state()).manage.key
    assert second.startswith("prolong-") and second != first
    await chat.press("Confirm and pay $5.00")
    assert await chat.step() == "numbers.card"
    intent = await world.storage.intents.get(second)
    assert intent is not None and intent.status == "succeeded"
    assert await world.storage.intents.get(first) is None
    assert world.sandbox.call_count("prolong") == 1


async def test_a_confirmation_entered_by_an_older_release_without_a_key_is_shown_as_is_and_pays_once(
    world: World, chat: Chat
) -> None:
    await at_confirm(chat)
    state = await chat.state()
    assert state.order is not None
    state.order.key = ""  # an older release made the key with the screen, and had not shown it yet
    await world.seed(chat.key, state)
    stored = await world.storage.conversations.get(chat.key)
    assert stored is not None

    await chat.current()

    after = await world.storage.conversations.get(chat.key)
    assert after is not None and after.revision == stored.revision  # looking saved nothing
    confirm = chat.button("Confirm and pay")
    await chat.send(Press(confirm.action))
    await chat.send(Press(confirm.action))  # pressed again: replayed, not paid twice
    assert await chat.step() == "order.sip"
    assert world.sandbox.call_count("order") == 1


async def test_a_free_numbers_digits_travel_with_its_button(world: World, chat: Chat) -> None:
    await at_numbers(chat)
    state = await chat.state()
    picks = [a for a in state.actions.values() if a.op == "pick"]
    assert picks and all(a.shown and a.ref for a in picks)
    assert [format_phone(a.shown) for a in picks] == chat.labels[: len(picks)]
    assert state.order is not None and state.order.shown == {}  # the screen wrote nothing into the draft
    first = chat.labels[0]
    await chat.press(first)
    assert t("order.confirm.number", number=first) in chat.screen.text
    order = (await chat.state()).order
    assert order is not None and format_phone(order.number) == first


async def test_a_number_list_saved_by_an_older_release_is_still_picked_from(world: World) -> None:
    chat = world.chat("1001")
    legacy = ConversationState(
        step="order.number",
        order=OrderDraft(iso="PL", direction_id=3004, shown={"n-legacy": "48581234567"}),
        actions={"tok1": Action(op="pick", ref="n-legacy")},  # the digits were kept in the draft then
    )
    await world.seed(chat.key, legacy)
    await chat.send(Press("tok1"))
    assert t("order.confirm.number", number=format_phone("48581234567")) in chat.screen.text
    assert await chat.step() == "order.confirm"
