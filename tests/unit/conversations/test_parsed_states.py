"""States kept parsed between events: used only for the text they were saved as, never after a failure."""

from __future__ import annotations

import pytest

from bot.services.errors import ApiUnavailable
from conversations.context import Ctx
from conversations.engine import ConversationEngine
from conversations.events import Command, Press, Text
from conversations.parsed import ParsedStates
from conversations.state import ConversationState, load_state
from conversations.steps import STEPS
from tests.unit.conversations.support import PL, Chat, World, overtaken, t


def test_a_kept_state_is_given_back_only_for_the_text_it_was_kept_as() -> None:
    states: ParsedStates[str, object] = ParsedStates(4)
    mine = object()
    states.keep("a", '{"step":"menu"}', mine)
    assert states.take("a", '{"step":"help"}') is None
    states.keep("a", '{"step":"menu"}', mine)
    assert states.take("a", '{"step":"menu"}') is mine
    assert (states.hits, states.misses) == (1, 1)


def test_taking_removes_the_entry_whatever_the_text() -> None:
    states: ParsedStates[str, object] = ParsedStates(4)
    states.keep("a", "x", object())
    assert states.take("a", "y") is None
    assert states.kept("a") is None
    states.keep("a", "x", object())
    assert states.take("a", "x") is not None
    assert states.take("a", "x") is None  # the one who took it is the only one to hold it
    assert len(states) == 0


def test_beyond_the_limit_the_least_recently_kept_goes_first() -> None:
    states: ParsedStates[str, int] = ParsedStates(2)
    states.keep("a", "ta", 1)
    states.keep("b", "tb", 2)
    states.keep("a", "ta", 1)  # kept again: now the newest
    states.keep("c", "tc", 3)
    assert states.kept("b") is None
    assert states.kept("a") == ("ta", 1) and states.kept("c") == ("tc", 3)
    assert len(states) == 2


def test_a_limit_of_zero_keeps_nothing_and_a_negative_one_is_refused() -> None:
    none_kept: ParsedStates[str, int] = ParsedStates(0)
    none_kept.keep("a", "ta", 1)
    assert none_kept.take("a", "ta") is None and len(none_kept) == 0
    with pytest.raises(ValueError, match="0 or more"):
        ParsedStates(-1)


async def test_the_next_event_of_a_chat_runs_on_the_state_its_last_event_saved(
    chat: Chat, world: World
) -> None:
    await chat.start()
    kept = world.engine.parsed.kept(chat.key)
    assert kept is not None
    first = kept[1]
    hits = world.engine.parsed.hits
    await chat.press("Order a number")
    assert await chat.step() == "order.country"
    kept = world.engine.parsed.kept(chat.key)
    assert kept is not None and kept[1] is first  # taken, changed by the step, saved and kept again
    assert world.engine.parsed.hits == hits + 1
    assert kept[1].step == "order.country"


async def test_a_state_another_process_saved_is_read_from_the_store(chat: Chat, world: World) -> None:
    await chat.start()
    stored = await world.storage.conversations.get(chat.key)
    assert stored is not None
    elsewhere = load_state(stored.data)
    assert elsewhere is not None
    elsewhere.language = "pl"  # another replica switched the language meanwhile
    await world.seed(chat.key, elsewhere)
    hits = world.engine.parsed.hits
    await chat.current()
    assert chat.screen.text == PL.gettext("menu.title")
    assert world.engine.parsed.hits == hits


async def test_an_event_overtaken_by_another_save_runs_on_the_newer_state(chat: Chat, world: World) -> None:
    await chat.start()
    order = chat.button("Order a number").action

    def switch_to_polish(newer: ConversationState) -> None:
        newer.language = "pl"  # what another replica saved meanwhile

    async with overtaken(world, switch_to_polish) as calls:
        chat.screens = await world.engine.handle(chat.key, Press(order))
    assert len(calls) == 2
    assert chat.screen.text.startswith(PL.gettext("order.country.prompt"))
    kept = world.engine.parsed.kept(chat.key)
    stored = await world.storage.conversations.get(chat.key)
    assert kept is not None and stored is not None
    assert kept[0] == stored.data and kept[1].language == "pl" and kept[1].step == "order.country"


async def test_a_state_that_could_not_be_saved_is_not_kept(chat: Chat, world: World) -> None:
    await chat.start()
    repo = world.storage.conversations
    original_save = repo.save

    async def full_disk(key, data, expected_revision):  # type: ignore[no-untyped-def]
        raise OSError("database or disk is full")

    repo.save = full_disk  # type: ignore[method-assign]
    try:
        screens = await world.engine.handle(chat.key, Command("order"))
    finally:
        repo.save = original_save  # type: ignore[method-assign]
    assert screens[-1].text.startswith(t("order.country.prompt"))  # shown all the same
    assert world.engine.parsed.kept(chat.key) is None
    await chat.current()
    assert chat.screen.text == t("menu.title")  # the last saved step, not the unsaved one


async def test_a_kept_state_a_failing_handler_changed_is_never_used_again(
    chat: Chat, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await chat.start()
    changed: list[ConversationState] = []

    async def half_done(ctx: Ctx, text: str) -> None:
        changed.append(ctx.state)
        ctx.state.step = "help"
        ctx.state.language = "pl"
        raise ApiUnavailable("down for a moment")

    monkeypatch.setattr(STEPS["menu"], "on_text", half_done)
    await chat.type("anything")
    monkeypatch.undo()
    kept = world.engine.parsed.kept(chat.key)
    assert kept is not None and kept[1] is not changed[0]
    await chat.current()
    assert chat.screen.text == t("menu.title")


async def test_an_engine_keeping_no_states_runs_the_same_flow(world: World) -> None:
    engine = ConversationEngine(world.services, customers_platform="telegram", parsed_states=0)
    world.engine = engine
    chat = world.chat("1002")
    await chat.start()
    await chat.press("Order a number")
    await chat.press("Poland")
    assert await chat.step() == "order.direction"
    assert len(engine.parsed) == 0 and engine.parsed.hits == 0


async def test_a_kept_state_an_event_changed_before_it_broke_off_is_never_used_again(
    chat: Chat, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await chat.start()

    async def broken(ctx: Ctx, text: str) -> None:
        ctx.state.step = "help"
        ctx.state.language = "pl"
        raise RuntimeError("a bug, or the task cancelled")

    monkeypatch.setattr(STEPS["menu"], "on_text", broken)
    with pytest.raises(RuntimeError):
        await world.engine.handle(chat.key, Text("anything"), locale="en")
    monkeypatch.undo()
    assert world.engine.parsed.kept(chat.key) is None
    await chat.current()
    assert chat.screen.text == t("menu.title")
    assert await chat.step() == "menu"
