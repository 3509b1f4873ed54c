"""Language: from the stored preference, else the platform locale; switching changes every text."""

from __future__ import annotations

from bot.storage import UserRef
from tests.unit.conversations.support import PL, World, t


async def test_switch_to_polish_from_the_menu(world: World) -> None:
    chat = world.chat("1001", locale="en-US")
    await chat.start()
    assert chat.screen.text == t("menu.title")
    await chat.press("Language")
    assert chat.labels == ["✅ English", "Polski", "↩️ Back"]
    await chat.press("Polski")
    assert chat.notes == ["✅ Język zmieniony na polski."]
    assert chat.screen.text == "Co chcesz zrobić?"
    assert chat.labels[0] == "🛒 Zamów numer"
    user = await world.storage.users.get(UserRef("telegram", "1001"))
    assert user is not None and user.language == "pl"
    await chat.press("Zamów numer")
    assert "🇵🇱 Polska" in chat.labels
    assert chat.screen.text.startswith(PL.gettext("order.country.prompt"))


async def test_a_new_chat_of_the_same_user_starts_in_the_stored_language(world: World) -> None:
    await world.storage.users.upsert(UserRef("telegram", "1001"), default_language="pl")
    group_chat = world.chat("1001", chat="-100500", locale="en")
    await group_chat.start()
    assert group_chat.screen.text == "Co chcesz zrobić?"


async def test_platform_locale_is_used_for_a_new_user(world: World) -> None:
    chat = world.chat("3003", locale="pl-PL")
    await chat.start()
    assert chat.screen.text == "Co chcesz zrobić?"
    other = world.chat("3004", locale="de-DE")
    await other.start()
    assert other.screen.text == t("menu.title")


async def test_language_command_with_and_without_an_argument(world: World) -> None:
    chat = world.chat("1001")
    await chat.command("language", "pl")
    assert chat.screen.text == "Co chcesz zrobić?"
    await chat.command("language", "en")
    assert chat.screen.text == t("menu.title")
    await chat.command("language")
    assert await chat.step() == "language"
    assert chat.screen.text == t("language.prompt")


async def test_polish_plurals_in_the_number_list(world: World) -> None:
    chat = world.chat("1001", locale="pl")
    for _ in range(2):
        await world.own_number("1001", 3301)
    await chat.command("numbers")
    assert chat.screen.text.startswith("📱 Masz 2 numery:")
    for _ in range(3):
        await world.own_number("1001", 3302)
    await chat.command("numbers")
    assert chat.screen.text.startswith("📱 Masz 5 numerów:")
    assert "Aktywny" in chat.screen.text and "do 15 lut 2026" in chat.screen.text
