"""Alerts end to end: the emulator's clock moves day by day, the scheduler scans the account, and
each alert reaches the fake Telegram (the owner) and the fake Slack channel exactly once, across a
restart of the whole bot between scans."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.slack import SlackAlertSink, SlackPart
from adapters.telegram.alerts import TelegramAlertSink
from adapters.telegram.part import TelegramPart
from bot.sandbox import Sandbox, SandboxConfig
from bot.services import Actor, Services
from bot.services.alerts import CUSTOMERS, TEAM, AlertRoute, AlertRoutes, AlertScheduler
from bot.services.ordering import OrderRequest
from bot.services.outcomes import OutcomeNotifier
from bot.storage import Storage, UserRef
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.telegram_api import FakeTelegram, FakeUser
from tests.stack import open_stack

SLACK_TOKEN = "xoxb-alerts-e2e"
CHANNEL = "CALERTS"
START = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


@dataclass
class Bot:
    storage: Storage
    core: AsyncExitStack  # closes what the composition root opened (store, HTTP client)
    services: Services
    telegram: TelegramPart
    slack: SlackPart
    scheduler: AlertScheduler

    async def close(self) -> None:
        await self.telegram.stop()
        await self.slack.stop()
        await self.core.aclose()


async def start_bot(sandbox: Sandbox, telegram: FakeTelegram, slack: FakeSlackApi, db: Path) -> Bot:
    closing = AsyncExitStack()
    core = await closing.enter_async_context(
        open_stack(
            sandbox,
            database_url=f"sqlite:///{db}",
            telegram_bot_token=telegram.token,
            telegram_api_base=telegram.base_url,
            slack_bot_token=SLACK_TOKEN,
            slack_signing_secret="signing",
            slack_api_base=slack.api_base,
            slack_admin_users="UADMIN",
            slack_alert_channel=CHANNEL,
        )
    )
    settings, client, storage, services, engine = (
        core.settings,
        core.client,
        core.storage,
        core.services,
        core.engine,
    )
    tg = TelegramPart(
        token=settings.telegram_bot_token.get_secret_value(),
        api_base=settings.telegram_api_base,
        engine=engine,
        storage=storage,
    )
    sl = SlackPart(
        bot_token=settings.slack_bot_token.get_secret_value(),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        api_base=settings.slack_api_base,
        admin_users=settings.slack_admins,
        alert_channel=settings.slack_alert_channel,
        engine=engine,
        services=services,
        storage=storage,
    )
    await tg.start()
    await sl.start()
    scheduler = AlertScheduler(
        client,
        storage,
        AlertRoutes(
            [
                AlertRoute("telegram", CUSTOMERS, TelegramAlertSink(tg)),
                AlertRoute("slack", TEAM, SlackAlertSink(sl), CHANNEL),
            ]
        ),
        lead_days=(14, 7, 3, 1),
        digest_hour=23,
    )
    return Bot(storage, closing, services, tg, sl, scheduler)


@pytest.fixture
async def world(
    tmp_path: Path, sandbox_realistic: bool
) -> AsyncIterator[tuple[Sandbox, FakeTelegram, FakeSlackApi, Path]]:
    sandbox = Sandbox(
        SandboxConfig(
            start_time=START, balance=Decimal("1000.00"), rate_limit=10_000, realistic=sandbox_realistic
        )
    )
    async with FakeTelegram() as telegram, FakeSlackApi(bot_token=SLACK_TOKEN) as slack:
        yield sandbox, telegram, slack, tmp_path / "bot.db"


def alert_texts(telegram: FakeTelegram, user: FakeUser, after: int) -> list[str]:
    return [m.text for m in telegram.bot_messages(user.chat_id) if m.message_id > after]


def channel_posts(slack: FakeSlackApi) -> list[str]:
    return [
        str(c.args.get("text", ""))
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") == CHANNEL and not str(c.args.get("text", "")).startswith("Daily digest")
    ]


async def test_expiry_warnings_and_parking_arrive_once_in_both_chats_across_a_restart(
    world: tuple[Sandbox, FakeTelegram, FakeSlackApi, Path],
) -> None:
    sandbox, telegram, slack, db = world
    ann = telegram.user()
    bot = await start_bot(sandbox, telegram, slack, db)
    await telegram.delivered(telegram.send_command(ann, "start"))
    await bot.telegram.drain()
    greeted = telegram.last_bot_message(ann.chat_id).message_id

    customer = Actor(UserRef("telegram", str(ann.id)))
    direction = next(d for d in await bot.services.catalog.directions("US", "en") if not d.needs_documents)
    free = await bot.services.catalog.free_numbers(direction.id)
    request = OrderRequest(direction.id, free[0].id, free[0].number, autorenew=False)
    number = (await bot.services.ordering.place_order(customer, "o1", request, direction)).number

    for day in range(1, 36):
        if day == 12:  # a restart of the whole bot between two scans
            await bot.close()
            bot = await start_bot(sandbox, telegram, slack, db)
        sandbox.advance_days(1)
        await bot.scheduler.scan_once()
        await bot.scheduler.scan_once()  # a second scan of the same day finds nothing new
        await bot.scheduler.deliver_due()
    await bot.close()

    texts = alert_texts(telegram, ann, greeted)
    assert [t.split(" ")[0] for t in texts] == ["⏰", "⏰", "⏰", "⏰", "⏸"], texts
    for lead in ("14 days", "7 days", "3 days", "1 day"):
        assert sum(lead in t for t in texts) == 1, (lead, texts)
    assert all(number[-4:] in t.replace(" ", "").replace("-", "") for t in texts)
    posts = channel_posts(slack)
    assert len(posts) == len(texts)
    for text in texts:
        assert sum(text.splitlines()[0] in post for post in posts) == 1, (text, posts)


async def test_a_reserved_order_alerts_the_team_and_its_activation_reaches_the_customer_once(
    world: tuple[Sandbox, FakeTelegram, FakeSlackApi, Path],
) -> None:
    sandbox, telegram, slack, db = world
    sandbox.set_reserve_when_short(True)
    ann = telegram.user()
    bot = await start_bot(sandbox, telegram, slack, db)
    bot.services.ordering.notifier = OutcomeNotifier(
        bot.storage,
        platforms=frozenset({"telegram", "slack"}),
        team=f"slack:{CHANNEL}",
        grace_seconds=3600,  # the chat shows the outcome itself; only the team alert goes out now
        wake=bot.scheduler.wake,
    )
    await telegram.delivered(telegram.send_command(ann, "start"))
    await bot.telegram.drain()
    greeted = telegram.last_bot_message(ann.chat_id).message_id

    customer = Actor(UserRef("telegram", str(ann.id)))
    direction = next(d for d in await bot.services.catalog.directions("US", "en") if not d.needs_documents)
    free = await bot.services.catalog.free_numbers(direction.id)
    await bot.services.catalog.balance()  # a generous figure, read before the account was drained
    sandbox.set_balance("1.00")
    request = OrderRequest(direction.id, free[0].id, free[0].number)
    outcome = await bot.services.ordering.place_order(customer, "r1", request, direction)
    assert outcome.reserved and not outcome.activated
    await bot.scheduler.scan_once()  # sees the number reserved
    await bot.scheduler.deliver_due()
    [team_post] = channel_posts(slack)
    assert "Reserved, not active" in team_post and f"telegram:{ann.id}" in team_post
    assert alert_texts(telegram, ann, greeted) == []

    sandbox.set_balance("50.00")  # the top-up: the emulator charges and activates the reservation
    for _ in range(2):
        await bot.scheduler.scan_once()
        await bot.scheduler.deliver_due()
    await bot.close()
    texts = alert_texts(telegram, ann, greeted)
    assert len(texts) == 1 and "active" in texts[0], texts
    assert outcome.number[-4:] in texts[0].replace(" ", "").replace("-", "")
