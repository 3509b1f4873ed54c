"""What settling an unknown outcome records, audits and tells, and when; recovery and late records.

The real services over the in-process emulator and a real SQLite file, as in
``test_settlement.py``. "Due now" means the outcome alert goes out at once:
nobody saw the outcome in the chat, so there is no grace period to wait for
the chat's acknowledgement.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.services.errors import OutcomePending
from bot.services.ordering import OrderingService, OrderRequest
from bot.services.outcomes import OutcomeNotifier, outcome_key
from bot.services.settlement import Settler
from bot.storage import DeliveryStatus, IntentKind, IntentStatus, UserRef, utc_now
from bot.storage.codec import encode_datetime
from bot.zadarma.models import Direction
from tests.fakes.clock import FakeClock
from tests.stack import services_over
from tests.unit.services.conftest import ALICE, BOB, Stack
from tests.unit.services.test_settlement import (
    AfterCall,
    intent_status,
    notifier,
    plain_direction,
    record_now,
    renewal_left_unknown,
    request_for,
    unknown_intent,
)

TEAM = "slack:CTEAM"


async def told(stack: Stack, key: str) -> dict[str, Any]:
    """The parameters of the outcome alert claimed for intent ``key``."""
    alert = await stack.storage.alerts.get(outcome_key(key))
    assert alert is not None, f"nobody is told the outcome of {key}"
    params = alert.payload["params"]
    assert isinstance(params, dict)
    return params


async def due_now(stack: Stack, key: str) -> bool:
    """Whether the outcome alert of ``key`` goes out at once (no grace for a chat that showed it)."""
    [delivery] = await stack.storage.alerts.deliveries(outcome_key(key))
    return delivery.status == DeliveryStatus.PENDING and (
        delivery.next_attempt_at is not None and delivery.next_attempt_at <= record_now()
    )


async def lost_order(stack: Stack, key: str, request: OrderRequest, direction: Direction) -> None:
    """Alice confirms; Zadarma places the order but its reply never comes back."""
    stack.sandbox.set_faults(drop_rate=1.0, paths=["/v1/direct_numbers/order/"])
    with pytest.raises(OutcomePending):
        await stack.services.ordering.place_order(ALICE, key, request, direction)
    stack.sandbox.clear_faults()


async def settler_after_window(stack: Stack, key: str) -> Settler:
    """A settler whose clock is just past the settle window of intent ``key``."""
    intent = await stack.storage.intents.get(key)
    assert intent is not None
    ends = stack.services.ordering.window_ends(intent)
    return Settler(stack.services.ordering, stack.storage, clock=FakeClock(ends + timedelta(seconds=1)))


async def audit_of(stack: Stack, number: str, action: str) -> list[tuple[str, str, Any]]:
    entries = await stack.storage.audit.list(number.lstrip("+"))
    return [(e.actor, e.result, e.details) for e in entries if e.action == action]


# -- orders ------------------------------------------------------------------------


async def test_a_lost_order_found_on_the_account_is_recorded_as_activated_and_told_at_once(
    stack: Stack,
) -> None:
    notifier(stack)
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    await lost_order(stack, "lost", request, direction)
    settler = Settler(stack.services.ordering, stack.storage)
    await settler.settle_due()
    intent = await stack.storage.intents.get("lost")
    assert intent is not None and intent.status == IntentStatus.SUCCEEDED
    assert intent.result is not None and (intent.result["activated"], intent.result["reserved"]) == (1, 0)
    assert (await told(stack, "lost"))["outcome"] == "ordered"
    assert await due_now(stack, "lost")
    assert (settler.settled, settler.health()["checking"]) == (1, 0)
    again = await stack.services.ordering.place_order(ALICE, "lost", request, direction)
    assert again.repeated and again.activated and not again.reserved


@pytest.mark.sandbox(reserve_when_short=True)
async def test_a_lost_order_zadarma_only_reserved_is_settled_as_a_reservation_with_its_shortfall(
    stack: Stack,
) -> None:
    notifier(stack)
    direction = await plain_direction(stack)  # $5.00 a month
    request = await request_for(stack, direction)
    await stack.services.catalog.balance()
    stack.sandbox.set_balance("2.00")
    await lost_order(stack, "short", request, direction)
    await Settler(stack.services.ordering, stack.storage).settle_due()
    intent = await stack.storage.intents.get("short")
    assert intent is not None and intent.status == IntentStatus.SUCCEEDED
    assert intent.result is not None and (intent.result["activated"], intent.result["reserved"]) == (0, 1)
    params = await told(stack, "short")
    assert (params["outcome"], params["needed"]) == ("reserved_short", "3.00")
    assert await due_now(stack, "short")
    assert await stack.storage.alerts.get("reserved:short") is not None  # the team hears of it too


async def test_an_order_that_never_landed_fails_at_the_window_end_audited_and_told_at_once(
    stack: Stack,
) -> None:
    notifier(stack)
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    number = request.number.lstrip("+")
    await unknown_intent(stack, "never", IntentKind.ORDER, ALICE.user, request.to_params(), target=number)
    settler = await settler_after_window(stack, "never")
    await settler.settle_due()
    assert await intent_status(stack, "never") == "failed"
    assert (settler.settled, settler.health()["checking"]) == (1, 0)
    assert (await told(stack, "never"))["outcome"] == "not_placed"
    assert await due_now(stack, "never")
    [(actor, result, _)] = await audit_of(stack, number, "order")
    assert (actor, result) == ("telegram:1001", "failed: not placed")


async def test_an_intent_settled_already_counts_as_settled_and_an_unsent_one_does_not(stack: Stack) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    storage = stack.storage
    await storage.intents.create("done", IntentKind.ORDER, ALICE.user, request.to_params())
    await storage.intents.mark_failed("done", "not placed")
    await storage.intents.create(
        "open", IntentKind.ORDER, BOB.user, (await request_for(stack, direction, 1)).to_params()
    )
    done, still_open = await storage.intents.get("done"), await storage.intents.get("open")
    assert done is not None and still_open is not None
    assert await stack.services.ordering.settle(done, final=True) is True
    assert await stack.services.ordering.settle(still_open, final=True) is False
    assert stack.sandbox.call_count("direct_numbers") == 0  # neither needed a look at the account


# -- renewals ----------------------------------------------------------------------


async def placed_number(stack: Stack) -> str:
    direction = await plain_direction(stack)
    placed = await stack.services.ordering.place_order(
        ALICE, "o", await request_for(stack, direction), direction
    )
    return placed.number


async def test_a_renewal_that_never_landed_fails_only_at_the_window_end_and_is_told(stack: Stack) -> None:
    notifier(stack)
    number = await placed_number(stack)
    await renewal_left_unknown(stack, "renew", number, price="5.00", currency="USD")
    intent = await stack.storage.intents.get("renew")
    assert intent is not None
    assert await stack.services.ordering.settle(intent, final=False) is False  # no change proves nothing yet
    assert await intent_status(stack, "renew") == "unknown"
    settler = await settler_after_window(stack, "renew")
    await settler.settle_due()
    failed = await stack.storage.intents.get("renew")
    assert failed is not None and (failed.status, failed.error) == (IntentStatus.FAILED, "not renewed")
    assert (settler.settled, settler.health()["checking"]) == (1, 0)
    assert (await told(stack, "renew"))["outcome"] == "not_renewed"
    assert await due_now(stack, "renew")
    [(actor, result, _)] = await audit_of(stack, number, "prolong")
    assert (actor, result) == ("telegram:1001", "failed: not renewed")


async def test_a_late_renewal_of_two_months_tells_the_price_confirmed(stack: Stack) -> None:
    notifier(stack)
    number = await placed_number(stack)
    await renewal_left_unknown(stack, "renew", number, months=2, price="7.50", currency="USD")
    await stack.client.prolong_number(number, 2)  # the renewal lands late, two months as confirmed
    settler = Settler(stack.services.ordering, stack.storage)
    await settler.settle_due()
    assert await intent_status(stack, "renew") == "succeeded"
    assert settler.settled == 1
    params = await told(stack, "renew")
    assert (params["outcome"], params["amount"], params["currency"]) == ("renewed", "7.50", "USD")
    assert await due_now(stack, "renew")


async def test_an_older_renewal_without_a_recorded_price_tells_the_monthly_fee_times_the_months(
    stack: Stack,
) -> None:
    notifier(stack)
    number = await placed_number(stack)
    record = await stack.services.numbers.get(ALICE, number)
    await renewal_left_unknown(stack, "renew", number, months=2)  # no price or currency recorded
    await stack.client.prolong_number(number, 2)
    await Settler(stack.services.ordering, stack.storage).settle_due()
    params = await told(stack, "renew")
    assert Decimal(params["amount"]) == record.monthly_fee * 2 == Decimal("10.00")
    assert params["currency"] == record.currency == "USD"


async def test_a_paid_until_date_moved_by_the_wrong_months_goes_to_the_team_with_the_dates(
    stack: Stack,
) -> None:
    notifier(stack)
    number = await placed_number(stack)
    digits = number.lstrip("+")
    await renewal_left_unknown(stack, "renew", number)
    renewal = await stack.storage.intents.get("renew")
    assert renewal is not None
    before = renewal.params["stop_date_before"]
    await stack.client.prolong_number(number, 3)
    after = (await stack.services.numbers.get(ALICE, number)).stop_date
    assert after is not None
    settler = Settler(stack.services.ordering, stack.storage)
    await settler.settle_due()
    assert await intent_status(stack, "renew") == "contested"
    assert settler.settled == 1
    reason = f"paid-until moved from {before} to {after:%Y-%m-%d %H:%M:%S}, not by 1 month(s)"
    assert await audit_of(stack, number, "renewal_check") == [
        ("system", "needs an operator", {"intent": "renew", "reason": reason})
    ]
    check = await team_check(stack)
    assert check.number == digits
    assert check.payload["params"] == {
        "what": "renewal",
        "reason": reason,
        "customer": "telegram:1001",
        "intent": "renew",
    }
    assert (await told(stack, "renew"))["outcome"] == "contested"
    assert await due_now(stack, "renew")


async def team_check(stack: Stack) -> Any:
    due = await stack.storage.alerts.due_deliveries(record_now(), 50)
    [check] = [d.alert for d in due if d.alert.kind == "money_check" and d.destination == TEAM]
    return check


async def test_a_renewal_without_a_date_before_is_contested_when_the_account_shows_one(stack: Stack) -> None:
    notifier(stack)
    number = await placed_number(stack)
    await renewal_left_unknown(stack, "renew", number, stop_date_before="")
    shown = (await stack.services.numbers.get(ALICE, number)).stop_date
    assert shown is not None
    await Settler(stack.services.ordering, stack.storage).settle_due()
    assert await intent_status(stack, "renew") == "contested"
    check = await team_check(stack)
    assert check.payload["params"]["reason"] == (
        f"paid-until moved from - to {shown:%Y-%m-%d %H:%M:%S}, not by 1 month(s)"
    )


class NoPaidUntil(httpx.AsyncBaseTransport):
    """The emulator, except that a number's detail shows Zadarma's zero date: no paid-until date."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.url.path != "/v1/direct_numbers/number/":
            return response
        body = json.loads(await response.aread())
        blank_stop_dates(body)
        return httpx.Response(response.status_code, json=body)


def blank_stop_dates(value: Any) -> None:
    if isinstance(value, dict):
        for key in value:
            if key == "stop_date":
                value[key] = "0000-00-00 00:00:00"
            else:
                blank_stop_dates(value[key])
    elif isinstance(value, list):
        for item in value:
            blank_stop_dates(item)


async def settle_without_dates(stack: Stack, check: Callable[[OrderingService], Any]) -> None:
    async with services_over(stack, NoPaidUntil(stack.sandbox.transport())) as services:
        ordering = services.ordering
        ordering.notifier = OutcomeNotifier(stack.storage, platforms=frozenset({"telegram"}), team=TEAM)
        await check(ordering)


async def test_a_number_without_dates_before_or_now_fails_at_the_window_end(stack: Stack) -> None:
    number = await placed_number(stack)
    await renewal_left_unknown(stack, "renew", number, stop_date_before="")

    async def check(ordering: OrderingService) -> None:
        intent = await stack.storage.intents.get("renew")
        assert intent is not None
        assert await ordering.settle(intent, final=False) is False
        assert await ordering.settle(intent, final=True) is True
        assert (await told(stack, "renew"))["outcome"] == "not_renewed"

    await settle_without_dates(stack, check)


async def test_a_paid_until_date_that_vanished_is_contested(stack: Stack) -> None:
    number = await placed_number(stack)
    await renewal_left_unknown(stack, "renew", number)
    renewal = await stack.storage.intents.get("renew")
    assert renewal is not None
    before = renewal.params["stop_date_before"]

    async def check(ordering: OrderingService) -> None:
        intent = await stack.storage.intents.get("renew")
        assert intent is not None
        assert await ordering.settle(intent, final=False) is True
        assert await intent_status(stack, "renew") == "contested"
        assert (await team_check(stack)).payload["params"]["reason"] == (
            f"paid-until moved from {before} to -, not by 1 month(s)"
        )

    await settle_without_dates(stack, check)


# -- one settling round --------------------------------------------------------------


async def test_one_round_looks_at_every_due_intent_and_skips_only_those_not_due_yet(stack: Stack) -> None:
    direction = await plain_direction(stack)
    first = await request_for(stack, direction, 0)
    await unknown_intent(
        stack, "a", IntentKind.ORDER, ALICE.user, first.to_params(), target=first.number.lstrip("+")
    )
    a = await stack.storage.intents.get("a")
    assert a is not None
    clock = FakeClock(a.updated_at)
    settler = Settler(stack.services.ordering, stack.storage, clock=clock)
    assert await settler.settle_due() == 1.0  # nothing on the account yet: look again in a second
    await lost_order(stack, "b", await request_for(stack, direction, 1), direction)
    await lost_order(stack, "c", await request_for(stack, direction, 2), direction)
    clock.now = a.updated_at + timedelta(seconds=0.5)  # "a" is not due; "b" and "c" are new
    await settler.settle_due()
    assert [await intent_status(stack, k) for k in ("a", "b", "c")] == ["unknown", "succeeded", "succeeded"]
    assert (settler.settled, settler.health()["checking"]) == (2, 1)


# -- recovery after a restart --------------------------------------------------------


def order_params(index: int) -> dict[str, str | int]:
    return {"number": f"1555010000{index}", "price": "5.00", "currency": "USD"}


async def settled_order(stack: Stack, key: str, index: int) -> None:
    storage = stack.storage
    await storage.intents.create(key, IntentKind.ORDER, BOB.user, order_params(index))
    await storage.intents.mark_sending(key)
    await storage.intents.mark_succeeded(key, {"number": f"1555010000{index}", "activated": 1, "reserved": 0})


async def test_recovery_counts_what_it_touched_and_tells_only_the_last_days_untold_outcomes(
    stack: Stack,
) -> None:
    notice = notifier(stack)
    storage = stack.storage
    ordering = stack.services.ordering
    await storage.intents.create("p1", IntentKind.ORDER, ALICE.user, order_params(1))
    await storage.intents.create("p2", IntentKind.PROLONG, ALICE.user, {**order_params(2), "months": 1})
    await storage.intents.create("s", IntentKind.ORDER, ALICE.user, order_params(3))
    await storage.intents.mark_sending("s")
    await settled_order(stack, "told", 4)
    told_intent = await storage.intents.get("told")
    assert told_intent is not None
    await notice.tell(told_intent, shown_now=False)
    await settled_order(stack, "untold", 5)
    await settled_order(stack, "old", 6)  # settled a day and a half ago: too late to tell now
    long_ago = encode_datetime(utc_now() - timedelta(hours=36))
    await stack.sqlite._db.execute("UPDATE intents SET updated_at = ? WHERE key = 'old'", (long_ago,))
    assert await ordering.recover() == 4  # two failed, one left for the settler, one told
    assert (await told(stack, "p1"))["outcome"] == "not_placed"
    assert (await told(stack, "p2"))["outcome"] == "not_renewed"
    assert await due_now(stack, "p1") and await due_now(stack, "p2")
    sending = await storage.intents.get("s")
    assert sending is not None
    assert (sending.status, sending.error) == (IntentStatus.UNKNOWN, "interrupted while sending")
    assert ordering.unknown_seen.is_set()
    assert (await told(stack, "untold"))["outcome"] == "ordered"
    assert await due_now(stack, "untold")
    assert await storage.alerts.get(outcome_key("old")) is None


class ReadsAlerts:
    """The alert store, noting which alerts are read (recovery runs every settler round)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.read: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def get(self, key: str) -> Any:
        self.read.append(key)
        return await self._inner.get(key)


async def test_a_dead_replicas_untold_outcomes_are_told_once_each_and_a_live_ones_are_left_to_it(
    stack: Stack,
) -> None:
    notifier(stack)
    ordering = stack.services.ordering
    # Settled by replicas that died before telling: "old" long ago, "dead" a while ago.
    for key, index, ago in (("old", 1, 300), ("dead", 2, 120)):
        await settled_order(stack, key, index)
        await stack.sqlite._db.execute(
            "UPDATE intents SET updated_at = ? WHERE key = ?",
            (encode_datetime(utc_now() - timedelta(seconds=ago)), key),
        )
    await settled_order(stack, "live", 3)  # settled just now: its replica is telling it right now
    alerts = ReadsAlerts(stack.storage.alerts)
    stack.storage.alerts = alerts

    # A round taking over what was left more than 200 s ago: only "old".
    assert await ordering.recover(left_before=utc_now() - timedelta(seconds=200)) == 1
    assert (await told(stack, "old"))["outcome"] == "ordered" and await due_now(stack, "old")
    for key in ("dead", "live"):
        assert await stack.storage.alerts.get(outcome_key(key)) is None
    # The next round's line is later: "dead" is taken now, although "old" (known told) comes first.
    alerts.read.clear()
    assert await ordering.recover(left_before=utc_now() - timedelta(seconds=60)) == 1
    assert (await told(stack, "dead"))["outcome"] == "ordered"
    assert await stack.storage.alerts.get(outcome_key("live")) is None
    assert outcome_key("old") not in alerts.read  # known to be told: the store is not asked again
    # Later rounds tell nothing twice and ask the store only about what was not told yet.
    alerts.read.clear()
    assert await ordering.recover(left_before=utc_now() - timedelta(seconds=60)) == 0
    assert alerts.read == []


async def test_heartbeat_rounds_read_only_recent_outcomes_and_every_half_orphan_after_a_whole_day(
    stack: Stack,
) -> None:
    notifier(stack)
    start = utc_now()
    clock = FakeClock(start)
    settler = Settler(stack.services.ordering, stack.storage, clock=clock, orphan_after=20.0)
    settler.recovered.set()
    await settler.settle_due()  # the first round reads the whole day (nothing yet)
    # Left untold by replicas that died; a heartbeat's round reads 2 x 20 + 60 = 100 s back.
    for key, index, ago in (("within", 1, 90), ("beyond", 2, 110)):
        await settled_order(stack, key, index)
        await stack.sqlite._db.execute(
            "UPDATE intents SET updated_at = ? WHERE key = ?",
            (encode_datetime(start + timedelta(seconds=5 - ago)), key),
        )
    clock.at(start, 5)  # a heartbeat's round: the recent outcomes only
    await settler.settle_due()
    assert (await told(stack, "within"))["outcome"] == "ordered"
    assert await stack.storage.alerts.get(outcome_key("beyond")) is None
    clock.at(start, 8)  # still less than half of orphan_after since the last whole look
    await settler.settle_due()
    assert await stack.storage.alerts.get(outcome_key("beyond")) is None
    clock.at(start, 10)  # half of orphan_after since the last whole look: the whole day again
    await settler.settle_due()
    assert (await told(stack, "beyond"))["outcome"] == "ordered"


# -- telling -------------------------------------------------------------------------


async def test_the_outbox_is_nudged_only_for_outcomes_nobody_saw_in_the_chat(stack: Stack) -> None:
    notice = notifier(stack)
    woken: list[str] = []
    notice.wake = lambda: woken.append("now")
    direction = await plain_direction(stack)
    shown = await request_for(stack, direction, 0)
    await stack.services.ordering.place_order(ALICE, "shown", shown, direction)
    alert = await stack.storage.alerts.get(outcome_key("shown"))
    assert alert is not None and alert.number == shown.number.lstrip("+")
    assert woken == []  # waits for the chat's acknowledgement instead
    await lost_order(stack, "lost", await request_for(stack, direction, 1), direction)
    await Settler(stack.services.ordering, stack.storage).settle_due()
    assert woken == ["now"]
    settled = await stack.storage.intents.get("lost")
    assert settled is not None
    await notice.tell(settled, shown_now=False)  # told already: nothing new to deliver
    assert woken == ["now"]


async def test_acknowledging_counts_each_shown_outcome_and_skips_ones_never_claimed(stack: Stack) -> None:
    notifier(stack)
    ordering = stack.services.ordering
    direction = await plain_direction(stack)
    await ordering.place_order(ALICE, "a", await request_for(stack, direction, 0), direction)
    await ordering.place_order(ALICE, "b", await request_for(stack, direction, 1), direction)
    assert await ordering.acknowledge(ALICE.user, ["refused-before-any-intent", "a", "b"]) == 2
    for key in ("a", "b"):
        [delivery] = await stack.storage.alerts.deliveries(outcome_key(key))
        assert delivery.status == DeliveryStatus.SENT
    assert await ordering.acknowledge(UserRef("terminal", "demo"), ["a"]) == 0  # no alerts reach it


# -- outcomes the store refused, written once it recovers ------------------------------


def read_only_after(db: Any, prefix: str) -> Callable[[str], Any]:
    async def hook(path: str) -> None:
        if path.startswith(prefix):
            await db.execute("PRAGMA query_only = ON")  # every write fails from now on

    return hook


async def test_a_renewal_the_store_refused_is_recorded_once_it_recovers_without_a_second_message(
    stack: Stack,
) -> None:
    number = await placed_number(stack)
    db = stack.sqlite._db
    woken: list[str] = []
    transport = AfterCall(stack.sandbox.transport(), read_only_after(db, "/v1/direct_numbers/prolong"))
    async with services_over(stack, transport) as services:
        ordering = services.ordering
        ordering.notifier = OutcomeNotifier(
            stack.storage, platforms=frozenset({"telegram"}), wake=lambda: woken.append("now")
        )
        outcome = await ordering.prolong(ALICE, "renew", number, 1)
        assert outcome.recorded is False
        settler = Settler(ordering, stack.storage, first_check=2.0)
        assert await settler.settle_due() == 2.0  # try the store again soon
        assert settler.health()["unrecorded"] == 1
        await db.execute("PRAGMA query_only = OFF")
        assert await settler.settle_due() == 30.0  # nothing left to do
        assert settler.health()["unrecorded"] == 0
    assert await intent_status(stack, "renew") == "succeeded"
    [delivery] = await stack.storage.alerts.deliveries(outcome_key("renew"))
    assert delivery.status == DeliveryStatus.SENT  # shown in the chat already: not sent again
    assert woken == []
    assert stack.sandbox.call_count("prolong") == 1


async def test_a_late_record_of_a_number_given_to_someone_else_meanwhile_goes_to_the_team(
    stack: Stack,
) -> None:
    direction = await plain_direction(stack)
    request = await request_for(stack, direction)
    digits = request.number.lstrip("+")
    db = stack.sqlite._db
    transport = AfterCall(stack.sandbox.transport(), read_only_after(db, "/v1/direct_numbers/order"))
    async with services_over(stack, transport) as services:
        ordering = services.ordering
        ordering.notifier = OutcomeNotifier(stack.storage, platforms=frozenset({"telegram"}), team=TEAM)
        assert (await ordering.place_order(ALICE, "k", request, direction)).recorded is False
        await db.execute("PRAGMA query_only = OFF")
        await stack.storage.ownership.claim_number(digits, BOB.user, assigned_by="operator")
        settler = Settler(ordering, stack.storage)
        assert await settler.settle_due() == 30.0
        assert settler.health()["unrecorded"] == 0 and settler.health()["ok"] is True
    assert await intent_status(stack, "k") == "contested"
    assert await stack.storage.ownership.owner_of_number(digits) == BOB.user
    assert (await team_check(stack)).payload["params"]["customer"] == "telegram:1001"


async def test_recovery_at_start_leaves_the_intents_this_process_opened_before_it_ran(stack: Stack) -> None:
    """The chats start before the settler and replay their kept updates at once: an order one of
    them is placing right now is not a crash's leftover, however the start-up tasks interleave.
    (With replicas, ``orphan_after`` already leaves every young intent alone.)"""
    notifier(stack)
    storage = stack.storage
    await storage.intents.create("left", IntentKind.ORDER, ALICE.user, order_params(1))  # the crash's
    settler = Settler(stack.services.ordering, storage)
    await storage.intents.create("live", IntentKind.ORDER, BOB.user, order_params(2))  # a replayed press
    await storage.intents.create("sent", IntentKind.ORDER, BOB.user, order_params(3))
    await storage.intents.mark_sending("sent")  # its call to Zadarma is on its way
    await settler.start()
    try:
        await asyncio.wait_for(settler.recovered.wait(), 10)
    finally:
        await settler.stop()
    assert await intent_status(stack, "left") == "failed"
    assert (await told(stack, "left"))["outcome"] == "not_placed"
    assert await intent_status(stack, "live") == "pending"
    assert await intent_status(stack, "sent") == "sending"
