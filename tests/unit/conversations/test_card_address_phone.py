"""The number card shows the caller name; addresses do not repeat the city; phones show with +."""

from __future__ import annotations

from conversations.formatting import address_text, format_phone
from conversations.i18n import translator
from tests.unit.conversations.support import Chat, World, t
from tests.unit.conversations.test_numbers import open_card
from tests.unit.conversations.test_order_documents import WARSAW_ANSWERS, at_groups


async def test_the_card_shows_the_caller_name_once_set_until_cleared(world: World, chat: Chat) -> None:
    number = await world.own_number("1001", 3301)
    await open_card(chat, number)
    assert t("number.caller_name", name="Acme 24") not in chat.screen.text
    await chat.press("Caller name")
    await chat.type("Acme 24")
    assert await chat.step() == "numbers.card"
    assert t("number.caller_name", name="Acme 24") in chat.screen.text
    await chat.press("Refresh")
    assert t("number.caller_name", name="Acme 24") in chat.screen.text
    await chat.press("Caller name")
    await chat.type("-")
    assert "Acme 24" not in chat.screen.text


async def test_another_customers_caller_name_stays_theirs(world: World, chat: Chat) -> None:
    mine = await world.own_number("1001", 3301)
    theirs = await world.own_number("2002", 3301)
    other = world.chat("2002")
    await open_card(other, theirs)
    await other.press("Caller name")
    await other.type("Other Co")
    await open_card(chat, mine)
    assert "Other Co" not in chat.screen.text


def test_an_address_that_names_its_city_does_not_repeat_it() -> None:
    en, pl = translator("en"), translator("pl")
    assert address_text(en, "ul. Floriańska 1, 31-001 Kraków", "Kraków", "PL") == (
        "ul. Floriańska 1, 31-001 Kraków, Poland"
    )
    assert address_text(pl, "ul. Floriańska 1, 31-001 Kraków", "Kraków", "PL") == (
        "ul. Floriańska 1, 31-001 Kraków, Polska"
    )
    assert address_text(en, "Prosta 5", "Warszawa", "PL") == "Prosta 5, Warszawa, Poland"
    # A city that is only part of a word in the address is still named.
    assert address_text(en, "Bielska 3", "Bielsk", "PL") == "Bielska 3, Bielsk, Poland"
    assert address_text(en, None, "Berlin", "DE") == "Berlin, Germany"
    assert address_text(en, "Main St 1, Berlin, Germany", "Berlin", "DE") == "Main St 1, Berlin, Germany"


async def test_the_form_summary_shows_the_phone_with_a_plus(chat: Chat) -> None:
    await at_groups(chat)
    await chat.press("New document group")
    await chat.press("Mr")
    for answer, _field in WARSAW_ANSWERS:
        await chat.type(answer)
    await chat.press("Skip")
    assert t("form.summary") in chat.screen.text
    assert f"{t('field.phone')}: {format_phone('48601234567')}" in chat.screen.text
    assert "+48 601 234 567" in chat.screen.text
