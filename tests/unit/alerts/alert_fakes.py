"""Fakes of the chat platforms (not of the alerts code); the clock is tests.fakes.clock.FakeClock."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.services.alerts import (
    CUSTOMERS,
    TEAM,
    AlertMessage,
    AlertRoute,
    AlertRoutes,
    AlertSink,
    DeliveryResult,
)
from tests.fakes.clock import FakeClock

# FakeClock is tests.fakes.clock.FakeClock, the tests' one clock, importable here too.
__all__ = ["FakeChat", "FakeClock", "Received", "utc"]


@dataclass
class Received:
    """One message a fake platform accepted."""

    to: str
    alert: AlertMessage
    tag: str = ""


@dataclass
class FakeChat:
    """A chat platform: accepts messages, refuses blocked recipients, can fail on demand.

    ``blocked`` recipients answer "blocked"; ``fail_times[key]`` makes the
    next N sends of that alert fail (temporarily); ``delay`` slows every send.
    ``tag`` is stamped on what is received (the test's "today").
    """

    name: str
    blocked: set[str] = field(default_factory=set)
    fail_times: Counter[str] = field(default_factory=Counter)
    retry_after: float = 0.0
    delay: float = 0.0
    tag: str = ""
    received: list[Received] = field(default_factory=list)
    attempts: list[tuple[str, str, str]] = field(default_factory=list)

    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        if self.delay:
            await asyncio.sleep(self.delay)
        if destination_id in self.blocked:
            self.attempts.append((destination_id, alert.key, "blocked"))
            return DeliveryResult.blocked("Forbidden: bot was blocked by the user")
        if self.fail_times[alert.key] > 0:
            self.fail_times[alert.key] -= 1
            self.attempts.append((destination_id, alert.key, "retry"))
            return DeliveryResult.retry(self.retry_after, "Too Many Requests")
        self.attempts.append((destination_id, alert.key, "sent"))
        self.received.append(Received(destination_id, alert, self.tag))
        return DeliveryResult.sent()

    def keys(self, to: str | None = None) -> list[str]:
        return [r.alert.key for r in self.received if to is None or r.to == to]

    def of_kind(self, kind: str) -> list[Received]:
        return [r for r in self.received if r.alert.kind == kind]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An instant in UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def routes(
    customers: dict[str, AlertSink] | None = None, team: dict[str, AlertSink] | None = None, channel: str = ""
) -> AlertRoutes:
    """Alert routes for fake platforms: ``customers`` by name, ``team`` by name (team chat ``channel``)."""
    return AlertRoutes(
        [
            *(AlertRoute(name, CUSTOMERS, sink) for name, sink in (customers or {}).items()),
            *(AlertRoute(name, TEAM, sink, channel) for name, sink in (team or {}).items()),
        ]
    )
