"""Unknown money outcomes settled by evidence: late landings, contested numbers, renewals by date.

The real services over the in-process emulator and a real SQLite file. A
"late landing" is made by letting the emulator carry out the call after the
client gave up on it (the request reached Zadarma, the reply never came back).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.services.errors import NumberGone, OutcomeContested, OutcomePending, RenewalInProgress
from bot.services.ordering import OrderingService, OrderRequest, add_months, order_price
from bot.services.outcomes import OutcomeNotifier, outcome_key
from bot.services.settlement import Settler
from bot.storage import DeliveryStatus, IntentKind, IntentStatus, UserRef, utc_now
from bot.zadarma.models import Direction
from tests.fakes.clock import FakeClock
from tests.stack import services_over
from tests.unit.services.conftest import ALICE, BOB, OPERATOR, Stack


async def plain_direction(stack: Stack) -> Direction:
    return next(d for d in await stack.services.catalog.directions("US", "en") if not d.needs_documents)


async def request_for(stack: Stack, direction: Direction, index: int = 0, **options: Any) -> OrderRequest:
    free = await stack.services.catalog.free_numbers(direction.id)
    return OrderRequest(
        direction_id=direction.id,
        number_id=free[index].id,
        number=free[index].number,
        **options,
    )


def notifier(stack: Stack) -> OutcomeNotifier:
    """Outcome alerts reach Telegram customers and the team's Slack channel."""
    notice = OutcomeNotifier(stack.storage, platforms=frozenset({"telegram", "slack"}), team="slack:CTEAM")
    stack.services.ordering.notifier = notice
    return notice


async def unknown_intent(
    stack: Stack,
    key: str,
    kind: IntentKind,
    owner: UserRef,
    params: dict[str, str | int],
    *,
    target: str | None = None,
) -> None:
    """An intent as the client leaves it when the reply never came: sent, outcome unknown."""
    await stack.storage.intents.create(key, kind, owner, params, target=target)
    await stack.storage.intents.mark_sending(key)
    await stack.storage.intents.mark_unknown(key, "timed out")


async def renewal_left_unknown(stack: Stack, key: str, number: str, months: int = 1, **extra: str) -> None:
    """A renewal of ``number`` sent with the paid-until date of now as evidence, its reply lost."""
    record = await stack.services.numbers.get(ALICE, number)
    assert record.stop_date is not None
    params: dict[str, str | int] = {
        "number": number.lstrip("+"),
        "months": months,
        "stop_date_before": record.stop_date.strftime("%Y-%m-%d %H:%M:%S"),
        **extra,
    }
    await unknown_intent(stack, key, IntentKind.PROLONG, ALICE.user, params, target=number.lstrip("+"))


async def intent_status(stack: Stack, key: str) -> str:
    intent = await stack.storage.intents.get(key)
    assert intent is not None
    return intent.status.value


async def test_a_late_order_is_found_and_told_while_an_early_look_proves_nothing(stack: Stack) -> None:
    notifier(stack)
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    ordering = stack.services.ordering
    # The client timed out before Zadarma handled the order: unknown, nothing on the account yet.
    number = request.number
    await unknown_intent(
        stack,
        "late",
        IntentKind.ORDER,
        ALICE.user,
        {**request.to_params(), "price": "10.00", "currency": "USD"},
        target=number.lstrip("+"),
    )
    intent = await stack.storage.intents.get("late")
    assert intent is not None
    assert await ordering.settle(intent, final=False) is False  # one look that sees nothing proves nothing
    assert await intent_status(stack, "late") == "unknown"
    # ...then the request lands, late, and charges.
    await stack.client.order_number(
        direction_id=direction.id, documents_group_id=0, number_id=request.number_id
    )
    settler = Settler(ordering, stack.storage)
    await settler.settle_due()
    assert await intent_status(stack, "late") == "succeeded"
    assert await stack.storage.ownership.owner_of_number(number) == ALICE.user
    alert = await stack.storage.alerts.get(outcome_key("late"))
    assert alert is not None and alert.payload["params"]["outcome"] == "ordered"
    [delivery] = await stack.storage.alerts.deliveries(outcome_key("late"))
    assert delivery.destination == "telegram:1001" and delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at is not None  # due at once: nobody saw it in the chat
    # Pressing the same Confirm again now shows the order; nothing is sent again.
    again = await ordering.place_order(ALICE, "late", request, direction)
    assert again.repeated and stack.sandbox.call_count("order") == 1


async def test_no_change_counts_only_at_the_end_of_the_window(stack: Stack) -> None:
    notifier(stack)
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    ordering = stack.services.ordering
    ordering.settle_window = 30.0
    await unknown_intent(
        stack, "never", IntentKind.ORDER, ALICE.user, request.to_params(), target=request.number.lstrip("+")
    )
    intent = await stack.storage.intents.get("never")
    assert intent is not None
    early = Settler(ordering, stack.storage, clock=FakeClock(intent.updated_at + timedelta(seconds=29)))
    await early.settle_due()
    assert await intent_status(stack, "never") == "unknown"
    with pytest.raises(OutcomePending):  # the number stays reserved for this confirmation meanwhile
        await ordering.place_order(ALICE, "other-key", request, direction)
    late = Settler(ordering, stack.storage, clock=FakeClock(intent.updated_at + timedelta(seconds=31)))
    await late.settle_due()
    assert await intent_status(stack, "never") == "failed"
    alert = await stack.storage.alerts.get(outcome_key("never"))
    assert alert is not None and alert.payload["params"]["outcome"] == "not_placed"
    assert stack.sandbox.call_count("order") == 0
    # Now the customer may order it with a new confirmation.
    placed = await ordering.place_order(ALICE, "retry", request, direction)
    assert placed.number == request.number and stack.sandbox.call_count("order") == 1


async def test_an_unreadable_account_never_settles_even_after_the_window(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    ordering = stack.services.ordering
    ordering.settle_window = 0.0
    await unknown_intent(stack, "dark", IntentKind.ORDER, ALICE.user, request.to_params())
    stack.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/"])
    settler = Settler(ordering, stack.storage)
    await settler.settle_due()
    assert await intent_status(stack, "dark") == "unknown"
    assert settler.last_error == "ZadarmaAPIError"  # health names the API's failure, not a customer error


async def test_a_number_owned_by_another_customer_is_never_given_away(stack: Stack) -> None:
    notice = notifier(stack)
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    ordering = stack.services.ordering
    # Alice's order went out; its reply was lost (Zadarma refused it: the number was gone).
    await unknown_intent(
        stack, "alice", IntentKind.ORDER, ALICE.user, request.to_params(), target=request.number.lstrip("+")
    )
    # Meanwhile the number came onto the account some other way and an operator gave it to Bob.
    await stack.client.order_number(
        direction_id=direction.id, documents_group_id=0, number_id=request.number_id
    )
    await stack.services.numbers.assign(OPERATOR, request.number, BOB.user)
    await Settler(ordering, stack.storage).settle_due()
    assert await intent_status(stack, "alice") == "contested"
    assert await stack.storage.ownership.owner_of_number(request.number.lstrip("+")) == BOB.user
    told = await stack.storage.alerts.get(outcome_key("alice"))
    assert told is not None and told.payload["params"]["outcome"] == "contested"
    due = await stack.storage.alerts.due_deliveries(record_now(), 50)
    [check] = [d for d in due if d.alert.kind == "money_check"]
    assert check.destination == notice.team == "slack:CTEAM"
    assert check.alert.payload["params"]["customer"] == "telegram:1001"
    [audit] = [
        e for e in await stack.storage.audit.list(request.number.lstrip("+")) if e.action == "order_check"
    ]
    assert "telegram:1002 owns the number" in str(audit.details["reason"])
    with pytest.raises(OutcomeContested):
        await ordering.place_order(ALICE, "alice", request, direction)


async def test_a_number_bob_already_holds_refuses_alice_before_any_call(stack: Stack) -> None:
    """The reported case: B confirms first; A confirms and A's reply would be dropped."""
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    ordering = stack.services.ordering
    await ordering.place_order(BOB, "bob", request, direction)
    stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
    with pytest.raises(NumberGone):
        await ordering.place_order(ALICE, "alice", request, direction)
    stack.sandbox.clear_faults()
    assert stack.sandbox.call_count("order") == 1
    assert await stack.storage.ownership.owner_of_number(request.number.lstrip("+")) == BOB.user
    assert await stack.services.numbers.list_for(ALICE) == []
    assert [r.number for r in await stack.services.numbers.list_for(BOB)] == [request.number]


async def test_auto_renewal_off_is_applied_when_a_lost_order_is_settled(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction, autorenew=False)
    await stack.services.catalog.free_numbers(direction.id)  # the cached list the customer saw
    stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
    with pytest.raises(OutcomePending):
        await stack.services.ordering.place_order(ALICE, "k", request, direction)
    stack.sandbox.clear_faults()
    await Settler(stack.services.ordering, stack.storage).settle_due()
    owned = stack.sandbox.state.numbers[request.number]
    assert owned.autorenew is False
    intent = await stack.storage.intents.get("k")
    assert intent is not None and intent.result is not None and intent.result["autorenew"] == "off"
    free = await stack.services.catalog.free_numbers(direction.id)  # still the cached entry
    assert request.number not in {n.number for n in free}


async def test_a_late_renewal_moves_the_date_once_and_blocks_a_second_one(stack: Stack) -> None:
    notifier(stack)
    direction = await plain_direction(stack)
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await request_for(stack, direction), direction
    )
    ordering = stack.services.ordering
    before = stack.sandbox.state.numbers[placed.number].stop_date
    # The client gave up on the renewal before Zadarma handled it: the intent as the client left it.
    await renewal_left_unknown(stack, "renew", placed.number, price="5.00", currency="USD")
    assert await ordering.renewal_in_progress(placed.number)
    with pytest.raises(RenewalInProgress):  # "Try again" with a new key while the first is unknown
        await ordering.prolong(ALICE, "renew-again", placed.number, 1)
    assert stack.sandbox.call_count("prolong") == 0
    await Settler(ordering, stack.storage).settle_due()
    assert await intent_status(stack, "renew") == "unknown"
    await stack.client.prolong_number(placed.number, 1)  # the first renewal lands late
    await Settler(ordering, stack.storage).settle_due()
    assert await intent_status(stack, "renew") == "succeeded"
    after = stack.sandbox.state.numbers[placed.number].stop_date
    assert after == add_months(before, 1)
    alert = await stack.storage.alerts.get(outcome_key("renew"))
    assert alert is not None and alert.payload["params"]["outcome"] == "renewed"
    assert not await ordering.renewal_in_progress(placed.number)


async def test_a_paid_until_date_moved_by_something_else_goes_to_the_team(stack: Stack) -> None:
    notifier(stack)
    direction = await plain_direction(stack)
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await request_for(stack, direction), direction
    )
    await renewal_left_unknown(stack, "renew", placed.number)
    await stack.client.prolong_number(placed.number, 3)  # three months moved, not the one paid for here
    await Settler(stack.services.ordering, stack.storage).settle_due()
    assert await intent_status(stack, "renew") == "contested"
    checks = await stack.storage.alerts.due_deliveries(record_now(), 50)
    assert any(d.destination == "slack:CTEAM" and d.alert.kind == "money_check" for d in checks)


def record_now() -> datetime:
    return utc_now() + timedelta(seconds=1)


class AfterCall(httpx.AsyncBaseTransport):
    """The emulator's transport, running ``hook(path)`` once each reply has been produced."""

    def __init__(self, inner: httpx.AsyncBaseTransport, hook: Callable[[str], Awaitable[None]]) -> None:
        self._inner = inner
        self._hook = hook

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        await self._hook(request.url.path)
        return response


async def test_an_outcome_shown_in_the_chat_is_not_sent_again_once_acknowledged(stack: Stack) -> None:
    notifier(stack)
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    ordering = stack.services.ordering
    await ordering.place_order(ALICE, "shown", request, direction)
    [delivery] = await stack.storage.alerts.deliveries(outcome_key("shown"))
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at > record_now()  # grace
    assert await ordering.acknowledge(ALICE.user, ["shown"]) == 1
    [delivery] = await stack.storage.alerts.deliveries(outcome_key("shown"))
    assert delivery.status == DeliveryStatus.SENT
    assert await ordering.acknowledge(BOB.user, ["shown"]) == 0  # another customer cannot touch it


async def test_recovery_fails_unsent_intents_and_tells_settled_ones_nobody_was_told_of(stack: Stack) -> None:
    notifier(stack)
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    other = await request_for(stack, direction, 1)
    storage = stack.storage
    await storage.intents.create("never-sent", IntentKind.ORDER, ALICE.user, request.to_params())
    # Settled just before a crash, before its outcome alert was claimed:
    await storage.intents.create("settled", IntentKind.ORDER, BOB.user, other.to_params())
    await storage.intents.mark_sending("settled")
    await storage.intents.mark_succeeded("settled", {"number": other.number, "activated": 1, "reserved": 0})
    await stack.services.ordering.recover()
    assert await intent_status(stack, "never-sent") == IntentStatus.FAILED.value
    never = await storage.alerts.get(outcome_key("never-sent"))
    assert never is not None and never.payload["params"]["outcome"] == "not_placed"
    settled = await storage.alerts.get(outcome_key("settled"))
    assert settled is not None and settled.payload["params"]["outcome"] == "ordered"
    assert stack.sandbox.call_count("order") == 0


async def test_a_write_failure_after_the_charge_keeps_the_outcome_and_records_it_later(
    stack: Stack,
) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    db = stack.sqlite._db
    balance_before = (await stack.client.balance()).balance

    async def read_only_after_order(path: str) -> None:
        if path.startswith("/v1/direct_numbers/order"):
            await db.execute("PRAGMA query_only = ON")  # every write fails from now on

    transport = AfterCall(stack.sandbox.transport(), read_only_after_order)
    async with services_over(stack, transport) as services:
        ordering = services.ordering
        woken: list[str] = []
        ordering.notifier = OutcomeNotifier(
            stack.storage, platforms=frozenset({"telegram"}), wake=lambda: woken.append("now")
        )
        await check_write_failure(stack, ordering, request, direction, db, balance_before)
        assert woken == []  # shown in the chat: the late record never pushes a second message


async def check_write_failure(
    stack: Stack,
    ordering: OrderingService,
    request: OrderRequest,
    direction: Direction,
    db: Any,
    balance_before: Decimal,
) -> None:
    outcome = await ordering.place_order(ALICE, "disk", request, direction)
    assert outcome.number == request.number and outcome.recorded is False
    again = await ordering.place_order(ALICE, "disk", request, direction)  # pressed again: from memory
    assert again.repeated and stack.sandbox.call_count("order") == 1
    assert await intent_status(stack, "disk") == "sending"
    settler = Settler(ordering, stack.storage)
    await settler.settle_due()
    assert settler.health()["unrecorded"] == 1 and settler.health()["ok"] is False
    await db.execute("PRAGMA query_only = OFF")  # the disk is writable again
    await settler.settle_due()
    assert settler.health()["unrecorded"] == 0
    assert await intent_status(stack, "disk") == "succeeded"
    assert await stack.storage.ownership.owner_of_number(request.number.lstrip("+")) == ALICE.user
    [delivery] = await stack.storage.alerts.deliveries(outcome_key("disk"))
    assert delivery.status == DeliveryStatus.SENT  # shown in the chat already: not sent again
    charged_once = balance_before - order_price(direction, "month")
    assert (await stack.client.balance()).balance == charged_once
