"""Alerts pushed to customers (TelegramPart.deliver_notice), end to end."""

from __future__ import annotations

from adapters.telegram import Blocked, RetryLater, Sent
from adapters.telegram.alerts import TelegramAlertSink
from bot.services import Actor
from bot.services.alerts import AlertKind, AlertMessage, DeliveryResult
from bot.storage import UserRef
from conversations.notices import Notice
from tests.e2e.telegram.telegram_helpers import ADMIN_ID, TelegramHarness
from tests.fakes.telegram_api import FakeUser


async def customer_with_number(h: TelegramHarness, user: FakeUser) -> str:
    """A customer who talked to the bot and owns a number."""
    await h.say(user, "/start")
    h.sandbox.seed_owned_numbers(2)
    number = sorted(h.sandbox.state.numbers)[0]
    operator = Actor(UserRef("telegram", str(ADMIN_ID)), is_operator=True)
    await h.services.numbers.assign(operator, number, UserRef("telegram", str(user.id)))
    return number


def expiry(number: str) -> Notice:
    return Notice("expiry_warning", number, {"days_left": "3", "stop_date": "2025-03-06"})


async def test_an_alert_card_is_sent_and_its_buttons_work(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    number = await customer_with_number(h, ann)

    outcome = await h.part.deliver_notice(str(ann.id), expiry(number))

    assert isinstance(outcome, Sent)
    card = fake.last_bot_message(ann.chat_id)
    assert outcome.message_ids == (card.message_id,)
    assert "3 days" in card.text
    assert any("Prolong" in label for label in card.labels)

    await h.press(ann, "Prolong", message=card)
    assert "Prolong" in h.screen(ann).text and h.sandbox.call_count("direct_numbers.prolong") == 0


async def test_an_alert_to_a_user_who_blocked_the_bot_is_blocked(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user()
    number = await customer_with_number(h, ann)
    fake.block(ann)

    outcome = await h.part.deliver_notice(str(ann.id), expiry(number))

    assert isinstance(outcome, Blocked)
    user = await h.storage.users.get(UserRef("telegram", str(ann.id)))
    assert user is not None and user.blocked


async def test_a_long_flood_wait_is_left_to_the_scheduler(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann = fake.user(language_code="pl")
    number = await customer_with_number(h, ann)
    fake.fail_next("sendMessage", status=429, retry_after=30)

    outcome = await h.part.deliver_notice(str(ann.id), expiry(number))

    assert outcome == RetryLater(30.0, "TelegramRetryAfter: retry after 30 s")
    assert await h.part.deliver_notice(str(ann.id), expiry(number), language="pl") == Sent(
        (fake.last_bot_message(ann.chat_id).message_id,)
    )
    assert "3 dni" in fake.last_bot_message(ann.chat_id).text


async def test_the_alert_scheduler_sink_delivers_through_the_part(polling: TelegramHarness) -> None:
    h, fake = polling, polling.fake
    ann, bob = fake.user(first_name="Ann"), fake.user(first_name="Bob")
    number = await customer_with_number(h, ann)
    sink = TelegramAlertSink(h.part)
    parked = AlertMessage(
        key="parked:1",
        kind=AlertKind.PARKED,
        number=number,
        params={"stop_date": "2025-03-01T00:00:00+00:00", "parked_until": "2025-03-08", "kept_days": "7"},
        actions=("prolong",),
    )
    digest = AlertMessage(key="digest:1", kind=AlertKind.DIGEST, number=None, params={})
    fake.block(bob)

    assert await sink.deliver(str(ann.id), parked) == DeliveryResult.sent()
    assert (await sink.deliver(str(bob.id), parked)).outcome == "blocked"
    assert (await sink.deliver(str(ann.id), digest)).outcome == "retry"
    assert "7" in fake.last_bot_message(ann.chat_id).text
