"""What a refused order leaves behind: the reason, the audit entry, the customer's alert, the caches.

Zadarma's refusals are told apart by evidence: a short balance (HTTP 402, its known
wording, or the balance read right after), a number gone from the market (its wording,
or one lookup with the number's own digits), anything else kept in Zadarma's words.
A login, rate-limit or server failure is not a refusal and makes no lookups. The real
services run over the emulator (behind a proxy that rewords or re-codes a reply where
a case needs it) and a real SQLite file.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.catalog import FreeNumber
from bot.services import Services
from bot.services.errors import ApiUnavailable, InsufficientBalance, NumberGone
from bot.services.ordering import OrderRequest, order_price
from bot.services.outcomes import FAIL_NUMBER_GONE, OutcomeNotifier, outcome_key
from bot.storage import DeliveryStatus, IntentStatus, utc_now
from bot.zadarma.models import Direction
from tests.stack import services_over
from tests.unit.services.conftest import ALICE, Stack

ORDER_PATH = "/v1/direct_numbers/order/"
AVAILABLE_PATH = "/v1/direct_numbers/available/"


class Proxy(httpx.AsyncBaseTransport):
    """The emulator's transport; records every request and can re-answer an order refusal.

    ``status``/``message``: an order the emulator refuses is answered with this HTTP
    status and this message instead (each defaults to the emulator's own).
    """

    def __init__(self, sandbox: Sandbox, *, status: int | None = None, message: str | None = None) -> None:
        self._inner = sandbox.transport()
        self.status = status
        self.message = message
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = await self._inner.handle_async_request(request)
        if request.url.path != ORDER_PATH or response.status_code < 400:
            return response
        body = json.loads(await response.aread())
        status = self.status or response.status_code
        message = self.message or body.get("message", "")
        content = json.dumps({"status": "error", "message": message}).encode()
        return httpx.Response(status, headers={"Content-Type": "application/json"}, content=content)

    def masks(self) -> list[str | None]:
        """The ``mask`` of every free-number lookup, in order."""
        return [r.url.params.get("mask") for r in self.requests if r.url.path.startswith(AVAILABLE_PATH)]


@asynccontextmanager
async def services_behind(stack: Stack, proxy: httpx.AsyncBaseTransport) -> AsyncIterator[Services]:
    """The services of ``stack``'s store, calling the emulator through ``proxy``; outcomes reach Telegram."""
    async with services_over(stack, proxy) as services:
        services.ordering.notifier = OutcomeNotifier(stack.storage, platforms=frozenset({"telegram"}))
        yield services


async def usd_direction(services: Services) -> Direction:
    return next(
        d
        for d in await services.catalog.directions("US", "en")
        if not d.needs_documents and d.currency == "USD"
    )


async def pln_direction(services: Services) -> Direction:
    return next(
        d
        for d in await services.catalog.directions("PL", "en")
        if not d.needs_documents and d.currency == "PLN"
    )


async def first_free(services: Services, direction: Direction, *, plus: bool = False) -> OrderRequest:
    free = await services.catalog.free_numbers(direction.id)
    number = ("+" if plus else "") + free[0].number.lstrip("+")
    return OrderRequest(direction_id=direction.id, number_id=free[0].id, number=number)


async def told_after_the_chat(stack: Stack, key: str) -> dict[str, str]:
    """The customer's outcome alert, held back for the chat that is showing it (not sent at once)."""
    alert = await stack.storage.alerts.get(outcome_key(key))
    assert alert is not None
    [delivery] = await stack.storage.alerts.deliveries(outcome_key(key))
    assert delivery.destination == "telegram:1001" and delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at > utc_now() + timedelta(
        seconds=30
    )
    params = alert.payload["params"]
    assert isinstance(params, dict)
    return {str(k): str(v) for k, v in params.items()}


async def the_order_entry(stack: Stack, number: str) -> tuple[str, str]:
    [entry] = [e for e in await stack.storage.audit.list(number.lstrip("+")) if e.actor == "telegram:1001"]
    return entry.action, entry.result


# -- refused in Zadarma's own words ---------------------------------------------------


async def test_a_refusal_is_recorded_audited_and_told_in_zadarmas_words(stack: Stack) -> None:
    said = "The period is not offered for this direction"
    async with services_behind(stack, Proxy(stack.sandbox, message=said)) as services:
        direction = await usd_direction(services)
        chosen = await first_free(services, direction, plus=True)  # typed with a "+"
        odd = OrderRequest(direction.id, chosen.number_id, chosen.number, period="week")
        with pytest.raises(ApiUnavailable) as info:
            await services.ordering.place_order(ALICE, "odd", odd, direction)
    assert info.value.detail == said and info.value.retryable is False
    intent = await stack.storage.intents.get("odd")
    assert intent is not None and intent.status == IntentStatus.FAILED and intent.error == said
    # filed under the number's digits, like every other entry of that number
    assert await the_order_entry(stack, chosen.number) == ("order", f"failed: {said}")
    told = await told_after_the_chat(stack, "odd")
    assert (told["outcome"], told["reason"]) == ("refused", said)


# -- a short balance --------------------------------------------------------------------


async def test_a_short_balance_refusal_names_the_price_and_the_fresh_balance(stack: Stack) -> None:
    async with services_behind(stack, Proxy(stack.sandbox)) as services:
        direction = await usd_direction(services)
        request = await first_free(services, direction)
        await services.catalog.balance()  # a cached figure that still covers it
        stack.sandbox.set_balance("1.00")
        with pytest.raises(InsufficientBalance) as info:
            await services.ordering.place_order(ALICE, "poor", request, direction)
    price = order_price(direction, "month")
    assert (info.value.needed, info.value.balance, info.value.currency) == (price, Decimal("1.00"), "USD")
    assert info.value.params == {"needed": price, "balance": Decimal("1.00"), "currency": "USD"}
    assert await the_order_entry(stack, request.number) == ("order", "failed: insufficient balance")
    told = await told_after_the_chat(stack, "poor")
    assert told["outcome"] == "refused" and told["reason"] == "insufficient balance"


async def test_a_short_balance_refusal_when_the_balance_cannot_be_read_names_the_last_known_one(
    stack: Stack,
) -> None:
    async with services_behind(stack, Proxy(stack.sandbox)) as services:
        direction = await usd_direction(services)
        request = await first_free(services, direction)
        known = (await services.catalog.balance()).balance
        stack.sandbox.set_balance("1.00")
        stack.sandbox.set_faults(error_rate=1.0, paths=["/v1/info/balance/"])
        with pytest.raises(InsufficientBalance) as info:
            await services.ordering.place_order(ALICE, "poor", request, direction)
    assert info.value.balance == known and info.value.balance_currency == "USD"
    intent = await stack.storage.intents.get("poor")
    assert intent is not None and intent.error == "insufficient balance"


async def test_a_402_in_any_words_is_a_short_balance(stack: Stack) -> None:
    proxy = Proxy(stack.sandbox, status=402, message="Operacja odrzucona (kod 17)")
    async with services_behind(stack, proxy) as services:
        direction = await usd_direction(services)
        request = await first_free(services, direction)
        await services.catalog.balance()
        stack.sandbox.set_balance("1.00")
        stack.sandbox.set_faults(error_rate=1.0, paths=["/v1/info/balance/"])  # only the refusal tells
        with pytest.raises(InsufficientBalance):
            await services.ordering.place_order(ALICE, "k", request, direction)
    assert proxy.masks() == [None]  # never mistaken for "taken": no lookup with the number's digits


@pytest.mark.parametrize(
    "wording",
    [
        "Not enough money on your account",
        "INSUFFICIENT FUNDS",
        "Not enough funds to complete the order",
        "Brak środków na koncie",
        "Niewystarczające środki na koncie",
        "Недостаточно средств на счёте",
        "Недостатньо коштів на рахунку",
        "No hay saldo suficiente",
        "Saldo insuficiente para el pedido",
    ],
)
@pytest.mark.sandbox(mixed_currencies=True)  # a PLN price on a USD account: only the words can tell
async def test_each_known_wording_of_a_short_balance_is_recognised(stack: Stack, wording: str) -> None:
    proxy = Proxy(stack.sandbox, message=wording)
    async with services_behind(stack, proxy) as services:
        direction = await pln_direction(services)
        request = await first_free(services, direction)
        stack.sandbox.set_balance("0.10")
        with pytest.raises(InsufficientBalance) as info:
            await services.ordering.place_order(ALICE, "k", request, direction)
    assert info.value.balance == Decimal("0.10") and info.value.balance_currency == "USD"
    assert info.value.currency == "PLN"


@pytest.mark.sandbox(mixed_currencies=True)
async def test_a_refusal_in_other_words_in_another_currency_is_not_a_short_balance(stack: Stack) -> None:
    proxy = Proxy(stack.sandbox, message="Operacja odrzucona (kod 17)")
    async with services_behind(stack, proxy) as services:
        direction = await pln_direction(services)
        request = await first_free(services, direction)
        stack.sandbox.set_balance("0.10")
        with pytest.raises(ApiUnavailable) as info:
            await services.ordering.place_order(ALICE, "k", request, direction)
    assert not isinstance(info.value, InsufficientBalance | NumberGone)
    assert info.value.detail == "Operacja odrzucona (kod 17)"


async def test_a_refusal_in_other_words_with_the_balance_exactly_covering_the_price_is_not_short(
    stack: Stack,
) -> None:
    said = "The period is not offered for this direction"
    async with services_behind(stack, Proxy(stack.sandbox, message=said)) as services:
        direction = await usd_direction(services)
        chosen = await first_free(services, direction)
        stack.sandbox.set_balance(str(order_price(direction, "month")))
        odd = OrderRequest(direction.id, chosen.number_id, chosen.number, period="week")
        with pytest.raises(ApiUnavailable) as info:
            await services.ordering.place_order(ALICE, "k", odd, direction)
    assert not isinstance(info.value, InsufficientBalance) and info.value.detail == said


# -- not a refusal at all ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "detail", "retryable"),
    [
        (401, "The bot's Zadarma credentials were refused.", False),
        (500, "Not enough money on your account", True),
    ],
)
async def test_a_login_or_server_failure_is_not_a_refusal_and_looks_nothing_up(
    stack: Stack, status: int, detail: str, retryable: bool
) -> None:
    proxy = Proxy(stack.sandbox, status=status, message="Not enough money on your account")
    async with services_behind(stack, proxy) as services:
        direction = await usd_direction(services)
        request = await first_free(services, direction)
        await services.catalog.balance()  # cached: covers the price
        stack.sandbox.set_balance("1.00")  # but the account was drained meanwhile: the emulator says no
        balance_calls, available_calls = (stack.sandbox.call_count(r) for r in ("balance", "available"))
        with pytest.raises(ApiUnavailable) as info:
            await services.ordering.place_order(ALICE, "k", request, direction)
    assert not isinstance(info.value, InsufficientBalance | NumberGone)
    assert (info.value.detail, info.value.retryable) == (detail, retryable)
    assert stack.sandbox.call_count("balance") == balance_calls
    assert stack.sandbox.call_count("available") == available_calls


# -- a number gone from the market ------------------------------------------------------


async def test_a_number_taken_elsewhere_is_found_gone_by_a_fresh_lookup_with_its_digits(stack: Stack) -> None:
    proxy = Proxy(stack.sandbox, message="Operacja odrzucona (kod 17)")  # no known words
    async with services_behind(stack, proxy) as services:
        direction = await usd_direction(services)
        request = await first_free(services, direction, plus=True)
        digits = request.number.lstrip("+")
        searched = await services.catalog.free_numbers(direction.id, digits)  # the customer's search
        assert [n.number for n in searched] == [digits]
        del stack.sandbox.state.market[direction.id][request.number_id]  # another customer took it
        with pytest.raises(NumberGone) as info:
            await services.ordering.place_order(ALICE, "gone", request, direction)
        assert info.value.params == {"number": request.number}
        assert proxy.masks()[-1] == digits
        lookups = len(proxy.masks())
        # every list the customer may be shown again leaves it out, without asking Zadarma
        assert digits not in {n.number for n in await services.catalog.free_numbers(direction.id)}
        assert await services.catalog.free_numbers(direction.id, digits) == []
        assert len(proxy.masks()) == lookups
    intent = await stack.storage.intents.get("gone")
    assert intent is not None and intent.error == FAIL_NUMBER_GONE
    assert await the_order_entry(stack, request.number) == ("order", f"failed: {FAIL_NUMBER_GONE}")
    assert (await told_after_the_chat(stack, "gone"))["outcome"] == "taken"


async def test_a_number_relisted_under_a_new_id_is_not_gone(stack: Stack) -> None:
    proxy = Proxy(stack.sandbox, message="Operacja odrzucona (kod 17)")
    async with services_behind(stack, proxy) as services:
        direction = await usd_direction(services)
        request = await first_free(services, direction)
        market = stack.sandbox.state.market[direction.id]
        del market[request.number_id]
        market["relisted-1"] = FreeNumber("relisted-1", direction.id, request.number)
        with pytest.raises(ApiUnavailable) as info:
            await services.ordering.place_order(ALICE, "k", request, direction)
    assert not isinstance(info.value, NumberGone)
    assert info.value.detail == "Operacja odrzucona (kod 17)"


async def test_a_longer_free_number_holding_the_digits_does_not_keep_a_gone_one_listed(stack: Stack) -> None:
    proxy = Proxy(stack.sandbox, message="Operacja odrzucona (kod 17)")
    async with services_behind(stack, proxy) as services:
        direction = await usd_direction(services)
        request = await first_free(services, direction)
        market = stack.sandbox.state.market[direction.id]
        del market[request.number_id]
        longer = request.number + "9"  # the mask matches any number containing the digits
        market["longer-1"] = FreeNumber("longer-1", direction.id, longer)
        with pytest.raises(NumberGone):
            await services.ordering.place_order(ALICE, "k", request, direction)
    assert proxy.masks()[-1] == request.number


async def test_an_unclear_refusal_is_not_taken_for_gone_when_the_lookup_fails(stack: Stack) -> None:
    proxy = Proxy(stack.sandbox, message="Operacja odrzucona (kod 17)")
    async with services_behind(stack, proxy) as services:
        direction = await usd_direction(services)
        request = await first_free(services, direction)
        del stack.sandbox.state.market[direction.id][request.number_id]
        stack.sandbox.set_faults(error_rate=1.0, paths=[AVAILABLE_PATH])  # so nothing can tell it is gone
        with pytest.raises(ApiUnavailable) as info:
            await services.ordering.place_order(ALICE, "k", request, direction)
    assert not isinstance(info.value, NumberGone)
    intent = await stack.storage.intents.get("k")
    assert intent is not None and intent.error == "Operacja odrzucona (kod 17)"


# -- the account check before paying ----------------------------------------------------


async def test_an_account_check_that_fails_is_told_readably_and_nothing_is_paid(stack: Stack) -> None:
    async with services_behind(stack, Proxy(stack.sandbox)) as services:
        direction = await usd_direction(services)
        request = await first_free(services, direction)
        await services.catalog.balance()
        stack.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/"])
        with pytest.raises(ApiUnavailable) as info:
            await services.ordering.place_order(ALICE, "checked", request, direction)
    assert info.value.retryable is True and info.value.detail
    assert await stack.storage.intents.get("checked") is None  # no intent: nothing was sent
    assert stack.sandbox.call_count("order") == 0
