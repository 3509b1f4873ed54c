"""Ordering and prolonging exactly once, with reconciliation of unknown outcomes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from bot.services.errors import ApiUnavailable, InsufficientBalance, NotYours, NumberGone, OutcomePending
from bot.services.ordering import OrderRequest, add_months
from bot.services.settlement import Settler
from bot.storage import IntentKind, IntentStatus, utc_now
from bot.storage.codec import encode_datetime
from bot.zadarma.models import Direction
from tests.unit.services.conftest import ALICE, BOB, OPERATOR, Stack


async def plain_direction(stack: Stack, iso: str = "US") -> Direction:
    return next(d for d in await stack.services.catalog.directions(iso, "en") if not d.needs_documents)


async def request_for(stack: Stack, direction: Direction, index: int = 0) -> OrderRequest:
    free = await stack.services.catalog.free_numbers(direction.id)
    return OrderRequest(direction_id=direction.id, number_id=free[index].id, number=free[index].number)


async def test_one_key_places_one_order_however_often_pressed(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    first = await stack.services.ordering.place_order(ALICE, "k1", request, direction)
    again = await stack.services.ordering.place_order(ALICE, "k1", request, direction)
    assert first.number == again.number and again.repeated and not first.repeated
    assert stack.sandbox.call_count("order") == 1
    assert await stack.storage.ownership.owner_of_number(first.number) == ALICE.user
    [entry, *_] = await stack.storage.audit.list(first.number)
    assert entry.action == "order" and entry.result == "ok"


async def test_concurrent_presses_place_one_order(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    results = await asyncio.gather(
        *(stack.services.ordering.place_order(ALICE, "same", request, direction) for _ in range(5)),
        return_exceptions=True,
    )
    assert stack.sandbox.call_count("order") == 1
    assert any(not isinstance(r, BaseException) for r in results)


async def test_dropped_reply_stays_unknown_until_the_settler_proves_the_order(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
    with pytest.raises(OutcomePending):
        await stack.services.ordering.place_order(ALICE, "k-drop", request, direction)
    stack.sandbox.clear_faults()
    with pytest.raises(OutcomePending):  # pressed again: still checking, nothing sent
        await stack.services.ordering.place_order(ALICE, "k-drop", request, direction)
    assert await stack.storage.ownership.owner_of_number(request.number) is None
    await Settler(stack.services.ordering, stack.storage).settle_due()
    again = await stack.services.ordering.place_order(ALICE, "k-drop", request, direction)
    assert again.number == request.number and again.repeated
    assert stack.sandbox.call_count("order") == 1
    intent = await stack.storage.intents.get("k-drop")
    assert intent is not None and intent.status == "succeeded"
    assert await stack.storage.ownership.owner_of_number(request.number) == ALICE.user


async def test_lost_order_that_did_not_happen_is_reported_as_not_placed(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    stack.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/order/"])
    with pytest.raises(ApiUnavailable):
        await stack.services.ordering.place_order(ALICE, "k-503", request, direction)
    stack.sandbox.clear_faults()
    with pytest.raises(ApiUnavailable):  # the same confirmation never sends again
        await stack.services.ordering.place_order(ALICE, "k-503", request, direction)
    assert stack.sandbox.call_count("order") == 1
    outcome = await stack.services.ordering.place_order(ALICE, "k-retry", request, direction)
    assert outcome.number == request.number


async def test_taken_number_is_refused_as_gone_and_charges_nothing(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    await stack.services.ordering.place_order(BOB, "bob", request, direction)
    after_bob = (await stack.client.balance()).balance
    with pytest.raises(NumberGone):
        await stack.services.ordering.place_order(ALICE, "alice", request, direction)
    with pytest.raises(NumberGone):  # the same confirmation again: told the same, nothing sent
        await stack.services.ordering.place_order(ALICE, "alice", request, direction)
    # Owned here already: refused before any order call, so nothing can be contested later.
    assert stack.sandbox.call_count("order") == 1
    assert (await stack.client.balance()).balance == after_bob
    assert await stack.storage.ownership.owner_of_number(request.number) == BOB.user
    assert await stack.storage.intents.get("alice") is None


async def test_a_refusal_by_zadarma_for_a_taken_number_is_recorded_as_gone(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    # Taken by another Zadarma customer: neither on this account nor owned here.
    del stack.sandbox.state.market[direction.id][request.number_id]
    with pytest.raises(NumberGone):
        await stack.services.ordering.place_order(ALICE, "alice", request, direction)
    intent = await stack.storage.intents.get("alice")
    assert intent is not None and intent.status == "failed" and intent.error == "number_gone"
    [entry, *_] = await stack.storage.audit.list(request.number)
    assert entry.result == "failed: number_gone"


async def test_a_refusal_for_a_number_still_free_keeps_zadarmas_reason(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    odd = OrderRequest(direction.id, request.number_id, request.number, period="week")
    with pytest.raises(ApiUnavailable) as info:
        await stack.services.ordering.place_order(ALICE, "odd", odd, direction)
    assert not isinstance(info.value, NumberGone)
    assert "period" in str(info.value)
    free = {n.id for n in await stack.services.catalog.free_numbers(direction.id)}
    assert request.number_id in free


async def test_warm_order_makes_no_call_but_the_order(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    await stack.services.catalog.balance()
    before = stack.sandbox.stats()["by_route"]
    await stack.services.ordering.place_order(ALICE, "warm", request, direction)
    calls = stack.sandbox.stats()["by_route"]
    made = {route: n - before.get(route, 0) for route, n in calls.items() if n != before.get(route, 0)}
    # One look at the account (the evidence that the number was not ours before), then the order.
    assert made == {"direct_numbers": 1, "direct_numbers.order": 1}


async def test_cached_balance_follows_what_was_spent(stack: Stack) -> None:
    direction = next(
        d
        for d in await stack.services.catalog.directions("US", "en")
        if not d.needs_documents and d.currency == "USD"
    )
    await stack.services.catalog.balance()
    request = await request_for(stack, direction)
    await stack.services.ordering.place_order(ALICE, "spend", request, direction)
    balance_calls = stack.sandbox.call_count("balance")
    shown = await stack.services.catalog.balance()
    assert stack.sandbox.call_count("balance") == balance_calls  # still the cached figure...
    assert shown.balance == (await stack.client.balance()).balance  # ...and it is the account's


async def test_balance_too_low_is_refused_clearly(stack: Stack) -> None:
    direction = next(
        d
        for d in await stack.services.catalog.directions("US", "en")
        if not d.needs_documents and d.currency == "USD"
    )
    stack.sandbox.set_balance("0.50")
    request = await request_for(stack, direction)
    with pytest.raises(InsufficientBalance) as info:
        await stack.services.ordering.place_order(ALICE, "poor", request, direction)
    assert info.value.balance == Decimal("0.50")
    assert stack.sandbox.call_count("order") == 0


async def test_prolong_once_with_quote_and_ownership(stack: Stack) -> None:
    direction = await plain_direction(stack)
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await request_for(stack, direction), direction
    )
    quote = await stack.services.ordering.prolong_quote(ALICE, placed.number, 3)
    assert quote.amount == quote.amount.quantize(Decimal("0.01")) and quote.amount > 0
    assert quote.stop_date is not None and quote.new_stop_date == add_months(quote.stop_date, 3)
    with pytest.raises(NotYours):
        await stack.services.ordering.prolong_quote(BOB, placed.number, 1)
    with pytest.raises(NotYours):
        await stack.services.ordering.prolong(BOB, "bob-p", placed.number, 1)
    done = await stack.services.ordering.prolong(ALICE, "p1", placed.number, 3)
    again = await stack.services.ordering.prolong(ALICE, "p1", placed.number, 3)
    assert done.stop_date == quote.new_stop_date == again.stop_date and again.repeated
    assert stack.sandbox.call_count("prolong") == 1
    assert (await stack.services.ordering.prolong_quote(OPERATOR, placed.number, 1)).months == 1


async def test_dropped_prolong_is_reconciled(stack: Stack) -> None:
    direction = await plain_direction(stack)
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await request_for(stack, direction), direction
    )
    stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/prolong/"])
    with pytest.raises(OutcomePending):
        await stack.services.ordering.prolong(ALICE, "p-drop", placed.number, 1)
    stack.sandbox.clear_faults()
    await Settler(stack.services.ordering, stack.storage).settle_due()
    done = await stack.services.ordering.prolong(ALICE, "p-drop", placed.number, 1)
    assert done.stop_date is not None and done.repeated
    assert stack.sandbox.call_count("prolong") == 1


async def test_restart_reconciles_interrupted_intents(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    # A crash between sending and recording: the order happened, the intent says "sending".
    await stack.storage.intents.create("crashed", IntentKind.ORDER, ALICE.user, request.to_params())
    await stack.storage.intents.mark_sending("crashed")
    await stack.client.order_number(
        direction_id=direction.id, documents_group_id=0, number_id=request.number_id
    )
    await stack.storage.intents.create("never-sent", IntentKind.ORDER, ALICE.user, request.to_params())
    touched = await stack.services.ordering.recover()
    assert touched == 2
    unknown = await stack.storage.intents.get("crashed")
    assert unknown is not None and unknown.status == "unknown"  # not guessed from one look
    await Settler(stack.services.ordering, stack.storage).settle_due()
    crashed = await stack.storage.intents.get("crashed")
    never = await stack.storage.intents.get("never-sent")
    assert crashed is not None and crashed.status == "succeeded"
    assert never is not None and never.status == "failed"
    assert await stack.storage.ownership.owner_of_number(request.number) == ALICE.user
    assert stack.sandbox.call_count("order") == 1


async def test_recovery_among_replicas_leaves_young_open_intents_to_the_replica_placing_them(
    stack: Stack,
) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    params = request.to_params()
    await stack.storage.intents.create("live-pending", IntentKind.ORDER, ALICE.user, params)
    await stack.storage.intents.create("live-sending", IntentKind.ORDER, BOB.user, params)
    await stack.storage.intents.mark_sending("live-sending")
    now = utc_now()

    assert await stack.services.ordering.recover(left_before=now - timedelta(seconds=60)) == 0
    pending, sending = [await stack.storage.intents.get(k) for k in ("live-pending", "live-sending")]
    assert pending is not None and pending.status == "pending"
    assert sending is not None and sending.status == "sending"

    # Once they are older than that, their replica is taken for dead and they are recovered.
    assert await stack.services.ordering.recover(left_before=now + timedelta(seconds=1)) == 2
    pending, sending = [await stack.storage.intents.get(k) for k in ("live-pending", "live-sending")]
    assert pending is not None and pending.status == "failed"
    assert sending is not None and sending.status == "unknown"


async def age(stack: Stack, key: str, when: datetime) -> datetime:
    """Make intent ``key`` look last changed at ``when`` (a replica that died then), as stored."""
    await stack.sqlite._db.execute(
        "UPDATE intents SET updated_at = ? WHERE key = ?", (encode_datetime(when), key)
    )
    intent = await stack.storage.intents.get(key)
    assert intent is not None
    return intent.updated_at


async def test_an_intent_changed_exactly_at_the_takeover_line_is_still_left_to_its_replica(
    stack: Stack,
) -> None:
    direction = await plain_direction(stack)
    params = (await request_for(stack, direction)).to_params()
    await stack.storage.intents.create("pending", IntentKind.ORDER, ALICE.user, params)
    await stack.storage.intents.create("sending", IntentKind.ORDER, BOB.user, params)
    await stack.storage.intents.mark_sending("sending")
    line = await age(stack, "pending", utc_now() - timedelta(seconds=60))
    assert await age(stack, "sending", line) == line

    # Only what was changed strictly before the line counts as left by a dead replica.
    assert await stack.services.ordering.recover(left_before=line) == 0
    assert [await status_of(stack, k) for k in ("pending", "sending")] == ["pending", "sending"]
    assert await stack.services.ordering.recover(left_before=line + timedelta(microseconds=1)) == 2
    assert [await status_of(stack, k) for k in ("pending", "sending")] == ["failed", "unknown"]


async def test_an_orphan_sending_intent_is_taken_over_even_after_a_younger_one_left_alone(
    stack: Stack,
) -> None:
    direction = await plain_direction(stack)
    params = (await request_for(stack, direction)).to_params()
    # Created first, but its live replica sent it just now; the dead replica's was sent long ago.
    for key in ("live", "orphan"):
        await stack.storage.intents.create(key, IntentKind.ORDER, ALICE.user, params)
        await stack.storage.intents.mark_sending(key)
    await age(stack, "orphan", utc_now() - timedelta(seconds=120))
    [first, *_] = await stack.storage.intents.list_by_status(IntentStatus.SENDING)
    assert first.key == "live"  # the young one is met first

    assert await stack.services.ordering.recover(left_before=utc_now() - timedelta(seconds=60)) == 1
    assert await status_of(stack, "live") == "sending"
    assert await status_of(stack, "orphan") == "unknown"
    assert stack.services.ordering.unknown_seen.is_set()


async def status_of(stack: Stack, key: str) -> str:
    intent = await stack.storage.intents.get(key)
    assert intent is not None
    return intent.status.value


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2026-01-31", 1, "2026-02-28"),
        ("2028-01-31", 1, "2028-02-29"),
        ("2026-11-30", 3, "2027-02-28"),
        ("2026-05-15", 12, "2027-05-15"),
    ],
)
def test_add_months_clamps_to_month_end(start: str, months: int, expected: str) -> None:
    from datetime import datetime

    assert add_months(datetime.fromisoformat(start), months).date().isoformat() == expected


@pytest.mark.sandbox(mixed_currencies=True)
async def test_refusal_for_funds_in_another_currency_becomes_insufficient_balance(stack: Stack) -> None:
    direction = next(
        d
        for d in await stack.services.catalog.directions("PL", "en")
        if not d.needs_documents and d.currency != "USD"
    )
    stack.sandbox.set_balance("0.10")
    request = await request_for(stack, direction)
    with pytest.raises(InsufficientBalance) as info:
        await stack.services.ordering.place_order(ALICE, "pln", request, direction)
    assert info.value.currency == direction.currency and info.value.balance_currency == "USD"
    assert info.value.balance == Decimal("0.10")
    assert stack.sandbox.call_count("order") == 1


async def test_a_repeated_prolong_key_answers_even_after_the_number_moved(stack: Stack) -> None:
    direction = await plain_direction(stack)
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await request_for(stack, direction), direction
    )
    done = await stack.services.ordering.prolong(ALICE, "p", placed.number, 1)
    await stack.services.numbers.assign(OPERATOR, placed.number, BOB.user)
    again = await stack.services.ordering.prolong(ALICE, "p", placed.number, 1)
    assert again.repeated and again.stop_date == done.stop_date
    with pytest.raises(NotYours):
        await stack.services.ordering.prolong(BOB, "p", placed.number, 1)
    assert stack.sandbox.call_count("prolong") == 1
