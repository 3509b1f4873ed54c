"""Which numbers a team list's filter, "expiring" or "waiting for documents" selects."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from bot.services.selection import NumberFilter, expiring, filtered, parse_filter, waiting_for_documents
from bot.zadarma.models import DirectNumber

NOW = datetime(2026, 3, 1, 12, 0)


def record(number: str, status: str = "on", days: float | None = 10, country: str = "Poland") -> DirectNumber:
    stop = NOW + timedelta(days=days) if days is not None else None
    return DirectNumber(
        number=number, status=status, country=country, stop_date=stop, monthly_fee=Decimal(5), currency="USD"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("on", NumberFilter("status", "on")),
        ("Parking", NumberFilter("status", "parking")),
        ("pending", NumberFilter("status", "pending")),
        ("+48 (22) 1", NumberFilter("digits", "48221")),
        ("DE", NumberFilter("country", "DE")),
        (" United Kingdom ", NumberFilter("country", "United Kingdom")),
    ],
)
def test_parse_filter(raw: str, expected: NumberFilter) -> None:
    assert parse_filter(raw) == expected


@pytest.mark.parametrize(
    ("number_filter", "expected"),
    [
        (NumberFilter("status", "parking"), ["4822000002"]),
        (NumberFilter("status", "pending"), ["4822000003"]),
        (NumberFilter("digits", "00001"), ["4822000001"]),
        (NumberFilter("country", "DE"), ["4930000004"]),
        (NumberFilter("country", "germ"), ["4930000004"]),
        (NumberFilter("country", "POLAND"), ["4822000001", "4822000002", "4822000003"]),
    ],
)
def test_filters(number_filter: NumberFilter, expected: list[str]) -> None:
    records = [
        record("4822000001"),
        record("4822000002", "parking", -1),
        record("4822000003", "reserved_checking_upload"),
        record("4930000004", country="Germany"),
    ]
    assert [r.number for r in filtered(records, number_filter)] == expected


def test_expiring_skips_parked_and_far_numbers_and_sorts() -> None:
    records = [
        record("1000001", days=6),
        record("1000002", days=1),
        record("1000003", "parking", -2),
        record("1000004", days=30),
        record("1000005", days=None),
    ]
    assert [r.number for r in expiring(records, NOW, 7)] == ["1000002", "1000001"]
    assert [r.number for r in waiting_for_documents([record("1", "checking"), record("2")])] == ["1"]
