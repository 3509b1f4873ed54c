""" "⏳" first: a step about to wait on Zadarma more than once shows it before the slow work, once.

The engine hands the interim screen to the adapter's ``interim`` callback (Telegram edits the
pressed message with it, the console prints it, Slack replaces the pressed message); the
event's own screens follow. Here the callback records what it got and what Zadarma had
been asked by then.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.storage import IntentKind
from conversations.events import Event, Press
from conversations.formatting import format_phone
from conversations.i18n import translator
from conversations.screens import Screen
from tests.unit.conversations.support import Chat, World, t
from tests.unit.conversations.test_confirm import at_confirm
from tests.unit.conversations.test_numbers import open_card


@dataclass
class Shown:
    """The interim screens an adapter was given, with the routes' call counts at that moment."""

    world: World
    routes: tuple[str, ...]
    screens: list[Screen] = field(default_factory=list)
    calls: list[dict[str, int]] = field(default_factory=list)

    async def show(self, screen: Screen) -> None:
        self.screens.append(screen)
        self.calls.append({route: self.world.sandbox.call_count(route) for route in self.routes})


async def send(chat: Chat, event: Event, shown: Shown) -> list[Screen]:
    """``chat.send`` with an interim callback (the support's ``send`` has none)."""
    chat.screens = await chat.world.engine.handle(chat.key, event, locale=chat.locale, interim=shown.show)
    return chat.screens


async def test_confirming_shows_the_hourglass_before_anything_is_asked_of_zadarma(
    world: World, chat: Chat
) -> None:
    await at_confirm(chat)
    number = (await chat.state()).order.number  # type: ignore[union-attr]
    shown = Shown(world, ("direct_numbers", "order"))

    await send(chat, Press(chat.button("Confirm and pay").action), shown)

    assert [s.text for s in shown.screens] == [t("working.order", number=format_phone(number))]
    assert shown.screens[0].buttons == () and shown.screens[0].expects == "none"
    assert shown.calls == [{"direct_numbers": 0, "order": 0}]  # shown before the evidence and the order
    assert chat.notes[0] == t("order.placed", number=format_phone(number))
    assert await chat.step() == "order.sip"
    assert world.sandbox.call_count("order") == 1


async def test_the_hourglass_is_out_while_the_order_call_is_still_on_its_way(
    world: World, chat: Chat
) -> None:
    await at_confirm(chat)
    world.sandbox.set_faults(latency_ms=300)  # each Zadarma call answers 0.3 s late
    seen = asyncio.Event()

    async def interim(screen: Screen) -> None:
        seen.set()

    confirm = Press(chat.button("Confirm and pay").action)
    handling = asyncio.create_task(chat.world.engine.handle(chat.key, confirm, locale="en", interim=interim))
    async with asyncio.timeout(5):
        await seen.wait()
    assert not handling.done() and world.sandbox.state.numbers == {}  # nothing ordered yet
    screens = await handling
    assert screens[0].text.startswith("🎉") and len(world.sandbox.state.numbers) == 1


async def test_a_second_press_while_the_hourglass_shows_pays_nothing_more(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    world.sandbox.set_faults(latency_ms=200)
    confirm = Press(chat.button("Confirm and pay").action)
    seen = asyncio.Event()

    async def interim(screen: Screen) -> None:
        seen.set()

    engine = chat.world.engine
    first = asyncio.create_task(engine.handle(chat.key, confirm, locale="en", interim=interim))
    async with asyncio.timeout(5):
        await seen.wait()
    again = Shown(world, ())
    second = await engine.handle(chat.key, confirm, locale="en", interim=again.show)  # the same button again
    await first

    assert world.sandbox.call_count("order") == 1 and len(world.sandbox.state.numbers) == 1
    [number] = world.sandbox.state.numbers
    assert second[0].text == t("order.already_placed", number=format_phone(number))
    assert again.screens == []  # a replay only reads what is stored: no hourglass


async def test_a_city_whose_free_numbers_must_be_looked_up_shows_the_hourglass_first(
    world: World, chat: Chat
) -> None:
    await chat.command("order", "PL")
    await chat.type("Gdańsk")
    shown = Shown(world, ("direct_numbers.available",))
    await send(chat, Press(chat.button("Gdańsk").action), shown)
    assert [s.text for s in shown.screens] == [t("working.numbers", city="Gdańsk")]
    assert shown.screens[0].buttons == () and shown.calls == [{"direct_numbers.available": 0}]
    assert await chat.step() == "order.number"
    assert world.sandbox.call_count("direct_numbers.available") == 1


async def test_fast_presses_show_no_hourglass(world: World, chat: Chat) -> None:
    await chat.command("order", "PL")
    await chat.type("Gdańsk")
    await chat.press("Gdańsk")  # its free numbers are now cached
    await chat.press("Back")
    shown = Shown(world, ())
    for label in ("Gdańsk", "Any number", "Pay for 3 months", "Auto-renewal: on"):
        await send(chat, Press(chat.button(label).action), shown)
    assert await chat.step() == "order.confirm"
    assert shown.screens == []
    assert world.sandbox.call_count("direct_numbers.available") == 1


async def test_refreshing_a_pending_order_shows_no_hourglass(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    state = await chat.state()
    assert state.order is not None
    # Another replica is in the middle of sending this very confirmation.
    await world.storage.intents.create(state.order.key, IntentKind.ORDER, chat.key.user, {"number": "1"})
    await world.storage.intents.mark_sending(state.order.key)
    shown = Shown(world, ())
    await send(chat, Press(chat.button("Confirm and pay").action), shown)
    assert await chat.step() == "order.pending" and len(shown.screens) == 1  # the press itself
    await send(chat, Press(chat.button("Refresh").action), shown)
    assert await chat.step() == "order.pending" and len(shown.screens) == 1  # the refresh only reads


async def test_choosing_the_sip_login_shows_the_hourglass_before_the_change(world: World, chat: Chat) -> None:
    await at_confirm(chat)
    await chat.press("Confirm and pay")
    number = (await chat.state()).order.placed  # type: ignore[union-attr]
    shown = Shown(world, ("set_sip_id",))

    await send(chat, Press(chat.screen.buttons[0][0].action), shown)

    assert [s.text for s in shown.screens] == [t("working.sip", number=format_phone(number))]
    assert shown.calls == [{"set_sip_id": 0}]
    assert await chat.step() == "order.done" and world.sandbox.call_count("set_sip_id") == 1


async def test_prolonging_shows_the_hourglass_before_the_renewal(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    await open_card(chat, number)
    await chat.press("Prolong")
    await chat.press("1 month")
    shown = Shown(world, ("prolong",))

    await send(chat, Press(chat.button("Confirm and pay").action), shown)

    assert [s.text for s in shown.screens] == [t("working.prolong", number=format_phone(number))]
    assert shown.calls == [{"prolong": 0}]
    assert await chat.step() == "numbers.card" and world.sandbox.call_count("prolong") == 1


async def test_an_hourglass_that_cannot_be_shown_does_not_stop_the_order(world: World, chat: Chat) -> None:
    await at_confirm(chat)

    async def broken(screen: Screen) -> None:
        raise ConnectionError("the chat is unreachable")

    screens = await chat.world.engine.handle(
        chat.key, Press(chat.button("Confirm and pay").action), locale="en", interim=broken
    )
    assert screens[0].text.startswith("🎉") and world.sandbox.call_count("order") == 1


def test_the_hourglass_texts_are_translated() -> None:
    for key in ("working.order", "working.prolong", "working.sip"):
        english, polish = (
            translator("en").gettext(key, number="+1"),
            translator("pl").gettext(key, number="+1"),
        )
        assert english.startswith("⏳") and polish.startswith("⏳") and english != polish


async def test_any_number_from_a_list_no_longer_cached_shows_the_hourglass_first(
    world: World, chat: Chat
) -> None:
    await chat.command("order", "PL")
    await chat.type("Gdańsk")
    await chat.press("Gdańsk")
    world.services.catalog._free.clear()  # the list's few seconds are up while the customer looks
    shown = Shown(world, ("direct_numbers.available",))
    await send(chat, Press(chat.button("Any number").action), shown)
    assert [s.text for s in shown.screens] == [t("working.numbers", city="Gdańsk")]
    assert shown.screens[0].buttons == () and shown.calls == [{"direct_numbers.available": 1}]
    assert await chat.step() == "order.confirm"
    assert world.sandbox.call_count("direct_numbers.available") == 2
