"""What a confirmation answers once its outcome is decided, and what a renewal costs and records.

A customer who presses Confirm again (or whose update is retried) gets the outcome
that was recorded for that key, never a second call. Renewals record their price,
months and paid-until date, and two renewals of one number never both go out. The
real services over the emulator and a real SQLite file.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.services.errors import (
    ApiUnavailable,
    InsufficientBalance,
    NotYours,
    NumberGone,
    OutcomeContested,
    OutcomePending,
    RenewalInProgress,
    ServiceError,
)
from bot.services.ordering import OrderRequest, add_months, order_price
from bot.services.outcomes import (
    FAIL_INTERRUPTED,
    FAIL_NOT_PLACED,
    FAIL_NOT_RENEWED,
    FAIL_NUMBER_GONE,
    OutcomeNotifier,
    outcome_key,
)
from bot.services.settlement import Settler
from bot.storage import IntentKind, IntentStatus
from bot.zadarma.models import Direction
from tests.stack import services_over
from tests.unit.services.conftest import ALICE, BOB, Stack
from tests.unit.services.test_settlement import AfterCall

DATE = "%Y-%m-%d %H:%M:%S"


async def plain_direction(stack: Stack, iso: str = "US") -> Direction:
    return next(d for d in await stack.services.catalog.directions(iso, "en") if not d.needs_documents)


async def request_for(stack: Stack, direction: Direction, index: int = 0, **options: Any) -> OrderRequest:
    free = await stack.services.catalog.free_numbers(direction.id)
    return OrderRequest(direction.id, free[index].id, free[index].number, **options)


async def settled_intent(
    stack: Stack, key: str, kind: IntentKind, params: dict[str, str | int], status: str, **outcome: Any
) -> None:
    """An intent of Alice's that reached ``status`` (as the service or the settler leaves it)."""
    intents = stack.storage.intents
    await intents.create(key, kind, ALICE.user, params, target=str(params["number"]))
    await intents.mark_sending(key)
    if status == "succeeded":
        await intents.mark_succeeded(key, outcome["result"])
    elif status == "failed":
        await intents.mark_failed(key, str(outcome["error"]))
    elif status == "contested":
        await intents.mark_contested(key, "evidence contradicts itself")
    elif status == "unknown":
        await intents.mark_unknown(key, "timed out")


# -- pressing Confirm again on an order whose outcome is decided ----------------------


@pytest.mark.parametrize(("activated", "reserved"), [(1, 0), (0, 1)])
async def test_a_repeated_order_key_answers_the_recorded_activation(
    stack: Stack, activated: int, reserved: int
) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    result = {"number": request.number, "activated": activated, "reserved": reserved, "autorenew": "on"}
    await settled_intent(stack, "k", IntentKind.ORDER, request.to_params(), "succeeded", result=result)

    again = await stack.services.ordering.place_order(ALICE, "k", request, direction)

    assert (again.number, again.activated, again.reserved, again.repeated) == (
        request.number,
        bool(activated),
        bool(reserved),
        True,
    )
    assert stack.sandbox.call_count("order") == 0


async def test_a_repeated_order_key_answers_each_recorded_failure(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    ordering = stack.services.ordering
    params = request.to_params()
    await settled_intent(stack, "gone", IntentKind.ORDER, params, "failed", error=FAIL_NUMBER_GONE)
    with pytest.raises(NumberGone) as gone:
        await ordering.place_order(ALICE, "gone", request, direction)
    assert gone.value.params == {"number": request.number}
    for key, error in (("lost", FAIL_NOT_PLACED), ("crashed", FAIL_INTERRUPTED)):
        await settled_intent(stack, key, IntentKind.ORDER, {**params, "number": key}, "failed", error=error)
        with pytest.raises(ApiUnavailable) as retry:
            await ordering.place_order(ALICE, key, request, direction)
        assert retry.value.retryable is True and "nothing was charged" in str(retry.value)
    await settled_intent(
        stack, "no", IntentKind.ORDER, {**params, "number": "no"}, "failed", error="bad period"
    )
    with pytest.raises(ApiUnavailable) as refused:
        await ordering.place_order(ALICE, "no", request, direction)
    assert refused.value.retryable is False and str(refused.value) == "bad period"
    await settled_intent(stack, "odd", IntentKind.ORDER, {**params, "number": "odd"}, "contested")
    with pytest.raises(OutcomeContested) as contested:
        await ordering.place_order(ALICE, "odd", request, direction)
    assert contested.value.params == {"number": "odd"}
    assert stack.sandbox.call_count("order") == 0


# -- pressing Confirm again on a renewal whose outcome is decided ---------------------


async def test_a_repeated_renewal_key_answers_each_recorded_outcome(stack: Stack) -> None:
    ordering = stack.services.ordering
    params: dict[str, str | int] = {"number": "15550001", "months": 2, "price": "4.00", "currency": "USD"}
    result = {"stop_date": "2027-03-31 00:00:00", "amount": "4.00", "currency": "USD"}
    await settled_intent(stack, "done", IntentKind.PROLONG, params, "succeeded", result=result)
    done = await ordering.prolong(ALICE, "done", "+15550001", 2)
    assert (done.number, done.stop_date, done.amount, done.currency, done.repeated) == (
        "15550001",
        datetime(2027, 3, 31),
        Decimal("4.00"),
        "USD",
        True,
    )
    for key, error in (("lost", FAIL_NOT_RENEWED), ("crashed", FAIL_INTERRUPTED)):
        await settled_intent(stack, key, IntentKind.PROLONG, {**params, "number": key}, "failed", error=error)
        with pytest.raises(ApiUnavailable) as retry:
            await ordering.prolong(ALICE, key, key, 2)
        assert retry.value.retryable is True and "nothing was charged" in str(retry.value)
    await settled_intent(
        stack, "no", IntentKind.PROLONG, {**params, "number": "no"}, "failed", error="frozen"
    )
    with pytest.raises(ApiUnavailable) as refused:
        await ordering.prolong(ALICE, "no", "no", 2)
    assert refused.value.retryable is False and str(refused.value) == "frozen"
    await settled_intent(stack, "odd", IntentKind.PROLONG, {**params, "number": "odd"}, "contested")
    with pytest.raises(OutcomeContested) as contested:
        await ordering.prolong(ALICE, "odd", "odd", 2)
    assert contested.value.params == {"number": "odd"}
    await settled_intent(stack, "open", IntentKind.PROLONG, {**params, "number": "open"}, "unknown")
    with pytest.raises(OutcomePending):
        await ordering.prolong(ALICE, "open", "open", 2)
    assert stack.sandbox.call_count("prolong") == 0


# -- renewals: the price, the months, one at a time -----------------------------------


async def test_a_lost_three_month_renewal_settles_with_its_price_and_date(stack: Stack) -> None:
    direction = await plain_direction(stack)
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await request_for(stack, direction), direction
    )
    stack.services.ordering.notifier = OutcomeNotifier(stack.storage, platforms=frozenset({"telegram"}))
    record = await stack.services.numbers.get(ALICE, placed.number)
    assert record.stop_date is not None
    stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/prolong/"])
    with pytest.raises(OutcomePending):
        await stack.services.ordering.prolong(ALICE, "p3", placed.number, 3)
    stack.sandbox.clear_faults()
    await Settler(stack.services.ordering, stack.storage).settle_due()

    intent = await stack.storage.intents.get("p3")
    assert intent is not None and intent.status == IntentStatus.SUCCEEDED
    price = record.monthly_fee * 3
    assert intent.result == {
        "stop_date": add_months(record.stop_date, 3).strftime(DATE),
        "amount": str(price),
        "currency": record.currency,
    }
    alert = await stack.storage.alerts.get(outcome_key("p3"))
    assert alert is not None
    told = alert.payload["params"]
    assert told["amount"] == str(price) and told["currency"] == record.currency


async def test_two_renewals_of_one_number_at_once_send_one(stack: Stack) -> None:
    direction = await plain_direction(stack)
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await request_for(stack, direction), direction
    )
    ordering = stack.services.ordering

    results = await asyncio.gather(
        ordering.prolong(ALICE, "first", placed.number, 1),
        ordering.prolong(ALICE, "second", placed.number, 1),
        return_exceptions=True,
    )

    assert stack.sandbox.call_count("prolong") == 1
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], RenewalInProgress)
    assert refused[0].params == {"number": placed.number}


@pytest.mark.sandbox(mixed_currencies=True)  # a renewal priced in PLN on a USD account
async def test_a_renewal_zadarma_refuses_for_funds_reports_the_fresh_balance(stack: Stack) -> None:
    direction = next(
        d
        for d in await stack.services.catalog.directions("PL", "en")
        if not d.needs_documents and d.currency != "USD"
    )
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await request_for(stack, direction), direction
    )
    await stack.services.catalog.balance()  # a cached figure that still looks rich
    stack.sandbox.set_balance("0.10")
    with pytest.raises(InsufficientBalance) as info:
        await stack.services.ordering.prolong(ALICE, "poor", placed.number, 1)
    assert info.value.balance == Decimal("0.10") and info.value.balance_currency == "USD"
    intent = await stack.storage.intents.get("poor")
    assert (
        intent is not None and intent.status == IntentStatus.FAILED and intent.error == "insufficient balance"
    )
    with pytest.raises(ApiUnavailable) as again:  # pressed again: the recorded refusal, nothing sent
        await stack.services.ordering.prolong(ALICE, "poor", placed.number, 1)
    assert again.value.retryable is False
    assert stack.sandbox.call_count("prolong") == 1


# -- an outcome the store could not take, pressed again -------------------------------


async def test_a_renewal_the_store_could_not_record_answers_from_memory_and_only_to_its_owner(
    stack: Stack,
) -> None:
    direction = await plain_direction(stack)
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await request_for(stack, direction), direction
    )
    db = stack.sqlite._db

    async def read_only_after_prolong(path: str) -> None:
        if path.startswith("/v1/direct_numbers/prolong"):
            await db.execute("PRAGMA query_only = ON")

    async with services_over(
        stack, AfterCall(stack.sandbox.transport(), read_only_after_prolong)
    ) as services:
        ordering = services.ordering
        done = await ordering.prolong(ALICE, "p", placed.number, 1)
        assert done.recorded is False and done.stop_date is not None
        again = await ordering.prolong(ALICE, "p", placed.number, 1)
        assert again.repeated and again.stop_date == done.stop_date and again.amount == done.amount
        with pytest.raises(NotYours) as refused:
            await ordering.prolong(BOB, "p", placed.number, 1)
        assert refused.value.params == {"number": placed.number}
        await db.execute("PRAGMA query_only = OFF")
        assert await ordering.flush_unrecorded() == 0
    intent = await stack.storage.intents.get("p")
    assert intent is not None and intent.status == IntentStatus.SUCCEEDED
    assert intent.result is not None and intent.result["amount"] == str(done.amount)
    assert stack.sandbox.call_count("prolong") == 1


async def test_an_order_the_store_could_not_record_is_not_anyone_elses_to_replay(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    db = stack.sqlite._db

    async def read_only_after_order(path: str) -> None:
        if path.startswith("/v1/direct_numbers/order"):
            await db.execute("PRAGMA query_only = ON")

    async with services_over(stack, AfterCall(stack.sandbox.transport(), read_only_after_order)) as services:
        ordering = services.ordering
        placed = await ordering.place_order(ALICE, "k", request, direction)
        assert placed.recorded is False
        with pytest.raises(NotYours) as refused:
            await ordering.place_order(BOB, "k", request, direction)
        assert refused.value.params == {"number": request.number}
        await db.execute("PRAGMA query_only = OFF")
    assert stack.sandbox.call_count("order") == 1


# -- two customers, two keys, one number ----------------------------------------------


async def test_racing_for_one_number_tells_the_other_customer_gone_and_the_same_one_pending(
    stack: Stack,
) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    ordering = stack.services.ordering
    stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
    results = await asyncio.gather(
        ordering.place_order(ALICE, "alice", request, direction),
        ordering.place_order(BOB, "bob", request, direction),
        ordering.place_order(ALICE, "alice-2", request, direction),
        return_exceptions=True,
    )
    assert stack.sandbox.call_count("order") == 1
    assert isinstance(results[0], OutcomePending)
    assert isinstance(results[1], NumberGone) and results[1].params == {"number": request.number}
    assert isinstance(results[2], OutcomePending)
    assert all(isinstance(r, ServiceError) for r in results)


# -- what an order records, and the price of a period ---------------------------------


async def test_an_order_records_every_option_the_customer_chose(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(
        stack, direction, documents_group_id=0, period="3month", receive_sms=True, purpose="support line"
    )
    placed = await stack.services.ordering.place_order(ALICE, "k", request, direction)
    [entry, *_] = await stack.storage.audit.list(placed.number)
    assert {
        k: entry.details[k] for k in ("number_id", "documents_group_id", "period", "receive_sms", "purpose")
    } == {
        "number_id": request.number_id,
        "documents_group_id": 0,
        "period": "3month",
        "receive_sms": 1,
        "purpose": "support line",
    }
    assert entry.details["price"] == str(direction.connect_fee + direction.monthly_fee * 3)


async def test_a_number_written_with_a_plus_is_ordered_into_the_customers_hands(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    plus = OrderRequest(direction.id, request.number_id, "+" + request.number.lstrip("+"))
    await stack.services.ordering.place_order(ALICE, "k", plus, direction)
    assert await stack.storage.ownership.owner_of_number(request.number.lstrip("+")) == ALICE.user


async def test_a_balance_exactly_covering_the_price_orders(stack: Stack) -> None:
    direction = next(
        d
        for d in await stack.services.catalog.directions("US", "en")
        if not d.needs_documents and d.currency == "USD"
    )
    price = order_price(direction, "month")
    stack.sandbox.set_balance(str(price))
    await stack.services.ordering.place_order(ALICE, "k", await request_for(stack, direction), direction)
    assert stack.sandbox.call_count("order") == 1


async def test_an_early_refusal_is_based_on_the_fresh_balance_not_the_cached_one(stack: Stack) -> None:
    direction = next(
        d
        for d in await stack.services.catalog.directions("US", "en")
        if not d.needs_documents and d.currency == "USD"
    )
    stack.sandbox.set_balance("0.50")
    await stack.services.catalog.balance()  # cached: too little
    stack.sandbox.set_balance("500.00")  # topped up since
    await stack.services.ordering.place_order(ALICE, "k", await request_for(stack, direction), direction)
    assert stack.sandbox.call_count("order") == 1


def test_the_price_of_a_period_is_the_connect_fee_plus_its_months() -> None:
    direction = Direction.model_validate(
        {
            "id": 1,
            "countryCode": "1",
            "areaCode": "555",
            "name": "Test",
            "connect_fee": "2.00",
            "monthly_fee": "3.00",
            "currency": "USD",
        }
    )
    assert order_price(direction, "month") == Decimal("5.00")
    assert order_price(direction, "3month") == Decimal("11.00")
    assert order_price(direction, "fortnight") == Decimal("5.00")  # unknown: one month


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2026-12-15", 1, "2027-01-15"),
        ("2026-11-15", 14, "2028-01-15"),
        ("2100-01-31", 1, "2100-02-28"),  # a century is no leap year...
        ("2000-01-31", 1, "2000-02-29"),  # ...unless it divides by 400
        ("2026-03-31", 1, "2026-04-30"),
        ("2026-05-31", 1, "2026-06-30"),
        ("2026-08-31", 1, "2026-09-30"),
        ("2026-10-31", 1, "2026-11-30"),
        ("2026-12-31", 1, "2027-01-31"),
    ],
)
def test_a_renewal_lands_on_the_same_day_or_the_months_last(start: str, months: int, expected: str) -> None:
    assert add_months(datetime.fromisoformat(start), months).date().isoformat() == expected


async def test_an_unreadable_account_before_an_order_is_a_service_error_and_sends_nothing(
    stack: Stack,
) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    stack.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/"])
    with pytest.raises(ApiUnavailable):
        await stack.services.ordering.place_order(ALICE, "k", request, direction)
    assert stack.sandbox.call_count("order") == 0
    assert await stack.storage.intents.get("k") is None
