"""Delivering claimed alerts: outcomes, backoff, blocking, batches and the delivery lease."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics
from bot.services.alerts import AlertKind, AlertMessage, AlertSink, DeliveryResult, OutboxSettings
from bot.services.alerts.outbox import DELIVERY_LEASE, Outbox
from bot.storage import DeliveryStatus, JsonObject, MemoryStorage, UserRef
from tests.fakes.clock import FakeClock
from tests.unit.alerts.alert_fakes import FakeChat, routes, utc

START = utc(2026, 11, 20, 8, 0)
KEY = "expiry:48221234567:2026-12-01:7"
TG, SLACK = "telegram:1001", "slack:C0ALERTS"
PARAMS = {"number": "48221234567", "days_left": "7"}
PAYLOAD: JsonObject = {"params": PARAMS, "actions": ["prolong", "autorenew_on"]}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def storage(clock: FakeClock) -> AsyncIterator[MemoryStorage]:
    storage = MemoryStorage(clock=clock)
    await storage.users.upsert(UserRef("telegram", "1001"), chat_id="1001", default_language="pl")
    yield storage
    await storage.close()


@pytest.fixture
def telegram() -> FakeChat:
    return FakeChat("telegram")


@pytest.fixture
def slack() -> FakeChat:
    return FakeChat("slack")


def outbox(
    storage: MemoryStorage,
    clock: FakeClock,
    telegram: FakeChat,
    slack: FakeChat,
    holder: str = "a",
    **settings: Any,  # OutboxSettings fields: counts (int) and seconds (float)
) -> Outbox:
    return Outbox(
        storage,
        routes({"telegram": telegram}, {"slack": slack}),
        clock=clock,
        holder=holder,
        settings=OutboxSettings(**settings),
    )


async def claim(storage: MemoryStorage, key: str = KEY, destinations: tuple[str, ...] = (TG, SLACK)) -> None:
    assert await storage.alerts.claim(key, "expiry_warning", "48221234567", PAYLOAD, list(destinations))


async def statuses(storage: MemoryStorage, key: str = KEY) -> dict[str, tuple[DeliveryStatus, int]]:
    return {d.destination: (d.status, d.attempts) for d in await storage.alerts.deliveries(key)}


async def test_delivers_once_with_language_chat_and_actions(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    await claim(storage)
    box = outbox(storage, clock, telegram, slack)
    assert await box.deliver_due() == 2
    assert await box.deliver_due() == 0
    (tg,) = telegram.received
    assert tg.to == "1001"
    assert tg.alert == AlertMessage(
        key=KEY,
        kind=AlertKind.EXPIRY_WARNING,
        number="48221234567",
        params=PARAMS,
        actions=("prolong", "autorenew_on"),
        language="pl",
        chat_id="1001",
        created_at=START,
    )
    (team,) = slack.received
    assert (team.to, team.alert.language, team.alert.chat_id) == ("C0ALERTS", None, None)
    assert await statuses(storage) == {TG: (DeliveryStatus.SENT, 1), SLACK: (DeliveryStatus.SENT, 1)}


async def test_failed_delivery_is_retried_after_backoff_and_sent_once(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    await claim(storage)
    slack.fail_times[KEY] = 2
    box = outbox(storage, clock, telegram, slack, base_backoff=30.0)
    assert await box.deliver_due() == 1
    deliveries = {d.destination: d for d in await storage.alerts.deliveries(KEY)}
    assert deliveries[SLACK].status is DeliveryStatus.FAILED
    assert deliveries[SLACK].next_attempt_at == START + timedelta(seconds=30)
    assert deliveries[SLACK].last_error == "Too Many Requests"
    clock.advance(29)
    assert await box.deliver_due() == 0
    clock.advance(1)
    assert await box.deliver_due() == 0  # second failure: 60 s more
    assert (await statuses(storage))[SLACK] == (DeliveryStatus.FAILED, 2)
    clock.advance(60)
    assert await box.deliver_due() == 1
    assert [r.alert.key for r in slack.received] == [KEY]
    assert [r.alert.key for r in telegram.received] == [KEY]
    assert (await statuses(storage))[SLACK] == (DeliveryStatus.SENT, 3)


async def test_the_sink_may_ask_for_a_longer_wait(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    await claim(storage, destinations=(SLACK,))
    slack.fail_times[KEY] = 1
    slack.retry_after = 600
    box = outbox(storage, clock, telegram, slack, base_backoff=30.0)
    await box.deliver_due()
    (delivery,) = await storage.alerts.deliveries(KEY)
    assert delivery.next_attempt_at == START + timedelta(seconds=600)


async def test_gives_up_after_max_attempts(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    await claim(storage, destinations=(SLACK,))
    slack.fail_times[KEY] = 10
    box = outbox(storage, clock, telegram, slack, max_attempts=3, base_backoff=1.0)
    for _ in range(5):
        await box.deliver_due()
        clock.advance(3600)
    (delivery,) = await storage.alerts.deliveries(KEY)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    assert slack.received == []


async def test_blocked_user_is_recorded_and_not_retried(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    await claim(storage)
    telegram.blocked.add("1001")
    box = outbox(storage, clock, telegram, slack)
    assert await box.deliver_due() == 1
    assert (await statuses(storage))[TG] == (DeliveryStatus.BLOCKED, 1)
    (delivery,) = [d for d in await storage.alerts.deliveries(KEY) if d.destination == TG]
    assert delivery.last_error == "Forbidden: bot was blocked by the user"  # the platform's own words
    user = await storage.users.get(UserRef("telegram", "1001"))
    assert user is not None and user.blocked
    clock.advance(days=2)
    assert await box.deliver_due() == 0
    assert telegram.attempts == [("1001", KEY, "blocked")]


async def test_user_known_to_block_the_bot_is_not_tried(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    await claim(storage)
    await storage.users.mark_blocked(UserRef("telegram", "1001"))
    assert await outbox(storage, clock, telegram, slack).deliver_due() == 1
    assert telegram.attempts == []
    assert (await statuses(storage))[TG] == (DeliveryStatus.BLOCKED, 1)
    (delivery,) = [d for d in await storage.alerts.deliveries(KEY) if d.destination == TG]
    assert delivery.last_error == "the user has blocked the bot"


async def test_unknown_telegram_user_gets_default_language(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    await claim(storage, destinations=("telegram:2002",))
    assert await outbox(storage, clock, telegram, slack).deliver_due() == 1
    assert (telegram.received[0].to, telegram.received[0].alert.language) == ("2002", None)


async def test_missing_sink_is_retried_later(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    await claim(storage, destinations=("email:someone",))
    box = outbox(storage, clock, telegram, slack, base_backoff=30.0)
    assert await box.deliver_due() == 0
    (delivery,) = await storage.alerts.deliveries(KEY)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "no sink for 'email'")
    assert delivery.next_attempt_at == START + timedelta(seconds=30)


class Exploding:
    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        raise RuntimeError("bug in the adapter")


class Hanging:
    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        await asyncio.sleep(10)
        return DeliveryResult.sent()


@pytest.mark.parametrize(
    ("sink", "error"), [(Exploding(), "sink error: RuntimeError"), (Hanging(), "the sink timed out")]
)
async def test_sink_errors_and_timeouts_are_retried(
    storage: MemoryStorage, clock: FakeClock, sink: AlertSink, error: str
) -> None:
    await claim(storage, destinations=(SLACK,))
    box = Outbox(
        storage,
        routes(team={"slack": sink}),
        clock=clock,
        holder="a",
        settings=OutboxSettings(send_timeout=0.01),
    )
    assert await box.deliver_due() == 0
    (delivery,) = await storage.alerts.deliveries(KEY)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, error)
    assert delivery.next_attempt_at is not None


async def test_bounded_batches(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    for i in range(120):
        await claim(storage, key=f"k{i:03d}", destinations=(SLACK,))
    box = outbox(storage, clock, telegram, slack, batch_size=50, max_batches=2)
    assert await box.deliver_due() == 100
    assert box.more_due
    assert await box.deliver_due() == 20
    assert not box.more_due
    assert slack.keys() == [f"k{i:03d}" for i in range(120)]


async def test_another_replica_holding_the_lease_delivers_alone(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    await claim(storage)
    assert await storage.leases.try_acquire_lease(DELIVERY_LEASE, "b", 300, clock())
    box = outbox(storage, clock, telegram, slack, holder="a")
    assert await box.deliver_due() == 0
    clock.advance(301)  # b died: its lease expires
    assert await box.deliver_due() == 2


async def test_overlapping_calls_send_once(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    for i in range(10):
        await claim(storage, key=f"k{i}")
    telegram.delay = slack.delay = 0.001
    a = outbox(storage, clock, telegram, slack, holder="a")
    b = outbox(storage, clock, telegram, slack, holder="b")
    results = await asyncio.gather(a.deliver_due(), a.deliver_due(), b.deliver_due())
    assert sum(results) == 20
    assert sorted(slack.keys()) == sorted(telegram.keys()) == [f"k{i}" for i in range(10)]


async def test_an_alert_of_unknown_kind_is_given_up_without_blocking_the_rest(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    assert await storage.alerts.claim("future:1", "from_a_newer_version", "", {}, [SLACK])
    await claim(storage, destinations=(SLACK,))
    assert await outbox(storage, clock, telegram, slack).deliver_due() == 1
    (delivery,) = await storage.alerts.deliveries("future:1")
    assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.FAILED, None)
    assert delivery.last_error == "unknown alert kind"
    assert slack.keys() == [KEY]


@pytest.mark.parametrize(
    "settings",
    [{"batch_size": 0}, {"max_batches": 0}, {"max_attempts": 0}, {"send_timeout": 200.0, "lease_ttl": 300.0}],
)
def test_settings_are_checked(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        OutboxSettings(**settings)


def test_backoff_grows_and_is_capped() -> None:
    settings = OutboxSettings(base_backoff=30.0, max_backoff=300.0)
    assert [settings.backoff(n) for n in range(1, 7)] == [30.0, 60.0, 120.0, 240.0, 300.0, 300.0]


async def test_delivery_results_and_the_backlog_show_in_the_metrics(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    metrics = Metrics()
    metrics.read_storage(storage, clock)

    async def scrape() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        text = (await metrics.render()).decode()
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def delivered(
        samples: dict[tuple[str, frozenset[tuple[str, str]]], float], platform: str, result: str
    ) -> float:
        labels = frozenset({("platform", platform), ("result", result)})
        return samples.get(("zadarma_bot_alert_deliveries_total", labels), 0.0)

    box = Outbox(
        storage,
        routes({"telegram": telegram}, {"slack": slack}),
        clock=clock,
        holder="a",
        settings=OutboxSettings(max_attempts=2, base_backoff=60),
        observer=metrics,
    )
    await claim(storage)
    await claim(storage, "other", ("telegram:2002", "pager:1"))
    telegram.blocked.add("2002")
    slack.fail_times[KEY] = 2
    samples = await scrape()
    assert samples[("zadarma_bot_alert_outbox_depth", frozenset())] == 4
    assert samples[("zadarma_bot_alert_outbox_oldest_due_age_seconds", frozenset())] == 0

    assert await box.deliver_due() == 1
    clock.advance(30)
    samples = await scrape()
    assert delivered(samples, "telegram", "sent") == 1
    assert delivered(samples, "telegram", "blocked") == 1
    assert delivered(samples, "slack", "failed") == 1  # retried after 60 s
    assert delivered(samples, "unknown", "failed") == 1  # no sink for "pager": its name is no label
    assert samples[("zadarma_bot_alert_outbox_depth", frozenset())] == 2
    assert samples[("zadarma_bot_alert_outbox_oldest_due_age_seconds", frozenset())] == 0  # not due yet

    clock.advance(90)  # both retries came due 60 s after the first round, 60 s ago
    samples = await scrape()
    assert samples[("zadarma_bot_alert_outbox_oldest_due_age_seconds", frozenset())] == 60
    await box.deliver_due()
    samples = await scrape()
    assert delivered(samples, "slack", "given_up") == 1  # the second of max_attempts=2
    assert delivered(samples, "unknown", "given_up") == 1
    assert samples[("zadarma_bot_alert_outbox_depth", frozenset())] == 0


class Terse:
    """A sink that answers without saying why."""

    def __init__(self, result: DeliveryResult) -> None:
        self.result = result

    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        return self.result


@pytest.mark.parametrize(
    ("result", "status", "error"),
    [
        (DeliveryResult.blocked(""), DeliveryStatus.BLOCKED, "blocked"),
        (DeliveryResult.retry(0.0, ""), DeliveryStatus.FAILED, "not delivered"),
    ],
)
async def test_an_outcome_without_a_reason_is_recorded_with_one(
    storage: MemoryStorage, clock: FakeClock, result: DeliveryResult, status: DeliveryStatus, error: str
) -> None:
    await claim(storage, destinations=(SLACK,))
    box = Outbox(storage, routes(team={"slack": Terse(result)}), clock=clock, holder="a")
    assert await box.deliver_due() == 0
    (delivery,) = await storage.alerts.deliveries(KEY)
    assert (delivery.status, delivery.last_error) == (status, error)


async def test_a_destination_id_containing_a_colon_reaches_its_platform_whole(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    await claim(storage, destinations=("slack:C0ALERTS:thread",))
    assert await outbox(storage, clock, telegram, slack).deliver_due() == 1
    assert [r.to for r in slack.received] == ["C0ALERTS:thread"]


async def test_deliveries_not_attempted_are_counted_by_platform_and_result(
    storage: MemoryStorage, clock: FakeClock, telegram: FakeChat, slack: FakeChat
) -> None:
    """A user known to block the bot, an alert nobody can render, a colon in a destination id."""
    metrics = Metrics()
    box = Outbox(
        storage,
        routes({"telegram": telegram}, {"slack": slack}),
        clock=clock,
        holder="a",
        settings=OutboxSettings(max_attempts=1),
        observer=metrics,
    )
    await storage.users.mark_blocked(UserRef("telegram", "1001"))
    await claim(storage, destinations=(TG,))
    assert await storage.alerts.claim("future:1", "from_a_newer_version", "", {}, ["telegram:1001"])
    slack.fail_times["other:1"] = 1
    await claim(storage, "other:1", ("slack:C0ALERTS:thread",))

    await box.deliver_due()

    text = (await metrics.render()).decode()
    counted = {
        (s.labels["platform"], s.labels["result"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "zadarma_bot_alert_deliveries_total"
    }
    assert counted == {("telegram", "blocked"): 1, ("telegram", "given_up"): 1, ("slack", "given_up"): 1}
