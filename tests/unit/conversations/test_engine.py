"""The engine: tokens, stale and forged presses, restarts, concurrency, errors and commands."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.storage import StaleRevisionError
from conversations.events import Command, FileUpload, Press, Text
from conversations.state import ConversationState
from tests.unit.conversations.support import PNG, Chat, World, overtaken, t


async def test_start_shows_the_main_menu(chat: Chat) -> None:
    await chat.start()
    assert chat.notes == [t("menu.welcome")]
    assert chat.screen.text == t("menu.title")
    assert chat.labels == ["🛒 Order a number", "📱 My numbers", "📄 My documents", "🌐 Language", "❓ Help"]


async def test_help(chat: Chat) -> None:
    await chat.command("help")
    assert chat.screen.text.startswith(t("help.title"))
    assert "/cancel" in chat.screen.text
    await chat.press("Order a number")
    assert await chat.step() == "order.country"


async def test_tokens_are_short_opaque_and_never_reused(world: World, chat: Chat) -> None:
    await chat.command("order", "PL")
    await chat.press("Gdańsk")
    seen: set[str] = set()
    for _ in range(3):
        actions = chat.screen.actions
        assert not seen & set(actions)
        seen |= set(actions)
        for action in actions:
            assert len(action.encode()) <= 12
            assert not re.search(r"\d{6,}", action)  # no phone numbers in tokens
            assert "." not in action  # no prices either
        await chat.press("Next")


async def test_a_stale_press_says_the_menu_expired_and_shows_the_current_screen(
    world: World, chat: Chat
) -> None:
    await chat.start()
    stale = chat.button("My numbers").action
    await chat.press("Order a number")
    current = chat.screen.text
    live = chat.screen
    await chat.send(Press(stale))
    assert chat.notes == [t("menu.expired")]
    assert chat.screen.text == current
    assert await chat.step() == "order.country"
    # not applied: the adapter must not overwrite the pressed message with this answer,
    # and the menu that was live before the stale press still works
    assert [s.replaces_pressed for s in chat.screens] == [False, False]
    assert chat.screen.buttons == live.buttons
    await chat.send(Press(live.buttons[-1][0].action))
    assert t("menu.expired") not in chat.notes
    assert all(s.replaces_pressed for s in chat.screens)


@pytest.mark.parametrize("token", ["x", "zzzzzz", "a7", "🙂", "order-1234"])
async def test_a_forged_press_changes_nothing(chat: Chat, token: str) -> None:
    await chat.start()
    before = await chat.state()
    await chat.send(Press(token))
    assert chat.notes == [t("menu.expired")]
    after = await chat.state()
    assert after.step == before.step == "menu"


async def test_tokens_of_one_user_mean_nothing_to_another(world: World) -> None:
    alice, bob = world.chat("1001"), world.chat("2002")
    await alice.start()
    await bob.start()
    await bob.send(Press(alice.button("Order a number").action))
    assert bob.notes == [t("menu.expired")]
    assert await bob.step() == "menu"


async def test_restart_continues_at_the_same_step(world: World, chat: Chat) -> None:
    await chat.command("order", "PL")
    await chat.press("Gdańsk")
    before = chat.screen
    world.restart()
    await chat.current()
    assert await chat.step() == "order.number"
    assert chat.screen.text == before.text
    world.restart()
    await chat.send(Press(chat.button("Any number").action))
    assert await chat.step() == "order.confirm"


async def test_buttons_shown_before_a_restart_still_work(world: World, chat: Chat) -> None:
    await chat.command("order", "PL")
    world.restart()
    await chat.press("Gdańsk")
    assert await chat.step() == "order.number"


async def test_events_of_one_user_never_interleave(world: World, chat: Chat) -> None:
    await chat.start()
    results = await asyncio.gather(*(world.engine.handle(chat.key, Text(f"hello {i}")) for i in range(10)))
    assert all(screens[-1].text == t("menu.title") for screens in results)
    stored = await world.storage.conversations.get(chat.key)
    assert stored is not None and stored.revision == 11


async def test_a_concurrent_writer_makes_the_event_run_again(world: World, chat: Chat) -> None:
    await chat.start()
    order = chat.button("Order a number").action
    async with overtaken(world) as calls:
        screens = await world.engine.handle(chat.key, Press(order))
    assert len(calls) == 2
    assert screens[-1].text.startswith(t("order.country.prompt"))
    assert await chat.step() == "order.country"


async def test_always_stale_storage_still_saves_the_shown_screen(world: World, chat: Chat) -> None:
    await chat.start()
    repo = world.storage.conversations
    original_save = repo.save

    async def stale_save(key, data, expected_revision):  # type: ignore[no-untyped-def]
        if expected_revision is not None:
            raise StaleRevisionError(key, expected_revision, expected_revision + 1)
        return await original_save(key, data, None)

    repo.save = stale_save  # type: ignore[method-assign]
    try:
        screens = await world.engine.handle(chat.key, Command("order"))
    finally:
        repo.save = original_save  # type: ignore[method-assign]
    chat.screens = screens
    await chat.press("Poland")
    assert await chat.step() == "order.direction"


async def test_an_api_failure_while_showing_a_screen_offers_retry(world: World, chat: Chat) -> None:
    await chat.start()
    world.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/countries/"])
    await chat.press("Order a number")
    assert chat.screen.text.startswith("⚠️ Zadarma could not do this right now:")
    assert t("error.screen_hint") in chat.screen.text
    assert chat.labels == ["🔁 Try again", "🏠 Main menu"]
    world.sandbox.clear_faults()
    await chat.press("Try again")
    assert chat.screen.text.startswith(t("order.country.prompt"))


async def test_an_api_failure_in_a_handler_keeps_the_state(world: World, chat: Chat) -> None:
    await chat.command("order", "PL")
    await chat.press("Gdańsk")
    await chat.press("Any number")
    world.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/order/"])
    await chat.press("Confirm and pay")  # refused before Zadarma handled it
    assert chat.notes[0].startswith("⚠️ Zadarma could not do this right now:")
    world.sandbox.clear_faults()
    assert await chat.step() == "order.confirm"
    assert await world.storage.ownership.numbers_of(chat.key.user) == []
    await chat.current()
    await chat.press("Try the order again")
    assert await chat.step() == "order.sip"


async def test_text_and_files_where_buttons_are_expected(chat: Chat) -> None:
    await chat.start()
    await chat.type("hello?")
    assert chat.notes == [t("input.use_buttons")]
    await chat.send(FileUpload("scan.png", PNG))
    assert chat.notes == [t("input.no_file_expected")]
    assert await chat.step() == "menu"


async def test_unknown_command(chat: Chat) -> None:
    await chat.start()
    await chat.command("frobnicate")
    assert chat.notes == [t("command.unknown", name="frobnicate")]
    assert chat.screen.text == t("menu.title")


async def test_cancel_drops_the_flow_from_any_step(world: World, chat: Chat) -> None:
    await chat.command("order", "PL")
    await chat.press("Warsaw")
    await chat.press("Any number")
    await chat.press("New document group")
    await chat.press("Ms")
    await chat.type("Anna")
    await chat.command("cancel")
    assert chat.notes == [t("flow.cancelled")]
    state = await chat.state()
    assert (state.step, state.order, state.form, state.upload) == ("menu", None, None, None)
    await chat.command("cancel")
    assert chat.notes == []


@pytest.mark.parametrize(
    "data",
    ["not json", '{"version": 99, "step": "menu"}', '{"version": 1, "step": "no.such.step"}', "[]"],
)
async def test_an_unreadable_state_starts_over(world: World, chat: Chat, data: str) -> None:
    await world.storage.conversations.save(chat.key, data, None)
    await chat.type("hi")
    assert chat.notes[0] == t("session.reset")
    assert await chat.step() == "menu"


@pytest.mark.parametrize("step", ["order.number", "order.form", "order.upload", "order.confirm", "order.sip"])
async def test_a_step_whose_data_is_missing_goes_back_to_the_menu(
    world: World, chat: Chat, step: str
) -> None:
    await world.seed(chat.key, ConversationState(step=step))
    await chat.current()
    assert chat.notes == [t("session.reset")]
    assert await chat.step() == "menu"
    await world.seed(chat.key, ConversationState(step=step))
    await chat.type("x")
    assert await chat.step() == "menu"


async def test_one_users_state_is_per_chat(world: World) -> None:
    private, group = world.chat("1001"), world.chat("1001", chat="-1009")
    await private.command("order")
    await group.command("numbers")
    assert await private.step() == "order.country"
    assert await group.step() == "numbers.list"


async def test_a_handler_that_changed_the_state_and_then_failed_is_rolled_back(
    world: World, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services.errors import ApiUnavailable
    from conversations.context import Ctx
    from conversations.steps import STEPS

    async def half_done(ctx: Ctx, text: str) -> None:
        ctx.state.step = "help"
        ctx.state.language = "pl"
        raise ApiUnavailable("down for a moment")

    for first in (True, False):  # a brand-new conversation, then a stored one
        if not first:
            await chat.start()
        monkeypatch.setattr(STEPS["menu"], "on_text", half_done)
        before = await chat.state() if not first else None
        await chat.type("anything")
        monkeypatch.undo()
        after = await chat.state()
        assert after.step == "menu" and after.language == "en"
        assert len(chat.notes) == 1 and "down for a moment" in chat.notes[0]
        if before is not None:  # all but the freshly rendered buttons is as it was
            rendered = {"actions", "seq"}
            assert after.model_dump(exclude=rendered) == before.model_dump(exclude=rendered)


async def test_an_event_delivered_again_is_not_applied_twice(world: World, chat: Chat) -> None:
    """After a crash the platform's update comes back; its effect was saved already."""
    await chat.command("order", "PL")
    city = chat.button("Gdańsk").action
    first = await world.engine.handle(chat.key, Press(city), event_id="telegram:41")
    assert await chat.step() == "order.number"
    saved = (await chat.state()).model_copy()
    again = await world.engine.handle(chat.key, Press(city), event_id="telegram:41")
    assert all(t("menu.expired") not in screen.text for screen in again)
    assert first[0].replaces_pressed and not any(screen.replaces_pressed for screen in again)
    assert again[-1].buttons == first[-1].buttons  # the menu shown first stays live
    assert again[-1].text == first[-1].text
    after = await chat.state()
    assert (after.step, after.order) == (saved.step, saved.order)
    # a new delivery of the same kind is applied
    await world.engine.handle(chat.key, Text("x"), event_id="telegram:42")
    assert (await chat.state()).last_event == "telegram:42"


async def test_without_an_event_id_every_event_is_applied(world: World, chat: Chat) -> None:
    await chat.command("order", "PL")
    city = chat.button("Gdańsk").action
    await world.engine.handle(chat.key, Press(city))
    shown = await world.engine.handle(chat.key, Press(city))
    assert any(t("menu.expired") in screen.text for screen in shown)


async def test_looking_at_the_current_screen_changes_nothing_and_keeps_the_menu_valid(
    world: World, chat: Chat
) -> None:
    await chat.command("order", "PL")
    shown = chat.screen
    gdansk = chat.button("Gdańsk").action
    stored = await world.storage.conversations.get(chat.key)
    assert stored is not None

    again = await world.engine.current(chat.key)

    assert again[-1].buttons == shown.buttons  # the same tokens: the menu on screen stays live
    after = await world.storage.conversations.get(chat.key)
    assert after is not None and after.revision == stored.revision  # nothing was saved
    await chat.send(Press(gdansk))
    assert await chat.step() == "order.number"
