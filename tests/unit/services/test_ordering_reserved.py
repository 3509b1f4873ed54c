"""Reserved orders, short balances and "taken" numbers, decided by evidence rather than by words."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.services.errors import ApiUnavailable, InsufficientBalance, NumberGone, OutcomePending
from bot.services.ordering import OrderRequest
from bot.services.settlement import Settler
from bot.storage import IntentStatus
from bot.zadarma.models import Direction
from tests.stack import services_over
from tests.unit.services.conftest import ALICE, Stack
from tests.unit.services.test_ordering import plain_direction, request_for

TEAM = "slack:CTEAM"


def with_team(stack: Stack) -> None:
    """Let the notifier reach the team's channel, as the composition root does when Slack is set up."""
    stack.services.ordering.notifier.team = TEAM
    stack.services.ordering.notifier.platforms = frozenset({"telegram", "slack"})


async def stale_balance(stack: Stack, amount: str) -> None:
    """The bot has read a generous balance; the account is then drained elsewhere."""
    await stack.services.catalog.balance()
    stack.sandbox.set_balance(amount)


@pytest.mark.sandbox(reserve_when_short=True)
async def test_a_reservation_is_a_placed_order_told_once_with_the_shortfall(stack: Stack) -> None:
    with_team(stack)
    direction = await plain_direction(stack)  # New York: $5.00 a month
    request = await request_for(stack, direction)
    await stale_balance(stack, "2.00")
    outcome = await stack.services.ordering.place_order(ALICE, "r1", request, direction)
    assert (outcome.reserved, outcome.activated) == (True, False)
    assert (outcome.needed, outcome.needed_currency) == (Decimal("3.00"), "USD")
    again = await stack.services.ordering.place_order(ALICE, "r1", request, direction)
    assert again.repeated and again.reserved and again.needed == Decimal("3.00")
    assert stack.sandbox.call_count("order") == 1
    assert stack.sandbox.state.charges == []  # nothing is charged until the top-up
    assert await stack.storage.ownership.owner_of_number(request.number) == ALICE.user
    intent = await stack.storage.intents.get("r1")
    assert intent is not None and intent.status == IntentStatus.SUCCEEDED
    assert (intent.result or {})["reserved"] == 1
    alert = await stack.storage.alerts.get("reserved:r1")
    assert alert is not None and alert.kind == "number_reserved"
    params = alert.payload["params"]
    assert isinstance(params, dict)
    assert (params["needed"], params["customer"], params["outcome"]) == ("3.00", "telegram:1001", "short")
    assert Decimal(str(params["amount"])) == Decimal("5.00") and params["currency"] == "USD"
    outcome_alert = await stack.storage.alerts.get("outcome:r1")
    assert outcome_alert is not None
    told = outcome_alert.payload["params"]
    assert isinstance(told, dict) and told["outcome"] == "reserved_short"
    # the cached balance was not lowered by a charge that did not happen
    assert (await stack.services.catalog.balance()).balance == Decimal("2.00")


@pytest.mark.sandbox(reserve_when_short=True)
async def test_an_unknown_outcome_settles_as_reserved_once(stack: Stack) -> None:
    with_team(stack)
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    await stale_balance(stack, "1.00")
    stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
    with pytest.raises(OutcomePending):
        await stack.services.ordering.place_order(ALICE, "lost", request, direction)
    stack.sandbox.clear_faults()
    settler = Settler(stack.services.ordering, stack.storage)
    await settler.settle_due()
    await settler.settle_due()
    intent = await stack.storage.intents.get("lost")
    assert intent is not None and intent.status == IntentStatus.SUCCEEDED
    assert (intent.result or {}).get("reserved") == 1 and (intent.result or {}).get("needed") == "4.00"
    alert = await stack.storage.alerts.get("reserved:lost")
    assert alert is not None and alert.kind == "number_reserved"
    entries = await stack.storage.audit.list(request.number.lstrip("+"))
    assert [e.action for e in entries].count("order_reserved") == 1  # told once, though settled twice
    outcome = await stack.services.ordering.place_order(ALICE, "lost", request, direction)
    assert outcome.reserved and outcome.repeated
    assert stack.sandbox.call_count("order") == 1


class RewordedRefusals(httpx.AsyncBaseTransport):
    """A proxy in front of the emulator that words every order refusal without any known phrase."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._inner = sandbox.transport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.url.path != "/v1/direct_numbers/order/" or response.status_code < 400:
            return response
        await response.aread()
        body = json.dumps({"status": "error", "message": "Operacja odrzucona (kod 17)"}).encode()
        return httpx.Response(
            response.status_code, headers={"Content-Type": "application/json"}, content=body
        )


async def test_a_short_balance_refused_in_other_words_is_recognised_by_the_balance(stack: Stack) -> None:
    async with services_over(stack, RewordedRefusals(stack.sandbox)) as services:
        direction = next(d for d in await services.catalog.directions("US", "en") if not d.needs_documents)
        free = await services.catalog.free_numbers(direction.id)
        request = OrderRequest(direction_id=direction.id, number_id=free[0].id, number=free[0].number)
        await services.catalog.balance()
        stack.sandbox.set_balance("1.00")
        available_before = stack.sandbox.call_count("available")
        with pytest.raises(InsufficientBalance) as info:
            await services.ordering.place_order(ALICE, "short", request, direction)
    assert info.value.balance == Decimal("1.00") and info.value.balance_currency == "USD"
    assert stack.sandbox.call_count("available") == available_before  # not mistaken for "taken"
    intent = await stack.storage.intents.get("short")
    assert intent is not None and intent.error == "insufficient balance"


async def test_a_refusal_that_says_the_number_is_gone_needs_no_lookup(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    del stack.sandbox.state.market[direction.id][request.number_id]  # someone else took it
    available_before = stack.sandbox.call_count("available")
    with pytest.raises(NumberGone):
        await stack.services.ordering.place_order(ALICE, "gone", request, direction)
    assert stack.sandbox.call_count("available") == available_before


@pytest.mark.sandbox(realistic=True)
async def test_an_unclear_refusal_asks_once_with_the_numbers_digits_and_is_not_taken(stack: Stack) -> None:
    direction = await _direction_without_sms(stack)
    free = await stack.services.catalog.free_numbers(direction.id)
    assert len(free) == 20  # the realistic mode caps the list; most numbers are not in it
    request = OrderRequest(
        direction_id=direction.id, number_id=free[-1].id, number=free[-1].number, receive_sms=True
    )
    available_before = stack.sandbox.call_count("available")
    with pytest.raises(ApiUnavailable) as info:
        await stack.services.ordering.place_order(ALICE, "sms", request, direction)
    assert "cannot receive SMS" in info.value.detail
    assert stack.sandbox.call_count("available") == available_before + 1
    intent = await stack.storage.intents.get("sms")
    assert intent is not None and intent.error != "number_gone"


async def _direction_without_sms(stack: Stack) -> Direction:
    directions = await stack.services.catalog.directions("GB", "en")
    return next(d for d in directions if not d.needs_documents and not d.receive_sms)
