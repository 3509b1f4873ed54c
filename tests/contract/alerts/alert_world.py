"""A small world for the alert scenarios: the emulator, a real client, SQLite storage, fake chats."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from bot.sandbox import Sandbox, SandboxConfig
from bot.services import Actor, Services
from bot.services.alerts import (
    CUSTOMERS,
    TEAM,
    AlertRoute,
    AlertRoutes,
    AlertScheduler,
    OutboxSettings,
    ScanReport,
)
from bot.services.ordering import OrderRequest
from bot.storage import SqliteStorage, UserRef
from bot.zadarma import RateLimiter, ZadarmaClient
from tests.fakes.clock import FakeClock
from tests.unit.alerts.alert_fakes import FakeChat

# 2026-01-31 00:30 on the account's clock (UTC+3), still 30 January on the machine (UTC)
START = datetime(2026, 1, 30, 21, 30, tzinfo=UTC)
ZONE = timezone(timedelta(hours=3))
CHANNEL = "C0ALERTS"
BASE_URL = "http://sandbox.local"


@dataclass
class World:
    """Everything a scenario touches; ``scheduler()`` builds a scheduler like a fresh process would."""

    sandbox: Sandbox
    http: httpx.AsyncClient
    client: ZadarmaClient
    db_path: Path
    storage: SqliteStorage
    clock: FakeClock
    telegram: FakeChat = field(default_factory=lambda: FakeChat("telegram"))
    slack: FakeChat = field(default_factory=lambda: FakeChat("slack"))
    opened: list[SqliteStorage] = field(default_factory=list)

    def routes(self, team_channel: str | None = CHANNEL) -> AlertRoutes:
        """Telegram's customers and Slack's team (alerted in ``team_channel``; none: no team alerts)."""
        return AlertRoutes(
            [
                AlertRoute("telegram", CUSTOMERS, self.telegram),
                AlertRoute("slack", TEAM, self.slack, team_channel or ""),
            ]
        )

    def scheduler(
        self, holder: str = "replica-a", *, team_channel: str | None = CHANNEL, **overrides: Any
    ) -> AlertScheduler:
        settings: dict[str, Any] = {
            "interval": 900.0,
            "lead_days": (14, 7, 3, 1),
            "digest_hour": 9,
            "lease_holder": holder,
            "clock": self.clock,
            "outbox": OutboxSettings(base_backoff=30.0),
        }
        settings.update(overrides)
        return AlertScheduler(self.client, self.storage, self.routes(team_channel), **settings)

    async def restart(self) -> None:
        """Close the storage and open the same SQLite file again (a new process)."""
        await self.storage.close()
        self.storage = await SqliteStorage.open(self.db_path, clock=self.clock)
        self.opened.append(self.storage)

    def account_now(self) -> datetime:
        return self.sandbox.clock.now().astimezone(ZONE)

    def today(self) -> str:
        return self.account_now().date().isoformat()

    async def next_day(self, days: int = 1) -> None:
        """Move the emulator (through its control endpoint) and the machine clock forward."""
        reply = await self.http.post(f"{BASE_URL}/_sandbox/clock/advance", params={"days": days})
        assert reply.status_code == 200, reply.text
        self.clock.advance(days=days)
        self.telegram.tag = self.slack.tag = self.today()

    async def tick(self, scheduler: AlertScheduler) -> ScanReport:
        report = await scheduler.scan_once()
        await scheduler.deliver_due()
        return report

    async def order(
        self, user: str, direction_id: int, *, autorenew: bool, group_id: int = 0, key: str | None = None
    ) -> str:
        """Order a number the way the order flow does, as a Telegram user."""
        services = Services.build(self.client, self.storage)
        iso = {33: "US", 30: "PL"}[direction_id // 100]
        direction = next(d for d in await self.client.directions(iso) if d.id == direction_id)
        free = (await self.client.available_numbers(direction_id))[0]
        request = OrderRequest(
            direction_id, free.id, free.number, documents_group_id=group_id, autorenew=autorenew
        )
        actor = Actor(UserRef("telegram", user))
        outcome = await services.ordering.place_order(actor, key or f"order-{free.id}", request, direction)
        return outcome.number

    async def customer(self, user: str, language: str = "pl") -> None:
        await self.storage.users.upsert(UserRef("telegram", user), chat_id=user, default_language=language)


def summary(chat: FakeChat, kinds: Iterable[str] | None = None) -> list[tuple[str, str, str, str | None]]:
    """``(day, to, kind, number)`` of what a chat received, digests left out unless asked for."""
    wanted = set(kinds) if kinds is not None else None
    return [
        (r.tag, r.to, r.alert.kind.value, r.alert.number)
        for r in chat.received
        if (wanted is None and r.alert.kind != "digest") or (wanted is not None and r.alert.kind in wanted)
    ]


async def open_world(tmp_path: Path, **config: Any) -> World:
    settings: dict[str, Any] = {
        "start_time": START,
        "timezone_hours": 3,
        "rate_limit": 10_000,
        "balance": Decimal("100.00"),
    }
    settings.update(config)
    sandbox = Sandbox(SandboxConfig(**settings))
    http = httpx.AsyncClient(transport=sandbox.transport())
    client = ZadarmaClient(
        http, base_url=BASE_URL, key=sandbox.key, secret=sandbox.secret, limiter=RateLimiter(10_000)
    )
    clock = FakeClock(START)
    db_path = tmp_path / "bot.db"
    storage = await SqliteStorage.open(db_path, clock=clock)
    world = World(sandbox, http, client, db_path, storage, clock)
    world.opened.append(storage)
    world.telegram.tag = world.slack.tag = world.today()
    return world


async def close_world(world: World) -> None:
    for storage in world.opened:
        await storage.close()
    await world.http.aclose()
