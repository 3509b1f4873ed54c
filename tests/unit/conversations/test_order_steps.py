"""Order steps 1-3, table by table: country, direction, number."""

from __future__ import annotations

import pytest

from conversations.events import Text
from conversations.state import ConversationState, OrderDraft
from tests.unit.conversations.support import Chat, World, t


async def at_numbers(chat: Chat, country: str = "PL", direction: str = "Gdańsk") -> None:
    await chat.command("order", country)
    await chat.type(direction)
    await chat.press(direction)
    assert await chat.step() == "order.number"


# -- country ----------------------------------------------------------------------


async def test_country_list_shows_flags_names_back_and_cancel(chat: Chat) -> None:
    await chat.start()
    await chat.press("Order a number")
    assert await chat.step() == "order.country"
    assert chat.screen.expects == "text"
    assert chat.screen.text.startswith(t("order.country.prompt"))
    for label in ("🇵🇱 Poland", "🇩🇪 Germany", "🇬🇧 United Kingdom", "🇺🇸 United States", "🇳🇱 Netherlands"):
        assert label in chat.labels
    assert "↩️ Back" in chat.labels and "✖️ Cancel" in chat.labels


@pytest.mark.parametrize(
    ("typed", "step", "shown"),
    [
        ("pol", "order.direction", "🇵🇱 Poland: choose a city or number type."),
        ("PL", "order.direction", "🇵🇱 Poland: choose a city or number type."),
        ("+48", "order.direction", "🇵🇱 Poland: choose a city or number type."),
        ("48", "order.direction", "🇵🇱 Poland: choose a city or number type."),
        ("  united states ", "order.direction", "🇺🇸 United States: choose a city or number type."),
        ("+1", "order.direction", "🇺🇸 United States: choose a city or number type."),
        ("xyz", "order.country", t("order.country.not_found", query="xyz")),
        ("+999", "order.country", t("order.country.not_found", query="+999")),
        ("land", "order.country", t("order.country.matches", query="land")),
    ],
)
async def test_country_search(chat: Chat, typed: str, step: str, shown: str) -> None:
    await chat.command("order")
    await chat.type(typed)
    assert await chat.step() == step
    assert shown in chat.text


async def test_several_matches_give_a_short_list_and_a_way_back_to_all(chat: Chat) -> None:
    await chat.command("order")
    await chat.type("land")
    assert chat.labels[:2] == ["🇳🇱 Netherlands", "🇵🇱 Poland"]
    assert "🇩🇪 Germany" not in chat.labels
    await chat.press("Show all countries")
    assert "🇩🇪 Germany" in chat.labels
    await chat.type("land")
    await chat.press("Netherlands")
    assert "🇳🇱 Netherlands: choose" in chat.screen.text


async def test_country_back_and_cancel_lead_to_the_menu(chat: Chat) -> None:
    await chat.command("order")
    await chat.press("Back")
    assert await chat.step() == "menu"
    await chat.command("order")
    await chat.press("Cancel")
    assert await chat.step() == "menu"
    assert chat.notes == [t("flow.cancelled")]
    assert (await chat.state()).order is None


async def test_countries_in_polish(world: World) -> None:
    chat = world.chat("2001", locale="pl-PL")
    await chat.command("order")
    assert "🇵🇱 Polska" in chat.labels and "🇩🇪 Niemcy" in chat.labels
    await chat.type("niem")
    assert "🇩🇪 Niemcy: wybierz miasto lub rodzaj numeru." in chat.screen.text


# -- direction --------------------------------------------------------------------


async def test_directions_show_prices_and_requirements_before_choosing(chat: Chat) -> None:
    await chat.command("order", "PL")
    text = chat.screen.text
    assert "1. Warsaw (+48 22)" in text
    assert "Connection $5.00 · monthly $6.25" in text
    assert "SMS: no · toll-free: no · ready in 1 day" in text
    assert "📋 Requires: documents (Passport), details (Full address)" in text
    assert "3. Łódź (+48 42)" in text and "📋 No documents needed" in text
    assert t("common.page", page=1, pages=2) in text
    await chat.press("Next")
    text = chat.screen.text
    assert "6. Mobile (+48 57)" in text and "SMS: yes" in text and "ready in 3 days" in text
    assert "7. 800 number (Toll-free) (+48 800)" in text and "toll-free: yes" in text
    assert "the purpose of the number" in text
    assert "Previous" in chat.labels[2]


@pytest.mark.parametrize(
    ("typed", "shown", "hidden"),
    [
        ("war", "1. Warsaw", "Kraków"),
        ("krakow", "1. Kraków", "Warsaw"),
        ("58", "1. Gdańsk", "Warsaw"),
        ("zzz", "1. Warsaw", None),
    ],
)
async def test_direction_search(chat: Chat, typed: str, shown: str, hidden: str | None) -> None:
    await chat.command("order", "PL")
    await chat.type(typed)
    assert await chat.step() == "order.direction"
    assert shown in chat.screen.text
    if hidden is None:
        assert chat.notes == [t("order.direction.not_found", query=typed)]
    else:
        assert hidden not in chat.screen.text
        assert "📋 Show all" in chat.labels


async def test_direction_back_returns_to_countries(chat: Chat) -> None:
    await chat.command("order", "DE")
    await chat.press("Back")
    assert await chat.step() == "order.country"


# -- number -----------------------------------------------------------------------


async def test_free_numbers_are_formatted_paged_and_searchable(chat: Chat) -> None:
    await at_numbers(chat)
    numbers = [label for label in chat.labels if label.startswith("+48 58 ")]
    assert len(numbers) == 8
    assert "🎲 Any number" in chat.labels
    await chat.press("Next")
    assert "Previous" in chat.labels[8]
    assert not set(numbers) & set(chat.labels)


@pytest.mark.parametrize(
    ("mask", "note"),
    [("abc", "invalid.mask"), ("12-x", "invalid.mask"), ("1234567890123456", "invalid.mask")],
)
async def test_bad_mask_is_explained_and_the_list_stays(chat: Chat, mask: str, note: str) -> None:
    await at_numbers(chat)
    before = [label for label in chat.labels if label.startswith("+")]
    await chat.type(mask)
    assert chat.notes == [t(note)]
    assert await chat.step() == "order.number"
    assert [label for label in chat.labels if label.startswith("+")] == before


async def test_mask_filters_and_nothing_matching_offers_show_all(world: World, chat: Chat) -> None:
    await at_numbers(chat)
    free = await world.services.catalog.free_numbers(3004)
    digits = free[3].number[-4:]
    await chat.type(digits)
    shown = [label.replace(" ", "").lstrip("+") for label in chat.labels if label.startswith("+")]
    assert shown and all(digits in n for n in shown)
    assert t("order.number.filtered", mask=digits) in chat.screen.text
    await chat.type("0000000000")
    assert t("order.number.no_match", mask="0000000000") in chat.screen.text
    assert t("order.number.change_mask") in chat.screen.text
    assert chat.screen.expects == "text"
    await chat.press("Show all numbers")
    assert len([label for label in chat.labels if label.startswith("+")]) == 8


async def test_any_number_takes_a_free_one_with_its_exact_id_spread_over_all_free(world: World) -> None:
    free = {n.id: n.number for n in await world.services.catalog.free_numbers(3004)}
    assert len(free) > 8  # more than one page
    picked: set[str] = set()
    for user in range(40):
        chat = world.chat(str(2000 + user))
        await at_numbers(chat)
        await chat.press("Any number")
        order = (await chat.state()).order
        assert order is not None and free.get(order.number_id) == order.number
        assert await chat.step() == "order.confirm"
        picked.add(order.number_id)
    assert picked - set(list(free)[:8])  # not only from the first page
    assert len(picked) >= 4  # 40 uniform draws landing on 3 or fewer numbers: p < 1e-15


async def test_picking_a_listed_number(world: World, chat: Chat) -> None:
    await at_numbers(chat)
    label = [label for label in chat.labels if label.startswith("+")][2]
    await chat.press(label)
    assert chat.notes == []  # the confirmation itself says which number (one message, not two)
    assert t("order.confirm.number", number=label) in chat.screen.text
    order = (await chat.state()).order
    assert order is not None and order.number_id
    assert await chat.step() == "order.confirm"


async def test_a_number_of_a_direction_asking_for_documents_is_named_before_them(chat: Chat) -> None:
    await at_numbers(chat, "PL", "Kraków")
    label = next(label for label in chat.labels if label.startswith("+"))
    await chat.press(label)
    assert chat.notes == [t("order.number.chosen", number=label)]
    assert await chat.step() == "order.group"


async def test_a_number_taken_after_it_was_shown_is_refused_without_paying(world: World, chat: Chat) -> None:
    await at_numbers(chat)
    label = next(label for label in chat.labels if label.startswith("+"))
    await world.own_number("9999", 3004)
    balance = (await world.client.balance()).balance
    await chat.press(label)
    assert await chat.step() == "order.confirm"
    await chat.press("Confirm and pay")
    assert chat.notes == [t("error.number_gone", number=label)]
    assert await chat.step() == "order.number"
    assert label not in chat.labels
    assert (await world.client.balance()).balance == balance  # Zadarma refused it: nothing charged
    assert await world.storage.ownership.numbers_of(chat.key.user) == []


async def test_no_free_numbers_left(world: World) -> None:
    world.sandbox.state.market[3004].clear()
    chat = world.chat("1001")
    await chat.command("order", "PL")
    await chat.press("Gdańsk")
    assert t("order.number.none_free") in chat.screen.text
    assert chat.labels == ["↩️ Back", "✖️ Cancel"]


@pytest.mark.parametrize(
    ("step", "event", "next_step"),
    [
        ("order.country", Text("de"), "order.direction"),
        ("order.direction", Text("berlin"), "order.direction"),
        ("order.number", Text("30"), "order.number"),
    ],
)
async def test_steps_from_a_seeded_state(world: World, step: str, event: Text, next_step: str) -> None:
    chat = world.chat("1001")
    state = ConversationState(step=step, order=OrderDraft(iso="DE", direction_id=3101))
    await world.seed(chat.key, state)
    await chat.send(event)
    assert await chat.step() == next_step
