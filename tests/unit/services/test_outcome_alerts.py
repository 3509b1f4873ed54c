"""What the outcome alert of each final state of an order or a renewal tells the person who confirmed it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.services.alerts.drafts import AlertKind
from bot.services.outcomes import (
    FAIL_INTERRUPTED,
    FAIL_NOT_PLACED,
    FAIL_NOT_RENEWED,
    FAIL_NUMBER_GONE,
    FAIL_ON_ACCOUNT,
    describe,
    params_number,
)
from bot.storage import Intent, IntentKind, IntentParams, IntentStatus, UserRef

AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
PARAMS: IntentParams = {"number": "48221234567", "price": "5.50", "currency": "USD", "months": 1}
MONEY = {"amount": "5.50", "currency": "USD"}


def intent(kind: IntentKind, status: IntentStatus, *, result: Any = None, error: str | None = None) -> Intent:
    return Intent(
        key="k",
        kind=kind,
        owner=UserRef("telegram", "1001"),
        params=dict(PARAMS),
        status=status,
        result=result,
        error=error,
        attempts=1,
        created_at=AT,
        updated_at=AT,
    )


ORDER = IntentKind.ORDER
PROLONG = IntentKind.PROLONG
OK, FAILED, CONTESTED = IntentStatus.SUCCEEDED, IntentStatus.FAILED, IntentStatus.CONTESTED


@pytest.mark.parametrize(
    ("case", "told"),
    [
        (intent(ORDER, OK, result={"number": "48221234567"}), {"outcome": "ordered"}),
        (intent(ORDER, OK, result={"reserved": True}), {"outcome": "reserved"}),
        (
            intent(ORDER, OK, result={"reserved": True, "needed": "2.25"}),
            {"outcome": "reserved_short", "needed": "2.25"},
        ),
        (
            intent(ORDER, OK, result={"needed": "2.25"}),
            {"outcome": "ordered"},
        ),  # paid in full: nothing needed
        (intent(ORDER, CONTESTED), {"outcome": "contested"}),
        (intent(ORDER, FAILED, error=FAIL_NUMBER_GONE), {"outcome": "taken"}),
        (intent(ORDER, FAILED, error=FAIL_ON_ACCOUNT), {"outcome": "taken"}),
        (intent(ORDER, FAILED, error=FAIL_NOT_PLACED), {"outcome": "not_placed"}),
        (intent(ORDER, FAILED, error=FAIL_INTERRUPTED), {"outcome": "not_placed"}),
        (intent(ORDER, FAILED, error="no money"), {"outcome": "refused", "reason": "no money"}),
        (intent(ORDER, FAILED), {"outcome": "refused", "reason": ""}),
    ],
)
def test_an_orders_outcome(case: Intent, told: dict[str, str]) -> None:
    assert describe(case) == (AlertKind.ORDER_OUTCOME, {**MONEY, **told})


@pytest.mark.parametrize(
    ("case", "told"),
    [
        (
            intent(PROLONG, OK, result={"stop_date": "2026-03-01", "amount": "11.00", "currency": "EUR"}),
            {"outcome": "renewed", "stop_date": "2026-03-01", "amount": "11.00", "currency": "EUR"},
        ),
        (  # the answer did not say what was paid: the quoted price stands
            intent(PROLONG, OK, result={"stop_date": "2026-03-01"}),
            {**MONEY, "outcome": "renewed", "stop_date": "2026-03-01"},
        ),
        (intent(PROLONG, OK), {**MONEY, "outcome": "renewed", "stop_date": ""}),
        (intent(PROLONG, CONTESTED), {**MONEY, "outcome": "contested"}),
        (intent(PROLONG, FAILED, error=FAIL_NOT_RENEWED), {**MONEY, "outcome": "not_renewed"}),
        (intent(PROLONG, FAILED, error=FAIL_INTERRUPTED), {**MONEY, "outcome": "not_renewed"}),
        (
            intent(PROLONG, FAILED, error=FAIL_NUMBER_GONE),
            {**MONEY, "outcome": "refused", "reason": "number_gone"},
        ),
        (intent(PROLONG, FAILED), {**MONEY, "outcome": "refused", "reason": ""}),
    ],
)
def test_a_renewals_outcome(case: Intent, told: dict[str, str]) -> None:
    assert describe(case) == (AlertKind.RENEWAL_OUTCOME, told)


def test_an_intent_without_a_price_tells_empty_amounts() -> None:
    bare = Intent("k", ORDER, UserRef("slack", "U1"), {}, CONTESTED, None, None, 1, AT, AT)
    assert describe(bare) == (AlertKind.ORDER_OUTCOME, {"amount": "", "currency": "", "outcome": "contested"})


@pytest.mark.parametrize(
    ("number", "digits"), [("48221234567", "48221234567"), ("+48221234567", "48221234567")]
)
def test_the_number_an_intent_is_about_is_its_digits(number: str, digits: str) -> None:
    about = Intent("k", ORDER, UserRef("slack", "U1"), {"number": number}, OK, None, None, 1, AT, AT)
    assert params_number(about) == digits
    assert params_number(Intent("k", ORDER, UserRef("slack", "U1"), {}, OK, None, None, 1, AT, AT)) == ""
