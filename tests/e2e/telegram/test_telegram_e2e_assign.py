"""The operators' /assign in Telegram, end to end: the team console's ``assign`` run by the engine."""

from __future__ import annotations

from bot.storage import UserRef
from conversations.formatting import format_phone
from tests.e2e.telegram.telegram_helpers import ADMIN_ID, TelegramHarness


async def test_an_operator_gives_a_number_to_a_customer(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    h.sandbox.seed_owned_numbers(2)
    number = sorted(h.sandbox.state.numbers)[0]
    operator = fake.user(ADMIN_ID, "Olga")
    ann = fake.user(first_name="Ann")
    await h.say(ann, "/start")

    shown = await h.say(operator, f"/assign +{number} {ann.id}")

    assert shown[-1].text == f"✅ {format_phone(number)} now belongs to Telegram user {ann.id}."
    assert await h.storage.ownership.owner_of_number(number) == UserRef("telegram", str(ann.id))
    assert f"+{number}" in fake.texts(ann.chat_id)[-1]  # the customer is told
    await h.say(ann, "/numbers")
    assert "You have 1 number" in h.screen(ann).text


async def test_assign_checks_its_arguments(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    h.sandbox.seed_owned_numbers(1)
    operator = fake.user(ADMIN_ID, "Olga")

    usage = await h.say(operator, "/assign")
    bad_number = await h.say(operator, "/assign call-me 123")
    bad_user = await h.say(operator, "/assign +48221234567 @ann")
    unknown = await h.say(operator, "/assign +48221234567 123")

    usage_line = "Usage: `/assign NUMBER TELEGRAM_USER_ID`"  # Telegram's own command, not /numbers
    assert usage[-1].text == f"Something is missing.\n{usage_line}"
    assert bad_number[-1].text.startswith("`call-me` is not a phone number")
    assert bad_number[-1].text.endswith(usage_line)
    assert bad_user[-1].text.startswith("TELEGRAM_USER_ID must be a whole number from 1 to")
    assert bad_user[-1].text.endswith(f"not `@ann`.\n{usage_line}")
    assert unknown[-1].text == "There is no such number or group in the account."
    assert await h.storage.ownership.numbers_of(UserRef("telegram", "123")) == []


async def test_a_customer_cannot_assign(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    h.sandbox.seed_owned_numbers(1)
    number = sorted(h.sandbox.state.numbers)[0]
    mallory = fake.user(first_name="Mallory", language_code="pl")

    shown = await h.say(mallory, f"/assign +{number} {mallory.id}")

    refusal = "Przepraszamy, konsola zespołu jest tylko dla zespołu, który obsługuje numery telefonów."
    assert shown[-1].text == refusal
    assert await h.storage.ownership.owner_of_number(number) is None
