"""Clock arithmetic, date rendering and money conversion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.sandbox.clock import SandboxClock, add_months
from bot.sandbox.money import convert, to_money


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2025, 1, 31, 10, tzinfo=UTC), 1, datetime(2025, 2, 28, 10, tzinfo=UTC)),
        (datetime(2024, 1, 31, 10, tzinfo=UTC), 1, datetime(2024, 2, 29, 10, tzinfo=UTC)),
        (datetime(2025, 11, 30, tzinfo=UTC), 3, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2025, 3, 15, tzinfo=UTC), 12, datetime(2026, 3, 15, tzinfo=UTC)),
        (datetime(2025, 3, 31, tzinfo=UTC), -1, datetime(2025, 2, 28, tzinfo=UTC)),
    ],
)
def test_add_months_clamps_to_month_end(start: datetime, months: int, expected: datetime) -> None:
    assert add_months(start, months) == expected


def test_clock_is_frozen_base_plus_offset_and_formats_in_zone() -> None:
    clock = SandboxClock(zone_hours=3, start=datetime(2025, 1, 15, 22, 30, 5, 999, tzinfo=UTC))
    assert clock.now() == datetime(2025, 1, 15, 22, 30, 5, tzinfo=UTC)
    assert clock.format(clock.now()) == "2025-01-16 01:30:05"
    assert clock.timezone_name == "UTC+3"
    clock.advance(timedelta(days=2))
    assert clock.now() == datetime(2025, 1, 17, 22, 30, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))
    clock.reset()
    assert clock.offset == timedelta(0)
    assert SandboxClock(zone_hours=-5).timezone_name == "UTC-5"


def test_months_are_added_on_the_account_zone_wall_clock() -> None:
    # 2025-01-31 23:00 UTC is already 2025-02-01 01:00 in UTC+2: one month later is 2025-03-01 01:00 there.
    clock = SandboxClock(zone_hours=2)
    moved = clock.add_months(datetime(2025, 1, 31, 23, tzinfo=UTC), 1)
    assert clock.format(moved) == "2025-03-01 01:00:00"


def test_real_time_clock_tracks_now() -> None:
    clock = SandboxClock()
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=2)


def test_conversion_uses_fixed_rates_and_cents() -> None:
    assert convert(Decimal("10"), "EUR") == Decimal("10.80")
    assert convert(Decimal("25"), "PLN") == Decimal("6.25")
    assert convert(Decimal("2"), "GBP") == Decimal("2.54")
    assert convert(Decimal("3.333"), "USD") == Decimal("3.33")
    assert to_money("0.005") == Decimal("0.01")
    with pytest.raises(ValueError, match="unknown currency"):
        convert(Decimal(1), "JPY")
