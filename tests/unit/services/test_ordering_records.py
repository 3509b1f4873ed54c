"""What a placed order or renewal records, audits, tells and caches, and who is refused before any call.

The real services over the emulator (behind a proxy where a case needs Zadarma to
answer differently) and a real SQLite file.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.services.errors import (
    ApiUnavailable,
    InsufficientBalance,
    NotYours,
    NumberGone,
    OutcomeContested,
    OutcomePending,
    RenewalInProgress,
)
from bot.services.ordering import OrderOutcome, OrderRequest, ProlongOutcome, add_months, order_price
from bot.services.outcomes import CHECK_PREFIX, RESERVED_PREFIX, OutcomeNotifier
from bot.services.settlement import Settler
from bot.storage import IntentRepository, IntentStatus
from bot.zadarma.models import Direction
from tests.unit.services.conftest import ALICE, BOB, OPERATOR, Stack
from tests.unit.services.test_ordering_refusals import (
    Proxy,
    first_free,
    pln_direction,
    services_behind,
    the_order_entry,
    told_after_the_chat,
    usd_direction,
)
from tests.unit.services.test_settlement import AfterCall, renewal_left_unknown

DATE = "%Y-%m-%d %H:%M:%S"
TEAM = "slack:CTEAM"
PROLONG_PATH = "/v1/direct_numbers/prolong/"


def tell_telegram(stack: Stack, *, team: str | None = None) -> OutcomeNotifier:
    notice = OutcomeNotifier(stack.storage, platforms=frozenset({"telegram", "slack"}), team=team)
    stack.services.ordering.notifier = notice
    return notice


async def ordered(stack: Stack, direction: Direction | None = None) -> str:
    """A number Alice ordered (digits)."""
    direction = direction or await usd_direction(stack.services)
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await first_free(stack.services, direction), direction
    )
    return placed.number


class Answer(httpx.AsyncBaseTransport):
    """The emulator's transport; a request on ``path`` gets ``change(reply)`` (status, body) instead."""

    def __init__(
        self, sandbox: Sandbox, path: str, change: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]
    ) -> None:
        self._inner = sandbox.transport()
        self._path = path
        self._change = change

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if not request.url.path.startswith(self._path):
            return response
        status, body = self._change(json.loads(await response.aread()))
        return httpx.Response(status, headers={"Content-Type": "application/json"}, content=json.dumps(body))


# -- a placed order -------------------------------------------------------------------


async def test_a_placed_order_records_what_zadarma_placed_and_answers_it_again(stack: Stack) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)
    placed = await stack.services.ordering.place_order(ALICE, "k", request, direction)
    intent = await stack.storage.intents.get("k")
    assert intent is not None
    assert intent.result == {"number": placed.number, "activated": 1, "reserved": 0, "autorenew": "on"}
    assignment = await stack.storage.ownership.number_assignment(placed.number)
    assert assignment is not None and (assignment.owner, assignment.assigned_by) == (ALICE.user, "order")
    again = await stack.services.ordering.place_order(ALICE, "k", request, direction)
    assert (again.activated, again.reserved, again.needed, again.needed_currency, again.repeated) == (
        True,
        False,
        None,
        "",
        True,
    )


async def test_a_purpose_the_direction_requires_reaches_zadarma(stack: Stack) -> None:
    direction = next(
        d
        for d in await stack.services.catalog.directions("US", "en")
        if d.specify == ("purpose",) and not d.upload
    )
    free = await stack.services.catalog.free_numbers(direction.id)
    request = OrderRequest(direction.id, free[0].id, free[0].number, purpose="support line")
    placed = await stack.services.ordering.place_order(ALICE, "k", request, direction)
    assert placed.number == free[0].number and stack.sandbox.call_count("order") == 1


@pytest.mark.parametrize(("autorenew", "asked"), [(True, ["month"]), (False, [])])
async def test_the_order_asks_zadarma_to_renew_monthly_only_when_the_customer_chose_it(
    stack: Stack, autorenew: bool, asked: list[str]
) -> None:
    proxy = Proxy(stack.sandbox)
    async with services_behind(stack, proxy) as services:
        direction = await usd_direction(services)
        chosen = await first_free(services, direction)
        request = OrderRequest(direction.id, chosen.number_id, chosen.number, autorenew=autorenew)
        await services.ordering.place_order(ALICE, "k", request, direction)
    [sent] = [r for r in proxy.requests if r.url.path == "/v1/direct_numbers/order/"]
    assert parse_qs(sent.content.decode()).get("autorenew_period", []) == asked


async def test_auto_renewal_off_is_switched_off_right_after_ordering(stack: Stack) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)
    off = OrderRequest(direction.id, request.number_id, request.number, autorenew=False)
    placed = await stack.services.ordering.place_order(ALICE, "k", off, direction)
    assert stack.sandbox.state.numbers[placed.number].autorenew is False
    intent = await stack.storage.intents.get("k")
    assert intent is not None and intent.result is not None and intent.result["autorenew"] == "off"


async def test_auto_renewal_zadarma_would_not_switch_off_is_recorded_and_goes_to_the_team(
    stack: Stack,
) -> None:
    tell_telegram(stack, team=TEAM)
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)
    off = OrderRequest(direction.id, request.number_id, request.number, autorenew=False)
    stack.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/autoprolongation/"])
    placed = await stack.services.ordering.place_order(ALICE, "k", off, direction)
    assert placed.number == request.number  # the order itself went through
    assert stack.sandbox.state.numbers[placed.number].autorenew is True
    intent = await stack.storage.intents.get("k")
    assert intent is not None and intent.result is not None and intent.result["autorenew"] == "failed"
    reason = "auto-renewal could not be switched off"
    alert = await stack.storage.alerts.get(f"{CHECK_PREFIX}k:{reason[:40]}")
    assert alert is not None and alert.kind == "money_check"
    assert alert.payload["params"] == {
        "what": "order",
        "reason": reason,
        "customer": "telegram:1001",
        "intent": "k",
    }
    [check] = [e for e in await stack.storage.audit.list(placed.number) if e.action == "order_check"]
    assert check.details == {"intent": "k", "reason": reason}


async def test_a_number_given_to_another_customer_while_it_was_ordered_is_contested_at_once(
    stack: Stack,
) -> None:
    tell_telegram(stack, team=TEAM)
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)

    async def operator_gives_it_to_bob(path: str) -> None:
        if path == "/v1/direct_numbers/order/":
            await stack.storage.ownership.assign_number(request.number, BOB.user, "operator")

    proxy = AfterCall(stack.sandbox.transport(), operator_gives_it_to_bob)
    async with services_behind(stack, proxy) as services:
        services.ordering.notifier = stack.services.ordering.notifier
        with pytest.raises(OutcomeContested) as info:
            await services.ordering.place_order(ALICE, "k", request, direction)
    assert info.value.params == {"number": request.number}
    reason = "placed for telegram:1001, but telegram:1002 owns the number here"
    intent = await stack.storage.intents.get("k")
    assert intent is not None and intent.status == IntentStatus.CONTESTED and intent.error == reason
    alert = await stack.storage.alerts.get(f"{CHECK_PREFIX}k:{reason[:40]}")
    assert alert is not None and alert.payload["params"]["reason"] == reason
    assert (await told_after_the_chat(stack, "k"))["outcome"] == "contested"
    assert await stack.storage.ownership.owner_of_number(request.number) == BOB.user


# -- reservations ----------------------------------------------------------------------


@pytest.mark.sandbox(reserve_when_short=True)
async def test_a_reservation_records_its_shortfall_and_is_audited_as_reserved(stack: Stack) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)
    await stack.services.catalog.balance()
    stack.sandbox.set_balance("2.00")
    placed = await stack.services.ordering.place_order(ALICE, "r", request, direction)
    needed = order_price(direction, "month") - Decimal("2.00")
    assert (placed.needed, placed.needed_currency) == (needed, "USD")
    intent = await stack.storage.intents.get("r")
    assert intent is not None and intent.result == {
        "number": placed.number,
        "activated": 0,
        "reserved": 1,
        "autorenew": "on",
        "needed": str(needed),
        "needed_currency": "USD",
    }
    assert await the_order_entry(stack, placed.number) == ("order", "ok: reserved")
    again = await stack.services.ordering.place_order(ALICE, "r", request, direction)
    assert (again.needed, again.needed_currency) == (needed, "USD")


@pytest.mark.sandbox(reserve_when_short=True, mixed_currencies=True)
async def test_a_reservation_priced_in_another_currency_names_no_shortfall(stack: Stack) -> None:
    tell_telegram(stack, team=TEAM)
    direction = await pln_direction(stack.services)
    request = await first_free(stack.services, direction)
    stack.sandbox.set_balance("0.10")  # USD: only Zadarma knows how many PLN that is
    placed = await stack.services.ordering.place_order(ALICE, "r", request, direction)
    assert placed.reserved and (placed.needed, placed.needed_currency) == (None, "")
    intent = await stack.storage.intents.get("r")
    assert intent is not None and intent.result is not None and "needed" not in intent.result
    alert = await stack.storage.alerts.get(RESERVED_PREFIX + "r")
    assert alert is not None and alert.payload["params"]["outcome"] == "price"
    again = await stack.services.ordering.place_order(ALICE, "r", request, direction)
    assert (again.reserved, again.needed, again.needed_currency) == (True, None, "")


# -- refused before any call -------------------------------------------------------------


async def test_a_number_still_owned_here_is_refused_before_any_call_even_typed_with_a_plus(
    stack: Stack,
) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction, plus=True)
    digits = request.number.lstrip("+")
    await stack.storage.ownership.assign_number(digits, BOB.user, "operator")
    available = stack.sandbox.call_count("available")
    with pytest.raises(NumberGone) as info:
        await stack.services.ordering.place_order(ALICE, "k", request, direction)
    assert info.value.params == {"number": request.number}
    assert stack.sandbox.call_count("order") == 0 and await stack.storage.intents.get("k") is None
    assert digits not in {n.number for n in await stack.services.catalog.free_numbers(direction.id)}
    assert stack.sandbox.call_count("available") == available  # dropped from the cached list


async def test_a_number_already_on_the_account_is_refused_before_any_call(stack: Stack) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction, plus=True)
    digits = request.number.lstrip("+")
    await stack.client.order_number(
        direction_id=direction.id, documents_group_id=0, number_id=request.number_id
    )
    available = stack.sandbox.call_count("available")
    with pytest.raises(NumberGone) as info:  # ordered in Zadarma's own cabinet, say
        await stack.services.ordering.place_order(ALICE, "k", request, direction)
    assert info.value.params == {"number": request.number}
    assert stack.sandbox.call_count("order") == 1 and await stack.storage.intents.get("k") is None
    assert await stack.storage.ownership.owner_of_number(digits) is None
    assert digits not in {n.number for n in await stack.services.catalog.free_numbers(direction.id)}
    assert stack.sandbox.call_count("available") == available


# -- the balance check before an order -----------------------------------------------------


async def test_a_cached_balance_exactly_covering_the_price_is_trusted(stack: Stack) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)
    stack.sandbox.set_balance(str(order_price(direction, "month")))
    await stack.services.catalog.balance()
    await stack.services.ordering.place_order(ALICE, "k", request, direction)
    assert stack.sandbox.call_count("order") == 1 and stack.sandbox.call_count("balance") == 1


async def test_a_stale_low_balance_and_a_fresh_one_exactly_covering_the_price_orders(stack: Stack) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)
    stack.sandbox.set_balance("0.50")
    await stack.services.catalog.balance()
    stack.sandbox.set_balance(str(order_price(direction, "month")))
    await stack.services.ordering.place_order(ALICE, "k", request, direction)
    assert stack.sandbox.call_count("order") == 1


async def test_an_early_refusal_names_the_price_and_the_balance(stack: Stack) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)
    stack.sandbox.set_balance("0.50")
    with pytest.raises(InsufficientBalance) as info:
        await stack.services.ordering.place_order(ALICE, "k", request, direction)
    price = order_price(direction, "month")
    assert info.value.params == {"needed": price, "balance": Decimal("0.50"), "currency": "USD"}
    assert info.value.balance_currency == "USD"


# -- renewals ---------------------------------------------------------------------------


async def test_a_renewal_records_audits_tells_and_lowers_the_cached_balance(stack: Stack) -> None:
    tell_telegram(stack)
    number = await ordered(stack)
    record = await stack.services.numbers.get(ALICE, number)
    assert record.stop_date is not None
    await stack.services.catalog.balance(fresh=True)
    balance_calls = stack.sandbox.call_count("balance")
    done = await stack.services.ordering.prolong(ALICE, "p", "+" + number, 2)
    stop = add_months(record.stop_date, 2).strftime(DATE)
    price = record.monthly_fee * 2
    assert (done.amount, done.currency) == (price, "USD")
    intent = await stack.storage.intents.get("p")
    assert intent is not None and intent.result == {
        "stop_date": stop,
        "amount": str(price),
        "currency": "USD",
    }
    entries = await stack.storage.audit.list(number)
    assert [(e.action, e.result) for e in entries if e.details.get("months") == 2] == [
        ("prolong", f"ok: until {stop}")
    ]
    told = await told_after_the_chat(stack, "p")
    assert (told["outcome"], told["stop_date"]) == ("renewed", stop)
    shown = await stack.services.catalog.balance()
    assert shown.balance == (await stack.client.balance()).balance
    assert stack.sandbox.call_count("balance") == balance_calls + 1  # only the check just above


async def test_a_renewal_zadarma_refuses_keeps_its_words_and_its_price(stack: Stack) -> None:
    number = await ordered(stack)
    record = await stack.services.numbers.get(ALICE, number)
    said = "Number is frozen by the operator"
    answer = Answer(stack.sandbox, PROLONG_PATH, lambda _: (400, {"status": "error", "message": said}))
    async with services_behind(stack, answer) as services:
        with pytest.raises(ApiUnavailable) as info:
            await services.ordering.prolong(ALICE, "p", number, 1)
    assert (info.value.detail, info.value.retryable) == (said, False)
    intent = await stack.storage.intents.get("p")
    assert intent is not None and intent.status == IntentStatus.FAILED and intent.error == said
    failed = [e for e in await stack.storage.audit.list(number) if e.action == "prolong"]
    assert [e.result for e in failed] == [f"failed: {said}"]
    told = await told_after_the_chat(stack, "p")
    assert (told["outcome"], told["reason"]) == ("refused", said)
    assert (told["amount"], told["currency"]) == (str(record.monthly_fee), "USD")


async def test_a_renewal_refused_in_other_words_is_recognised_as_short_by_the_balance(stack: Stack) -> None:
    number = await ordered(stack)
    record = await stack.services.numbers.get(ALICE, number)

    def reworded(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("status") != "error":
            return 200, body
        return 400, {"status": "error", "message": "Operacja odrzucona (kod 17)"}

    async with services_behind(stack, Answer(stack.sandbox, PROLONG_PATH, reworded)) as services:
        await services.catalog.balance()  # cached: still covers it
        stack.sandbox.set_balance("0.50")
        with pytest.raises(InsufficientBalance) as info:
            await services.ordering.prolong(ALICE, "p", number, 1)
    assert info.value.params == {"needed": record.monthly_fee, "balance": Decimal("0.50"), "currency": "USD"}
    intent = await stack.storage.intents.get("p")
    assert intent is not None and intent.error == "insufficient balance"


async def test_a_renewal_refused_for_funds_when_the_balance_cannot_be_read_names_the_last_known_one(
    stack: Stack,
) -> None:
    number = await ordered(stack)
    known = (await stack.services.catalog.balance(fresh=True)).balance
    stack.sandbox.set_balance("0.50")
    stack.sandbox.set_faults(error_rate=1.0, paths=["/v1/info/balance/"])
    with pytest.raises(InsufficientBalance) as info:
        await stack.services.ordering.prolong(ALICE, "p", number, 1)
    assert info.value.balance == known and info.value.currency == "USD"


async def test_a_renewal_the_balance_does_not_cover_is_refused_before_any_call(stack: Stack) -> None:
    number = await ordered(stack)
    record = await stack.services.numbers.get(ALICE, number)
    stack.sandbox.set_balance("0.50")
    stack.services.catalog.forget_balance()  # the cached figure expired
    with pytest.raises(InsufficientBalance) as info:
        await stack.services.ordering.prolong(ALICE, "p", number, 1)
    assert info.value.params == {"needed": record.monthly_fee, "balance": Decimal("0.50"), "currency": "USD"}
    assert stack.sandbox.call_count("prolong") == 0


async def test_a_renewal_while_another_is_checked_is_refused_by_its_number(stack: Stack) -> None:
    number = await ordered(stack)
    await renewal_left_unknown(stack, "first", number)
    with pytest.raises(RenewalInProgress) as info:
        await stack.services.ordering.prolong(ALICE, "second", "+" + number, 1)
    assert info.value.params == {"number": "+" + number}


async def test_someone_else_replaying_a_renewal_key_learns_nothing(stack: Stack) -> None:
    number = await ordered(stack)
    await stack.services.ordering.prolong(ALICE, "p", number, 1)
    with pytest.raises(NotYours) as info:
        await stack.services.ordering.prolong(BOB, "p", "15550009999", 1)
    assert info.value.params == {"number": "15550009999"}
    assert stack.sandbox.call_count("prolong") == 1


async def test_a_number_without_a_paid_until_date_is_quoted_and_renewed(stack: Stack) -> None:
    number = await ordered(stack)

    def undated(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        body["info"]["stop_date"] = None
        return 200, body

    async with services_behind(
        stack, Answer(stack.sandbox, "/v1/direct_numbers/number/", undated)
    ) as services:
        quote = await services.ordering.prolong_quote(ALICE, number, 1)
        assert (quote.stop_date, quote.new_stop_date) == (None, None)
        done = await services.ordering.prolong(ALICE, "p", number, 1)
        assert done.stop_date is not None  # the renewal's reply names the new date
    intent = await stack.storage.intents.get("p")
    assert intent is not None and intent.params["stop_date_before"] == ""


async def test_a_lost_renewal_an_older_bot_recorded_without_its_price_settles_with_the_records_fee(
    stack: Stack,
) -> None:
    number = await ordered(stack)
    record = await stack.services.numbers.get(ALICE, number)
    assert record.stop_date is not None
    await renewal_left_unknown(stack, "old", number)  # no price, no currency among its params
    await stack.client.prolong_number(number, 1)  # it landed
    await Settler(stack.services.ordering, stack.storage).settle_due()
    intent = await stack.storage.intents.get("old")
    assert intent is not None and intent.result == {
        "stop_date": add_months(record.stop_date, 1).strftime(DATE),
        "amount": str(record.monthly_fee),
        "currency": record.currency,
    }


# -- the quote ---------------------------------------------------------------------------


async def test_a_quote_names_the_number_price_and_the_balance_it_is_set_against(stack: Stack) -> None:
    number = await ordered(stack)
    record = await stack.services.numbers.get(ALICE, number)
    stack.sandbox.set_balance(str(record.monthly_fee * 2))
    await stack.services.catalog.balance(fresh=True)
    quote = await stack.services.ordering.prolong_quote(ALICE, "+" + number, 2)
    assert (quote.number, quote.months, quote.amount, quote.currency) == (
        number,
        2,
        record.monthly_fee * 2,
        "USD",
    )
    assert (quote.balance, quote.balance_currency) == (record.monthly_fee * 2, "USD")
    assert quote.affordable is True  # exactly covered
    assert (await stack.services.ordering.prolong_quote(ALICE, number, 3)).affordable is False


@pytest.mark.sandbox(mixed_currencies=True)
async def test_a_quote_in_another_currency_than_the_balance_cannot_say_if_it_is_affordable(
    stack: Stack,
) -> None:
    number = await ordered(stack, await pln_direction(stack.services))
    quote = await stack.services.ordering.prolong_quote(ALICE, number, 1)
    assert (quote.currency, quote.balance_currency, quote.affordable) == ("PLN", "USD", None)


# -- two presses of one confirmation, racing ------------------------------------------------


class HeldKey:
    """The real intents store, holding two confirmations of one key where they race.

    Both read the key, and both reach the insert, before either writes it; the second
    insert waits for the first, and the first waits after its insert until the second
    confirmation is done.
    """

    def __init__(self, inner: IntentRepository) -> None:
        self._inner = inner
        self._reads = 0
        self._creates = 0
        self._both_read = asyncio.Barrier(2)
        self._both_creating = asyncio.Barrier(2)
        self._first_created = asyncio.Event()
        self._first: asyncio.Task[Any] | None = None
        self._second_done = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def get(self, key: str) -> Any:
        found = await self._inner.get(key)
        self._reads += 1
        if self._reads <= 2:
            await self._both_read.wait()
        return found

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        await self._both_creating.wait()
        self._creates += 1
        if self._creates == 2:
            await self._first_created.wait()
            return await self._inner.create(*args, **kwargs)
        self._first = asyncio.current_task()
        created = await self._inner.create(*args, **kwargs)
        self._first_created.set()
        await self._second_done.wait()
        return created

    def finished(self, task: asyncio.Future[Any]) -> None:
        """Called as each racing confirmation ends."""
        if task is not self._first:
            self._second_done.set()


async def race(stack: Stack, first: Awaitable[Any], second: Awaitable[Any]) -> list[Any]:
    held = HeldKey(stack.storage.intents)
    stack.storage.intents = held
    try:
        one = asyncio.ensure_future(first)
        two = asyncio.ensure_future(second)
        one.add_done_callback(held.finished)
        two.add_done_callback(held.finished)
        async with asyncio.timeout(20):
            return list(await asyncio.gather(one, two, return_exceptions=True))
    finally:
        stack.storage.intents = held._inner


def one_done_one_pending(results: list[Any], done: type[Any]) -> None:
    """Whichever confirmation wrote the key first sent the call; the other was told to wait."""
    assert sorted(type(r).__name__ for r in results) == sorted([done.__name__, "OutcomePending"]), results
    assert not next(r for r in results if isinstance(r, done)).repeated


async def test_two_presses_of_one_order_racing_place_one_and_the_other_is_told_pending(stack: Stack) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)
    ordering = stack.services.ordering
    results = await race(
        stack,
        ordering.place_order(ALICE, "k", request, direction),
        ordering.place_order(ALICE, "k", request, direction),
    )
    one_done_one_pending(results, OrderOutcome)
    assert stack.sandbox.call_count("order") == 1


async def test_two_presses_of_one_renewal_racing_send_one_and_the_other_is_told_pending(stack: Stack) -> None:
    number = await ordered(stack)
    ordering = stack.services.ordering
    results = await race(
        stack, ordering.prolong(ALICE, "p", number, 1), ordering.prolong(ALICE, "p", number, 1)
    )
    one_done_one_pending(results, ProlongOutcome)
    assert stack.sandbox.call_count("prolong") == 1


async def test_an_operator_racing_a_customers_renewal_key_is_told_pending(stack: Stack) -> None:
    number = await ordered(stack)
    ordering = stack.services.ordering
    results = await race(
        stack, ordering.prolong(ALICE, "p", number, 1), ordering.prolong(OPERATOR, "p", number, 1)
    )
    one_done_one_pending(results, ProlongOutcome)
    assert stack.sandbox.call_count("prolong") == 1


async def test_someone_else_racing_a_renewal_key_for_their_own_number_is_refused_and_learns_nothing(
    stack: Stack,
) -> None:
    direction = await usd_direction(stack.services)
    alices = await ordered(stack, direction)
    bobs = (
        await stack.services.ordering.place_order(
            BOB, "b", await first_free(stack.services, direction), direction
        )
    ).number
    ordering = stack.services.ordering
    results = await race(stack, ordering.prolong(ALICE, "p", alices, 1), ordering.prolong(BOB, "p", bobs, 1))
    [(loser, number)] = [
        (r, n) for r, n in zip(results, (alices, bobs), strict=True) if isinstance(r, NotYours)
    ]
    assert loser.params == {"number": number}  # only what the loser itself sent
    assert stack.sandbox.call_count("prolong") == 1


# -- a restart that fails a fresh intent just before it is sent ------------------------------


class RestartBeforeSending:
    """The real intents store; right before a confirmation marks its intent sending, a
    restarting replica's recovery runs (and fails every intent still pending)."""

    def __init__(self, inner: IntentRepository, recover: Callable[[], Awaitable[int]]) -> None:
        self._inner = inner
        self._recover = recover

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def mark_sending(self, key: str) -> bool:
        await self._recover()
        return await self._inner.mark_sending(key)


async def test_an_order_a_restart_failed_just_before_sending_is_never_sent(stack: Stack) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)
    ordering = stack.services.ordering
    stack.storage.intents = RestartBeforeSending(stack.storage.intents, ordering.recover)
    with pytest.raises(ApiUnavailable) as info:
        await ordering.place_order(ALICE, "k", request, direction)
    assert (info.value.detail, info.value.retryable) == (
        "The order did not go through; nothing was charged.",
        True,
    )
    assert stack.sandbox.call_count("order") == 0


async def test_a_renewal_a_restart_failed_just_before_sending_is_never_sent(stack: Stack) -> None:
    number = await ordered(stack)
    ordering = stack.services.ordering
    stack.storage.intents = RestartBeforeSending(stack.storage.intents, ordering.recover)
    with pytest.raises(ApiUnavailable) as info:
        await ordering.prolong(ALICE, "p", number, 1)
    assert (info.value.detail, info.value.retryable) == (
        "The renewal did not go through; nothing was charged.",
        True,
    )
    assert stack.sandbox.call_count("prolong") == 0


# -- an unknown outcome ------------------------------------------------------------------------


async def test_a_lost_reply_records_why_the_outcome_is_unknown(stack: Stack) -> None:
    direction = await usd_direction(stack.services)
    request = await first_free(stack.services, direction)
    stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
    with pytest.raises(OutcomePending):
        await stack.services.ordering.place_order(ALICE, "k", request, direction)
    intent = await stack.storage.intents.get("k")
    assert intent is not None and intent.status == IntentStatus.UNKNOWN
    assert intent.error is not None and intent.error.startswith("POST /v1/direct_numbers/order/: no reply")


async def test_a_lost_renewal_reply_records_why_the_outcome_is_unknown(stack: Stack) -> None:
    number = await ordered(stack)
    stack.sandbox.set_faults(drop_rate=1.0, paths=[PROLONG_PATH])
    with pytest.raises(OutcomePending):
        await stack.services.ordering.prolong(ALICE, "p", number, 1)
    intent = await stack.storage.intents.get("p")
    assert intent is not None and intent.status == IntentStatus.UNKNOWN
    assert intent.error is not None and intent.error.startswith(f"POST {PROLONG_PATH}: no reply")
