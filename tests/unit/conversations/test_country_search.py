"""Country search: an exact ISO code or a common alias wins; names in every language are found in any mode."""

from __future__ import annotations

import pytest

from bot.services.catalog import CountryView
from bot.services.country_search import match_countries
from tests.unit.conversations.support import Chat, World


@pytest.mark.parametrize(
    ("typed", "country"),
    [
        ("ES", "🇪🇸 Spain"),
        ("es", "🇪🇸 Spain"),
        ("UK", "🇬🇧 United Kingdom"),
        ("uk", "🇬🇧 United Kingdom"),
        ("Great Britain", "🇬🇧 United Kingdom"),
        ("USA", "🇺🇸 United States"),
        ("US", "🇺🇸 United States"),
        ("Polska", "🇵🇱 Poland"),
        ("Niemcy", "🇩🇪 Germany"),
        ("Hiszpania", "🇪🇸 Spain"),
        ("Wielka Brytania", "🇬🇧 United Kingdom"),
    ],
)
async def test_codes_aliases_and_polish_names_in_english_mode(chat: Chat, typed: str, country: str) -> None:
    await chat.command("order")
    await chat.type(typed)
    assert await chat.step() == "order.direction", chat.text
    assert chat.text.startswith(f"{country}: choose")


@pytest.mark.parametrize(("typed", "country"), [("Germany", "🇩🇪 Niemcy"), ("UK", "🇬🇧 Wielka Brytania")])
async def test_english_names_and_aliases_in_polish_mode(world: World, typed: str, country: str) -> None:
    chat = world.chat("2002", locale="pl-PL")
    await chat.command("order")
    await chat.type(typed)
    assert await chat.step() == "order.direction", chat.text
    assert chat.text.startswith(country)


def test_an_exact_code_is_never_mixed_with_names_that_contain_it() -> None:
    views = [
        CountryView("ES", "34", "Spain", ""),
        CountryView("US", "1", "United States", ""),
        CountryView("RU", "7", "Russia", ""),
        CountryView("AU", "61", "Australia", ""),
    ]
    assert [v.iso for v in match_countries(views, "ES")] == ["ES"]
    assert [v.iso for v in match_countries(views, "us")] == ["US"]
    assert [v.iso for v in match_countries(views, "stat")] == ["US"]
    assert [v.iso for v in match_countries(views, "Rosja")] == ["RU"]
    assert match_countries(views, "Atlantis") == []
