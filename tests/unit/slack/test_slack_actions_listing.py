"""What buttons carry, and which numbers a filter or "expiring" selects."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from adapters.slack import actions, listing
from adapters.slack.commands import NumberFilter
from bot.zadarma.models import DirectNumber

NOW = datetime(2026, 3, 1, 12, 0)


def record(number: str, status: str = "on", days: float | None = 10, country: str = "Poland") -> DirectNumber:
    stop = NOW + timedelta(days=days) if days is not None else None
    return DirectNumber(
        number=number, status=status, country=country, stop_date=stop, monthly_fee=Decimal(5), currency="USD"
    )


def test_wizard_values_round_trip_and_reject_junk() -> None:
    value = actions.wizard_value("C123", "ab|c")
    assert actions.parse_wizard_value(value) == ("C123", "ab|c")
    assert actions.parse_wizard_value("no-separator") is None
    assert actions.parse_wizard_value("|x") is None
    assert actions.WIZARD_PATTERN.match(actions.wizard_action_id(2, 3))


def test_prolong_choices_round_trip() -> None:
    ask = actions.ProlongChoice("48221234567", 2)
    assert actions.ProlongChoice.decode(ask.encode()) == ask
    confirm = actions.ProlongChoice("48221234567", 1, "slack-prolong-abc")
    assert actions.ProlongChoice.decode(confirm.encode()) == confirm
    for junk in ("", "a|b", "k|48221234567|13", "k|+4822|1", "1|2|3|4"):
        assert actions.ProlongChoice.decode(junk) is None


def test_autorenew_values_and_modal_context() -> None:
    assert actions.parse_autorenew_value(actions.autorenew_value("4822", True)) == ("4822", True)
    assert actions.parse_autorenew_value("4822|maybe") is None
    context = actions.ModalContext("C1", "C1", "https://hooks.slack.com/actions/T/1/x")
    assert actions.ModalContext.decode(context.encode()) == context
    assert actions.ModalContext.decode("not json") == actions.ModalContext()
    assert actions.ModalContext.decode("[1]") == actions.ModalContext()


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
    assert [r.number for r in listing.filtered(records, number_filter)] == expected


def test_expiring_skips_parked_and_far_numbers_and_sorts() -> None:
    records = [
        record("1000001", days=6),
        record("1000002", days=1),
        record("1000003", "parking", -2),
        record("1000004", days=30),
        record("1000005", days=None),
    ]
    assert [r.number for r in listing.expiring(records, NOW, 7)] == ["1000002", "1000001"]
    assert [r.number for r in listing.waiting_for_documents([record("1", "checking"), record("2")])] == ["1"]
