"""Money-spending operations, exactly once: ordering a number and prolonging one.

Each confirmation carries an idempotency key. The intent is written to the
database *before* the API call, with the evidence that will later prove what
this call did (was the number on the account or owned here; the paid-until
date before a renewal), and moved to ``sending`` atomically, so a second
press, a retried update or a restarted bot finds the intent and never sends
the call again. At most one active intent exists per number.

When the call's outcome is unknown (timeout, dropped connection, unreadable
reply) the intent stays ``unknown``: nobody is told "done" or "failed" until
evidence settles it. :meth:`OrderingService.settle` looks once; the
:class:`~bot.services.settlement.Settler` calls it with backoff over a window
long enough for a late request to land, and only at the window's end may the
absence of a change count as "it did not happen". A number on the account
that another customer owns here is never given to this one: that
contradiction goes to the operators. Whoever settles an intent, the person
who confirmed it is told through :class:`~bot.services.outcomes.OutcomeNotifier`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from bot.coord.in_hand import InHand, WorkView, intent_key, taken_over
from bot.services.actors import Actor
from bot.services.api_errors import says_short_balance, to_service_error
from bot.services.catalog import CatalogService
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
from bot.services.failpoints import crash_point
from bot.services.numbers import NumbersService
from bot.services.outcomes import (
    FAIL_INTERRUPTED,
    FAIL_NOT_PLACED,
    FAIL_NOT_RENEWED,
    FAIL_NUMBER_GONE,
    FAIL_ON_ACCOUNT,
    OutcomeNotifier,
)
from bot.services.validation import months as valid_months
from bot.storage import Intent, IntentKind, IntentStatus, Storage, TargetBusyError, UserRef, utc_now
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.errors import ZadarmaAPIError, ZadarmaAuthError, ZadarmaError, ZadarmaRateLimited
from bot.zadarma.models import Balance, Direction, DirectNumber
from bot.zadarma.parsing import DATE_FORMAT
from bot.zadarma.ratelimit import Priority

log = logging.getLogger("bot.services.ordering")

PERIOD_MONTHS = {"month": 1, "3month": 3}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class OrderRequest:
    """Everything one confirmed order needs; ``number``/``number_id`` name the exact free number."""

    direction_id: int | str  # as the API gives it (``3001`` or ``ru495``)
    number_id: str
    number: str
    documents_group_id: int = 0
    period: str = "month"
    autorenew: bool = True
    receive_sms: bool | None = None
    purpose: str | None = None

    def to_params(self) -> dict[str, str | int]:
        """The intent's stored parameters."""
        params: dict[str, str | int] = {
            "direction_id": self.direction_id,
            "number_id": self.number_id,
            "number": self.number,
            "documents_group_id": self.documents_group_id,
            "period": self.period,
            "autorenew": int(self.autorenew),
        }
        if self.receive_sms is not None:
            params["receive_sms"] = int(self.receive_sms)
        if self.purpose:
            params["purpose"] = self.purpose
        return params


@dataclass(frozen=True)
class OrderOutcome:
    """A placed order: the number and whether it is active yet.

    ``reserved``: Zadarma holds the number until the balance is topped up
    (nothing charged yet); ``needed`` is then how much the balance is short,
    in ``needed_currency``, when the price and the balance share a currency
    (``None`` otherwise: only Zadarma knows its rate).
    """

    number: str
    activated: bool
    reserved: bool
    repeated: bool = False  # True when this confirmation had already placed the order
    recorded: bool = True  # False when the store failed: kept in memory and written when it recovers
    needed: Decimal | None = None
    needed_currency: str = ""


@dataclass(frozen=True)
class ProlongQuote:
    """The price of prolonging a number and where its stop date would land."""

    number: str
    months: int
    amount: Decimal
    currency: str
    stop_date: datetime | None
    new_stop_date: datetime | None
    balance: Decimal
    balance_currency: str

    @property
    def affordable(self) -> bool | None:
        """False when the balance is known (same currency) not to cover it; None when unknown."""
        if self.currency != self.balance_currency:
            return None
        return self.balance >= self.amount


@dataclass(frozen=True)
class ProlongOutcome:
    """A done prolongation."""

    number: str
    stop_date: datetime | None
    amount: Decimal
    currency: str
    repeated: bool = False
    recorded: bool = True


def order_price(direction: Direction, period: str) -> Decimal:
    """Connect fee plus the monthly fee for the chosen period."""
    return direction.connect_fee + direction.monthly_fee * PERIOD_MONTHS.get(period, 1)


def add_months(moment: datetime, count: int) -> datetime:
    """``moment`` plus ``count`` calendar months, the day clamped to the month's end."""
    month_index = moment.month - 1 + count
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    days = [
        31,
        29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ]
    return moment.replace(year=year, month=month, day=min(moment.day, days[month - 1]))


@dataclass(frozen=True)
class _Unrecorded:
    """An outcome Zadarma confirmed that the store failed to take; written when it recovers."""

    intent: Intent
    order: OrderOutcome | None = None
    renewal: ProlongOutcome | None = None


def digits(number: str) -> str:
    """A number as intents, ownership and the audit keep it: without the ``+``."""
    return number.strip().lstrip("+")


class OrderingService:
    """Orders and prolongs numbers exactly once per confirmation, and settles unknown outcomes."""

    def __init__(
        self,
        client: ZadarmaClient,
        storage: Storage,
        numbers: NumbersService,
        catalog: CatalogService,
        *,
        notifier: OutcomeNotifier | None = None,
        settle_window: float = 120.0,
        in_hand: InHand | None = None,
    ) -> None:
        self._client = client
        self._storage = storage
        self._numbers = numbers
        self._catalog = catalog
        self.notifier = notifier or OutcomeNotifier(storage)
        self.settle_window = settle_window
        """Seconds after which an unchanged account proves that an unknown call did not happen."""
        self.unknown_seen = asyncio.Event()
        """Set whenever an outcome becomes unknown (the settler waits on it)."""
        self._unrecorded: dict[str, _Unrecorded] = {}
        self._told: set[str] = set()  # settled intents known to be told (recover() asks the store once)
        # What replicas must leave to this process: the intents it is placing, settling or keeping.
        self._in_hand = in_hand if in_hand is not None else InHand()
        self._in_hand.add_source(lambda: [intent_key(key) for key in self._unrecorded])

    # -- ordering ------------------------------------------------------------------

    async def place_order(
        self, actor: Actor, key: str, request: OrderRequest, direction: Direction
    ) -> OrderOutcome:
        """Place the order for ``key`` once; a repeated key returns the first result (or "pending")."""
        with self._in_hand.hold(intent_key(key)):
            return await self._place_order(actor, key, request, direction)

    async def _place_order(
        self, actor: Actor, key: str, request: OrderRequest, direction: Direction
    ) -> OrderOutcome:
        crash_point("order.pressed")
        kept = self._unrecorded.get(key)
        if kept is not None and kept.order is not None:
            self._check_owner(kept.intent, actor, request.number)
            return replace(kept.order, repeated=True)
        existing = await self._storage.intents.get(key)
        if existing is not None:
            self._check_owner(existing, actor, request.number)
            return self._order_result_of(existing)
        number = digits(request.number)
        price = order_price(direction, request.period)
        if await self._storage.ownership.owner_of_number(number) is not None:
            self._catalog.taken(request.direction_id, request.number_id, request.number)
            raise NumberGone(number=request.number)
        balance = await self._check_balance(price, direction.currency)
        # The lowest priority of the order's calls: under a short budget, customers who
        # already paid are told before new spending starts.
        if await self._find_number(number, Priority.START, fresh_error=True) is not None:
            self._catalog.taken(request.direction_id, request.number_id, request.number)
            raise NumberGone(number=request.number)
        # The evidence is the intent itself: it is only written once the number was
        # neither on the account nor owned here right before the call.
        params: dict[str, str | int] = {
            **request.to_params(),
            "price": str(price),
            "currency": direction.currency,
        }
        try:
            intent, created = await self._storage.intents.create(
                key, IntentKind.ORDER, actor.user, params, target=number
            )
        except TargetBusyError as exc:
            holder = await self._storage.intents.get(exc.holder)
            if holder is not None and holder.owner == actor.user:
                raise OutcomePending() from exc
            raise NumberGone(number=request.number) from exc
        if not created:
            self._check_owner(intent, actor, request.number)
            return self._order_result_of(intent)
        crash_point("order.created")
        if not await self._storage.intents.mark_sending(key):
            return self._order_result_of(await self._require(key))
        crash_point("order.sending")
        try:
            result = await self._client.order_number(
                direction_id=request.direction_id,
                documents_group_id=request.documents_group_id,
                number_id=request.number_id,
                purpose=request.purpose,
                receive_sms=request.receive_sms,
                period=request.period,
                autorenew_period="month" if request.autorenew else None,
            )
        except ZadarmaError as exc:
            if exc.outcome_unknown:
                await self._became_unknown(key, exc)
                raise OutcomePending() from exc
            await self._order_refused(intent, request, direction, price, balance, exc)
            raise AssertionError("unreachable") from exc  # _order_refused always raises
        crash_point("order.answered")
        outcome = OrderOutcome(result.number, result.is_activated, result.is_reserved)
        return await self._complete_order(intent, outcome, shown_now=True)

    async def _order_refused(
        self,
        intent: Intent,
        request: OrderRequest,
        direction: Direction,
        price: Decimal,
        balance: Balance,
        exc: ZadarmaError,
    ) -> None:
        """Zadarma answered no: record why, tell, and raise the matching service error."""
        short = await self._short_balance(exc, price, direction.currency, balance)
        if short is not None:
            await self._fail(intent, "order", "insufficient balance", shown_now=True)
            raise InsufficientBalance(
                price, short.balance, direction.currency, balance_currency=short.currency
            ) from exc
        if _is_refusal(exc) and await self._is_gone(request, exc):
            self._catalog.taken(request.direction_id, request.number_id, request.number)
            await self._fail(intent, "order", FAIL_NUMBER_GONE, shown_now=True)
            raise NumberGone(number=request.number) from exc
        await self._fail(intent, "order", exc.message, shown_now=True)
        raise to_service_error(exc) from exc

    async def _short_balance(
        self, exc: ZadarmaError, price: Decimal, currency: str, cached: Balance
    ) -> Balance | None:
        """After a refusal: the fresh balance when the refusal was for a short balance, else None.

        A short balance is recognised by the refusal itself (HTTP 402 or
        Zadarma's known wording, :func:`~bot.services.api_errors.says_short_balance`)
        or, whatever its words, by the balance read right after it: in the
        price's currency and below the price.
        """
        if not _is_refusal(exc):
            return None
        said = says_short_balance(exc)
        fresh = await self._balance_after_refusal(cached)
        if said or (fresh.currency == currency and fresh.balance < price):
            return fresh
        return None

    async def _is_gone(self, request: OrderRequest, exc: ZadarmaError) -> bool:
        """After a refusal: is the chosen number off the market?

        A refusal that says so (:func:`_says_taken`) is enough. Otherwise one
        ``available`` call asks with the number's own digits as the mask, so a
        capped or shuffled list cannot hide a number that is still free.
        """
        if _says_taken(exc):
            return True
        mask = digits(request.number)
        try:
            free = await self._catalog.free_numbers(request.direction_id, mask, fresh=True)
        except ServiceError:
            return False
        return not any(n.id == request.number_id or digits(n.number) == digits(request.number) for n in free)

    async def _complete_order(
        self, intent: Intent, outcome: OrderOutcome, *, shown_now: bool
    ) -> OrderOutcome:
        """Zadarma placed this intent's order: owner, options, record, caches, telling."""
        try:
            return await self._record_order(intent, outcome, shown_now=shown_now)
        except OutcomeContested:
            raise
        except Exception:
            if not shown_now:
                raise  # settling in the background: the settler tries again
            log.exception("the order went through but could not be recorded; kept until the store recovers")
            self._unrecorded[intent.key] = _Unrecorded(intent, order=outcome)
            self.unknown_seen.set()
            return replace(outcome, recorded=False)

    async def _record_order(self, intent: Intent, outcome: OrderOutcome, *, shown_now: bool) -> OrderOutcome:
        number = digits(outcome.number)
        owner = await self._storage.ownership.claim_number(number, intent.owner, assigned_by="order")
        if owner != intent.owner:
            reason = f"placed for {_label(intent.owner)}, but {_label(owner)} owns the number here"
            await self._contest(intent, "order", reason, shown_now=shown_now)
            raise OutcomeContested(number=outcome.number)
        autorenew = "on"
        if not int(intent.params["autorenew"]):  # every order intent holds its options (to_params)
            autorenew = await self._switch_autorenew_off(intent, outcome.number)
        if outcome.reserved:
            outcome = await self._with_shortfall(intent, outcome)
        result: dict[str, str | int] = {
            "number": outcome.number,
            "activated": int(outcome.activated),
            "reserved": int(outcome.reserved),
            "autorenew": autorenew,
        }
        if outcome.needed is not None:
            result.update(needed=str(outcome.needed), needed_currency=outcome.needed_currency)
        if await self._storage.intents.mark_succeeded(intent.key, result):
            crash_point("order.recorded")
            settled = await self._require(intent.key)
            await self._audit_intent(intent, "order", number, "ok: reserved" if outcome.reserved else "ok")
            await self.notifier.tell(settled, shown_now=shown_now)
            crash_point("order.queued")
            if outcome.reserved:
                await self.notifier.alert_reserved(settled)
            price, currency = _price_of(intent)
            if shown_now and price is not None and not outcome.reserved:
                self._catalog.spent(price, currency)
            else:
                self._catalog.forget_balance()
        self._catalog.taken(intent.params["direction_id"], str(intent.params["number_id"]), outcome.number)
        self._unrecorded.pop(intent.key, None)
        return outcome

    async def _with_shortfall(self, intent: Intent, outcome: OrderOutcome) -> OrderOutcome:
        """A reservation with how much the balance is short (when price and balance share a currency)."""
        price, currency = _price_of(intent)
        if price is None:
            return outcome
        try:
            balance = await self._catalog.balance(fresh=True)
        except ServiceError:
            return outcome
        if balance.currency != currency or balance.balance >= price:
            return outcome
        needed = (price - balance.balance).quantize(CENT)
        return replace(outcome, needed=needed, needed_currency=currency)

    async def _switch_autorenew_off(self, intent: Intent, number: str) -> str:
        """Apply the customer's "auto-renewal: off" (idempotent, so a repeat after a crash is harmless)."""
        try:
            await self._client.set_autoprolongation(number, False)
        except ZadarmaError as exc:
            log.warning("could not switch auto-renewal off after ordering", extra={"error": exc.message})
            await self.notifier.alert_team(intent, "order", "auto-renewal could not be switched off")
            return "failed"
        return "off"

    def _order_result_of(self, intent: Intent) -> OrderOutcome:
        if intent.status == IntentStatus.SUCCEEDED and intent.result is not None:
            res = intent.result
            needed = res.get("needed")
            return OrderOutcome(
                str(res["number"]),
                bool(res.get("activated")),
                bool(res.get("reserved")),
                repeated=True,
                needed=Decimal(str(needed)) if needed is not None else None,
                needed_currency=str(res.get("needed_currency", "")),
            )
        if intent.status == IntentStatus.FAILED:
            if intent.error in (FAIL_NUMBER_GONE, FAIL_ON_ACCOUNT):
                raise NumberGone(number=intent.params.get("number"))
            if intent.error in (FAIL_NOT_PLACED, FAIL_INTERRUPTED):
                raise ApiUnavailable("The order did not go through; nothing was charged.", retryable=True)
            raise ApiUnavailable(intent.error or "the order failed", retryable=False)
        if intent.status == IntentStatus.CONTESTED:
            raise OutcomeContested(number=intent.params.get("number"))
        raise OutcomePending()

    async def _find_number(
        self, number: str, priority: Priority, *, fresh_error: bool = False
    ) -> DirectNumber | None:
        """The account's record of ``number``, or None; ``fresh_error`` maps a failure to a service error."""
        try:
            return await self._client.find_direct_number(number, priority=priority)
        except ZadarmaError as exc:
            if fresh_error:
                raise to_service_error(exc) from exc
            raise

    # -- prolonging ----------------------------------------------------------------

    async def prolong_quote(self, actor: Actor, number: str, months: int) -> ProlongQuote:
        """What prolonging ``number`` by ``months`` costs and the resulting stop date."""
        months = valid_months(months)
        record = await self._numbers.get(actor, number)
        balance = await self._catalog.balance()
        amount = record.monthly_fee * months
        new_stop = add_months(record.stop_date, months) if record.stop_date else None
        return ProlongQuote(
            record.number,
            months,
            amount,
            record.currency,
            record.stop_date,
            new_stop,
            balance.balance,
            balance.currency,
        )

    async def renewal_in_progress(self, number: str) -> bool:
        """Whether a renewal of ``number`` is being sent or checked right now."""
        active = await self._storage.intents.active_for_target(digits(number))
        return active is not None and active.kind == IntentKind.PROLONG

    async def prolong(self, actor: Actor, key: str, number: str, months: int) -> ProlongOutcome:
        """Prolong once for ``key``; a repeated key returns the first result (or "pending")."""
        with self._in_hand.hold(intent_key(key)):
            return await self._prolong(actor, key, number, months)

    async def _prolong(self, actor: Actor, key: str, number: str, months: int) -> ProlongOutcome:
        crash_point("prolong.pressed")
        months = valid_months(months)
        kept = self._unrecorded.get(key)
        if kept is not None and kept.renewal is not None:
            self._check_owner(kept.intent, actor, number)
            return replace(kept.renewal, repeated=True)
        existing = await self._storage.intents.get(key)
        if existing is not None:
            self._check_owner(existing, actor, number)
            return self._prolong_result_of(existing)
        await self._numbers.ensure_access(actor, number)
        if await self.renewal_in_progress(number):
            raise RenewalInProgress(number=number)
        record = await self._numbers.get(actor, number)
        price = record.monthly_fee * months
        params: dict[str, str | int] = {
            "number": digits(record.number),
            "months": months,
            # the evidence: the paid-until date right before the call
            "stop_date_before": record.stop_date.strftime(DATE_FORMAT) if record.stop_date else "",
            "price": str(price),
            "currency": record.currency,
        }
        balance = await self._check_balance(price, record.currency)
        try:
            intent, created = await self._storage.intents.create(
                key, IntentKind.PROLONG, actor.user, params, target=digits(record.number)
            )
        except TargetBusyError as exc:
            raise RenewalInProgress(number=number) from exc
        if not created:
            self._check_owner(intent, actor, number)
            return self._prolong_result_of(intent)
        crash_point("prolong.created")
        if not await self._storage.intents.mark_sending(key):
            return self._prolong_result_of(await self._require(key))
        crash_point("prolong.sending")
        try:
            result = await self._client.prolong_number(record.number, months)
        except ZadarmaError as exc:
            if exc.outcome_unknown:
                await self._became_unknown(key, exc)
                raise OutcomePending() from exc
            short = await self._short_balance(exc, price, record.currency, balance)
            await self._fail(
                intent,
                "prolong",
                "insufficient balance" if short is not None else exc.message,
                shown_now=True,
            )
            if short is not None:
                raise InsufficientBalance(
                    price, short.balance, record.currency, balance_currency=short.currency
                ) from exc
            raise to_service_error(exc) from exc
        crash_point("prolong.answered")
        outcome = ProlongOutcome(
            result.number, result.stop_date, result.total_paid.amount, result.total_paid.currency
        )
        return await self._complete_prolong(intent, outcome, shown_now=True)

    async def _complete_prolong(
        self, intent: Intent, outcome: ProlongOutcome, *, shown_now: bool
    ) -> ProlongOutcome:
        try:
            return await self._record_prolong(intent, outcome, shown_now=shown_now)
        except Exception:
            if not shown_now:
                raise
            log.exception("the renewal went through but could not be recorded; kept until the store recovers")
            self._unrecorded[intent.key] = _Unrecorded(intent, renewal=outcome)
            self.unknown_seen.set()
            return replace(outcome, recorded=False)

    async def _record_prolong(
        self, intent: Intent, outcome: ProlongOutcome, *, shown_now: bool
    ) -> ProlongOutcome:
        stop = outcome.stop_date.strftime(DATE_FORMAT) if outcome.stop_date else ""
        result = {"stop_date": stop, "amount": str(outcome.amount), "currency": outcome.currency}
        if await self._storage.intents.mark_succeeded(intent.key, result):
            crash_point("prolong.recorded")
            await self._audit_intent(intent, "prolong", digits(outcome.number), f"ok: until {stop}")
            await self.notifier.tell(await self._require(intent.key), shown_now=shown_now)
            crash_point("prolong.queued")
            if shown_now:
                self._catalog.spent(outcome.amount, outcome.currency)
            else:
                self._catalog.forget_balance()
        self._unrecorded.pop(intent.key, None)
        return outcome

    def _prolong_result_of(self, intent: Intent) -> ProlongOutcome:
        number = str(intent.params["number"])
        if intent.status == IntentStatus.SUCCEEDED and intent.result is not None:
            res = intent.result
            stop = str(res.get("stop_date") or "")
            return ProlongOutcome(
                number,
                datetime.strptime(stop, DATE_FORMAT) if stop else None,  # noqa: DTZ007 - account-local
                Decimal(str(res["amount"])),  # _record_prolong writes both
                str(res["currency"]),
                repeated=True,
            )
        if intent.status == IntentStatus.FAILED:
            if intent.error in (FAIL_NOT_RENEWED, FAIL_INTERRUPTED):
                raise ApiUnavailable("The renewal did not go through; nothing was charged.", retryable=True)
            raise ApiUnavailable(intent.error or "the renewal failed", retryable=False)
        if intent.status == IntentStatus.CONTESTED:
            raise OutcomeContested(number=number)
        raise OutcomePending()

    # -- settling unknown outcomes -------------------------------------------------

    def window_ends(self, intent: Intent) -> datetime:
        """When the absence of evidence starts to count for ``intent`` (unknown since ``updated_at``)."""
        return intent.updated_at + timedelta(seconds=self.settle_window)

    async def settle(self, intent: Intent, *, final: bool) -> bool:
        """Look at the account once and settle ``intent`` if the evidence proves its outcome.

        A change that this call explains (the number on the account, the
        paid-until date moved by exactly the months paid) settles at once. The
        absence of a change settles only when ``final`` (the window is over). A
        contradiction goes to the operators. Returns whether the intent is
        settled now; raises :class:`~bot.zadarma.errors.ZadarmaError` when the
        account cannot be read (try again later).
        """
        if intent.status != IntentStatus.UNKNOWN:
            return not intent.active
        with self._in_hand.hold(intent_key(intent.key)):
            if intent.kind == IntentKind.ORDER:
                return await self._settle_order(intent, final=final)
            return await self._settle_prolong(intent, final=final)

    async def _settle_order(self, intent: Intent, *, final: bool) -> bool:
        number = str(intent.params["number"])
        record = await self._find_number(number, Priority.FINISH)
        if record is None:
            if not final:
                return False
            await self._fail(intent, "order", FAIL_NOT_PLACED, shown_now=False)
            return True
        outcome = OrderOutcome(record.number, record.status == "on", record.status.startswith("reserved"))
        with contextlib.suppress(OutcomeContested):
            await self._complete_order(intent, outcome, shown_now=False)
        return True

    async def _settle_prolong(self, intent: Intent, *, final: bool) -> bool:
        number = str(intent.params["number"])
        record = await self._client.direct_number(number)
        before_text = str(intent.params.get("stop_date_before") or "")
        now_text = record.stop_date.strftime(DATE_FORMAT) if record.stop_date else ""
        months = int(intent.params["months"])  # every renewal intent holds it (prolong writes it)
        if before_text and record.stop_date is not None:
            before = datetime.strptime(before_text, DATE_FORMAT)  # noqa: DTZ007 - account-local
            if record.stop_date == add_months(before, months):
                price, currency = _price_of(intent)
                outcome = ProlongOutcome(
                    record.number,
                    record.stop_date,
                    price if price is not None else record.monthly_fee * months,
                    currency or record.currency,
                )
                await self._complete_prolong(intent, outcome, shown_now=False)
                return True
        if now_text == before_text:
            if not final:
                return False
            await self._fail(intent, "prolong", FAIL_NOT_RENEWED, shown_now=False)
            return True
        reason = f"paid-until moved from {before_text or '-'} to {now_text or '-'}, not by {months} month(s)"
        await self._contest(intent, "renewal", reason, shown_now=False)
        return True

    async def flush_unrecorded(self) -> int:
        """Write the outcomes the store refused earlier; returns how many are still waiting."""
        for key, kept in list(self._unrecorded.items()):
            try:
                if kept.order is not None:
                    await self._record_order(kept.intent, kept.order, shown_now=True)
                elif kept.renewal is not None:
                    await self._record_prolong(kept.intent, kept.renewal, shown_now=True)
                await self.notifier.acknowledge(kept.intent.owner, [key])  # shown in the chat already
            except OutcomeContested:  # raised before _record_order drops the entry
                del self._unrecorded[key]
            except Exception as exc:  # the store is still failing: try again later
                log.warning("an outcome is still waiting to be recorded", extra={"error": type(exc).__name__})
        return len(self._unrecorded)

    @property
    def unrecorded(self) -> int:
        """Outcomes confirmed by Zadarma that the store has not taken yet."""
        return len(self._unrecorded)

    async def recover(
        self,
        *,
        left_before: datetime | None = None,
        view: WorkView | None = None,
        settled_since: datetime | None = None,
    ) -> int:
        """After a start: settle what a crash left open and make sure every outcome is told.

        ``pending`` intents were never sent: they failed, and their people are
        told so. ``sending`` ones may have reached Zadarma: they become
        ``unknown`` for the settler, which checks them over the window from now.
        Intents settled in the last day whose outcome was never claimed for
        telling (a crash right after settling) are told now. Returns how many
        intents it touched.

        With ``left_before`` (replicas sharing the store), only intents last
        changed before that time are touched: a younger one may be in the hands
        of a live replica right now, and is left to it. With ``view`` too, so
        are the intents no live replica holds and that changed before every
        live replica last listed its work (``WorkView.left``). ``settled_since``
        (default: a day ago) bounds the settled intents looked at for telling.
        """
        touched = 0

        def left(intent: Intent) -> bool:
            return taken_over(intent_key(intent.key), intent.updated_at, before=left_before, view=view)

        for intent in await self._storage.intents.list_by_status(IntentStatus.PENDING):
            if left(intent):
                await self._fail(intent, intent.kind.value, FAIL_INTERRUPTED, shown_now=False)
                touched += 1
        for intent in await self._storage.intents.list_by_status(IntentStatus.SENDING):
            if not left(intent):
                continue
            if await self._storage.intents.mark_unknown(intent.key, "interrupted while sending"):
                touched += 1
        day = utc_now() - timedelta(days=1)
        settled = await self._storage.intents.list_settled_since(max(day, settled_since or day))
        if settled_since is None or settled_since <= day:
            self._told &= {intent.key for intent in settled}  # forget what left the day
        for intent in settled:
            if intent.key in self._told or not left(intent):
                continue
            if not await self.notifier.is_told(intent):
                await self.notifier.tell(intent, shown_now=False)
                touched += 1
            self._told.add(intent.key)
        if await self._storage.intents.list_by_status(IntentStatus.UNKNOWN):
            self.unknown_seen.set()
        return touched

    async def reconcile_pending(self) -> int:
        """Start-up hook (kept name): :meth:`recover`."""
        return await self.recover()

    async def acknowledge(self, user: UserRef, intent_keys: list[str]) -> int:
        """The chat has shown these outcomes to ``user``: their outcome alerts are not sent."""
        return await self.notifier.acknowledge(user, intent_keys)

    # -- helpers -------------------------------------------------------------------

    def _check_owner(self, intent: Intent, actor: Actor, number: str) -> None:
        """Another customer presenting this key learns nothing and changes nothing."""
        if intent.owner != actor.user and not actor.is_operator:
            raise NotYours(number=number)

    async def _became_unknown(self, key: str, exc: ZadarmaError) -> None:
        await self._storage.intents.mark_unknown(key, str(exc))
        log.warning("money call outcome unknown; settling by evidence", extra={"intent": key})
        self.unknown_seen.set()

    async def _fail(self, intent: Intent, action: str, reason: str, *, shown_now: bool) -> None:
        """Record a failure (nothing was charged) and tell the person."""
        if not await self._storage.intents.mark_failed(intent.key, reason):
            return
        # under the number's digits, like the entries of a success (a "+" typed or not)
        target = digits(str(intent.params["number"]))
        await self._audit_intent(intent, action, target, f"failed: {reason}")
        await self.notifier.tell(await self._require(intent.key), shown_now=shown_now)

    async def _contest(self, intent: Intent, what: str, reason: str, *, shown_now: bool) -> None:
        """The evidence contradicts itself: an operator decides; nobody's ownership is changed."""
        if not await self._storage.intents.mark_contested(intent.key, reason):
            return
        await self.notifier.alert_team(intent, what, reason)
        await self.notifier.tell(await self._require(intent.key), shown_now=shown_now)

    async def _check_balance(self, price: Decimal, currency: str) -> Balance:
        """Refuse early when the balance is known (same currency) not to cover ``price``.

        A recent balance is enough to let an order through (Zadarma refuses what the
        account cannot pay); a refusal is only ever based on a fresh one. In another
        currency only Zadarma knows the rate, and its refusal is mapped instead.
        """
        balance = await self._catalog.balance()
        if balance.currency == currency and balance.balance < price:
            balance = await self._catalog.balance(fresh=True)
            if balance.currency == currency and balance.balance < price:
                raise InsufficientBalance(price, balance.balance, currency)
        return balance

    async def _balance_after_refusal(self, cached: Balance) -> Balance:
        """Zadarma said the balance is short, so the cached figure is stale: the real one if it can be had."""
        try:
            return await self._catalog.balance(fresh=True)
        except ServiceError:
            return cached

    async def _require(self, key: str) -> Intent:
        intent = await self._storage.intents.get(key)
        if intent is None:  # pragma: no cover - created above
            raise OutcomePending()
        return intent

    async def _audit_intent(self, intent: Intent, action: str, target: str, result: str) -> None:
        await self._storage.audit.record(
            actor=_label(intent.owner),
            action=action,
            target=target,
            details=dict(intent.params),
            result=result,
        )


def _label(user: UserRef) -> str:
    return f"{user.platform}:{user.user_id}"


def _price_of(intent: Intent) -> tuple[Decimal | None, str]:
    """What the confirmation said it would cost, as recorded with the intent."""
    currency = str(intent.params.get("currency", ""))
    try:
        return Decimal(str(intent.params["price"])), currency
    except (KeyError, ArithmeticError):  # not recorded (an older intent) or not a number
        return None, currency


def _is_refusal(exc: ZadarmaError) -> bool:
    """Zadarma looked at the request and said no (not a login, rate-limit or server failure)."""
    return (
        isinstance(exc, ZadarmaAPIError)
        and not isinstance(exc, ZadarmaAuthError | ZadarmaRateLimited)
        and exc.status_code < 500
    )


# How Zadarma words "this number cannot be ordered any more"; anything else is unclear.
_TAKEN_MARKERS = ("no longer available", "already taken", "already ordered", "is taken")


def _says_taken(exc: ZadarmaError) -> bool:
    """Whether the refusal itself says the chosen number is gone."""
    text = exc.message.casefold()
    return _is_refusal(exc) and any(marker in text for marker in _TAKEN_MARKERS)
