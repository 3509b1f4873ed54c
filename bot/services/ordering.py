"""Money-spending operations, exactly once: ordering a number and prolonging one.

Each confirmation carries an idempotency key. The intent is written to the
database *before* the API call and moved to ``sending`` atomically, so a
second press, a retried update or a restarted bot finds the intent and never
sends the call again. When the call's outcome is unknown (timeout, dropped
connection, unreadable reply) the account itself is asked what happened
before anyone is told anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.services.actors import Actor
from bot.services.api_errors import to_service_error
from bot.services.catalog import CatalogService
from bot.services.errors import (
    ApiUnavailable,
    InsufficientBalance,
    NotYours,
    NumberGone,
    OutcomePending,
    ServiceError,
)
from bot.services.numbers import NumbersService
from bot.services.validation import months as valid_months
from bot.storage import Intent, IntentKind, IntentStatus, Storage
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.errors import ZadarmaAPIError, ZadarmaError
from bot.zadarma.models import Balance, Direction, DirectNumber
from bot.zadarma.parsing import DATE_FORMAT

log = logging.getLogger("bot.services.ordering")

PERIOD_MONTHS = {"month": 1, "3month": 3}


@dataclass(frozen=True)
class OrderRequest:
    """Everything one confirmed order needs; ``number``/``number_id`` name the exact free number."""

    direction_id: int
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
    """A placed order: the number and whether it is active yet."""

    number: str
    activated: bool
    reserved: bool
    repeated: bool = False  # True when this confirmation had already placed the order


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


class OrderingService:
    """Orders and prolongs numbers exactly once per confirmation."""

    def __init__(
        self, client: ZadarmaClient, storage: Storage, numbers: NumbersService, catalog: CatalogService
    ) -> None:
        self._client = client
        self._storage = storage
        self._numbers = numbers
        self._catalog = catalog

    # -- ordering ------------------------------------------------------------------

    async def place_order(
        self, actor: Actor, key: str, request: OrderRequest, direction: Direction
    ) -> OrderOutcome:
        """Place the order for ``key`` once; a repeated key returns (or reconciles) the first result."""
        existing = await self._storage.intents.get(key)
        if existing is not None:
            if existing.owner != actor.user and not actor.is_operator:
                raise NotYours(number=request.number)
            return await self._order_result_of(existing)
        price = order_price(direction, request.period)
        balance = await self._check_balance(price, direction.currency)
        intent, created = await self._storage.intents.create(
            key, IntentKind.ORDER, actor.user, request.to_params()
        )
        if not created:
            return await self._order_result_of(intent)
        if not await self._storage.intents.mark_sending(key):
            return await self._order_result_of(await self._require(key))
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
                await self._storage.intents.mark_unknown(key, str(exc))
                log.warning("order outcome unknown, reconciling", extra={"intent": key})
                return await self._order_result_of(await self._require(key))
            if _is_insufficient_funds(exc):
                await self._refused(actor, key, request, exc.message)
                balance = await self._balance_after_refusal(balance)
                raise InsufficientBalance(
                    price, balance.balance, direction.currency, balance_currency=balance.currency
                ) from exc
            if isinstance(exc, ZadarmaAPIError) and await self._is_gone(request):
                await self._refused(actor, key, request, "number_gone")
                raise NumberGone(number=request.number) from exc
            await self._refused(actor, key, request, exc.message)
            raise to_service_error(exc) from exc
        outcome = OrderOutcome(result.number, result.is_activated, result.is_reserved)
        await self._finish_order(intent, outcome)
        self._catalog.spent(price, direction.currency)
        self._catalog.taken(request.direction_id, request.number_id, result.number)
        if not request.autorenew:
            await self._disable_autorenew(result.number)
        return outcome

    async def _is_gone(self, request: OrderRequest) -> bool:
        """After a refusal: is the chosen number off the market? (Zadarma may word that refusal any way.)"""
        try:
            free = await self._catalog.free_numbers(request.direction_id, fresh=True)
        except ServiceError:
            return False
        return not any(n.id == request.number_id or n.number == request.number for n in free)

    async def _refused(self, actor: Actor, key: str, request: OrderRequest, reason: str) -> None:
        await self._storage.intents.mark_failed(key, reason)
        result = reason if reason == "number_gone" else f"failed: {reason}"
        await self._audit(actor, "order", request.number, request.to_params(), result)

    async def _disable_autorenew(self, number: str) -> None:
        try:
            await self._client.set_autoprolongation(number, False)
        except ZadarmaError as exc:
            log.warning("could not switch auto-renewal off after ordering", extra={"error": exc.message})

    async def _finish_order(self, intent: Intent, outcome: OrderOutcome) -> None:
        await self._storage.intents.mark_succeeded(
            intent.key,
            {
                "number": outcome.number,
                "activated": int(outcome.activated),
                "reserved": int(outcome.reserved),
            },
        )
        await self._storage.ownership.assign_number(outcome.number, intent.owner, assigned_by="order")
        await self._storage.audit.record(
            actor=f"{intent.owner.platform}:{intent.owner.user_id}",
            action="order",
            target=outcome.number,
            details=dict(intent.params),
            result="ok",
        )

    async def _order_result_of(self, intent: Intent) -> OrderOutcome:
        if intent.status == "succeeded" and intent.result is not None:
            res = intent.result
            return OrderOutcome(
                str(res["number"]), bool(res.get("activated")), bool(res.get("reserved")), repeated=True
            )
        if intent.status == "failed":
            if intent.error == "number_gone":
                raise NumberGone(number=intent.params.get("number"))
            raise ApiUnavailable(intent.error or "the order failed", retryable=False)
        if intent.status == "unknown":
            return await self._reconcile_order(intent)
        raise OutcomePending()

    async def _reconcile_order(self, intent: Intent) -> OrderOutcome:
        number = str(intent.params["number"])
        try:
            record = await self._find_number(number)
        except ZadarmaError as exc:
            raise OutcomePending(exc.message) from exc
        if record is None:
            await self._storage.intents.mark_failed(intent.key, "not placed")
            await self._audit_intent(intent, "order", number, "not placed (reconciled)")
            raise ApiUnavailable("The order did not go through; nothing was charged.", retryable=True)
        outcome = OrderOutcome(record.number, record.status == "on", record.status.startswith("reserved"))
        await self._finish_order(intent, outcome)
        self._catalog.forget_balance()
        return outcome

    async def _find_number(self, number: str) -> DirectNumber | None:
        for record in await self._client.direct_numbers():
            if record.number.lstrip("+") == number.lstrip("+"):
                return record
        return None

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

    async def prolong(self, actor: Actor, key: str, number: str, months: int) -> ProlongOutcome:
        """Prolong once for ``key``; a repeated key returns (or reconciles) the first result."""
        months = valid_months(months)
        existing = await self._storage.intents.get(key)
        if existing is not None:
            if existing.owner != actor.user and not actor.is_operator:
                raise NotYours(number=number)
            return await self._prolong_result_of(existing)
        record = await self._numbers.get(actor, number)
        params: dict[str, str | int] = {
            "number": record.number,
            "months": months,
            "stop_date_before": record.stop_date.strftime(DATE_FORMAT) if record.stop_date else "",
        }
        price = record.monthly_fee * months
        balance = await self._check_balance(price, record.currency)
        intent, created = await self._storage.intents.create(key, IntentKind.PROLONG, actor.user, params)
        if not created:
            return await self._prolong_result_of(intent)
        if not await self._storage.intents.mark_sending(key):
            return await self._prolong_result_of(await self._require(key))
        try:
            result = await self._client.prolong_number(record.number, months)
        except ZadarmaError as exc:
            if exc.outcome_unknown:
                await self._storage.intents.mark_unknown(key, str(exc))
                return await self._prolong_result_of(await self._require(key))
            await self._storage.intents.mark_failed(key, exc.message)
            await self._audit(actor, "prolong", record.number, params, f"failed: {exc.message}")
            if _is_insufficient_funds(exc):
                balance = await self._balance_after_refusal(balance)
                raise InsufficientBalance(
                    price, balance.balance, record.currency, balance_currency=balance.currency
                ) from exc
            raise to_service_error(exc) from exc
        outcome = ProlongOutcome(
            result.number, result.stop_date, result.total_paid.amount, result.total_paid.currency
        )
        await self._finish_prolong(intent, outcome)
        return outcome

    async def _finish_prolong(self, intent: Intent, outcome: ProlongOutcome) -> None:
        self._catalog.spent(outcome.amount, outcome.currency)
        stop = outcome.stop_date.strftime(DATE_FORMAT) if outcome.stop_date else ""
        await self._storage.intents.mark_succeeded(
            intent.key, {"stop_date": stop, "amount": str(outcome.amount), "currency": outcome.currency}
        )
        await self._audit_intent(intent, "prolong", outcome.number, f"ok: until {stop}")

    async def _prolong_result_of(self, intent: Intent) -> ProlongOutcome:
        number = str(intent.params["number"])
        if intent.status == "succeeded" and intent.result is not None:
            res = intent.result
            stop = str(res.get("stop_date") or "")
            return ProlongOutcome(
                number,
                datetime.strptime(stop, DATE_FORMAT) if stop else None,  # noqa: DTZ007 - account-local
                Decimal(str(res.get("amount", "0"))),
                str(res.get("currency", "")),
                repeated=True,
            )
        if intent.status == "failed":
            raise ApiUnavailable(intent.error or "the renewal failed", retryable=False)
        if intent.status == "unknown":
            return await self._reconcile_prolong(intent)
        raise OutcomePending()

    async def _reconcile_prolong(self, intent: Intent) -> ProlongOutcome:
        number = str(intent.params["number"])
        before = str(intent.params.get("stop_date_before") or "")
        try:
            record = await self._client.direct_number(number)
        except ZadarmaError as exc:
            raise OutcomePending(exc.message) from exc
        now_stop = record.stop_date.strftime(DATE_FORMAT) if record.stop_date else ""
        if now_stop and now_stop > before:
            amount = record.monthly_fee * int(intent.params["months"])
            outcome = ProlongOutcome(number, record.stop_date, amount, record.currency)
            await self._finish_prolong(intent, outcome)
            return outcome
        await self._storage.intents.mark_failed(intent.key, "not prolonged")
        await self._audit_intent(intent, "prolong", number, "not prolonged (reconciled)")
        raise ApiUnavailable("The renewal did not go through; nothing was charged.", retryable=True)

    # -- start-up ------------------------------------------------------------------

    async def reconcile_pending(self) -> int:
        """Settle intents left ``unknown`` or ``sending`` by a crash; returns how many were settled."""
        settled = 0
        for intent in await self._storage.intents.list_by_status(IntentStatus.PENDING):
            await self._storage.intents.mark_failed(intent.key, "interrupted before sending")
            settled += 1
        for status in (IntentStatus.UNKNOWN, IntentStatus.SENDING):
            for intent in await self._storage.intents.list_by_status(status):
                if status == IntentStatus.SENDING:
                    await self._storage.intents.mark_unknown(intent.key, "interrupted")
                    intent = await self._require(intent.key)
                try:
                    if intent.kind == "order":
                        await self._reconcile_order(intent)
                    else:
                        await self._reconcile_prolong(intent)
                except OutcomePending:
                    continue
                except ServiceError:
                    pass
                settled += 1
        return settled

    # -- helpers -------------------------------------------------------------------

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
                raise InsufficientBalance(price, balance.balance, currency, balance_currency=balance.currency)
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

    async def _audit(
        self, actor: Actor, action: str, target: str, details: dict[str, Any], result: str
    ) -> None:
        await self._storage.audit.record(
            actor=actor.label, action=action, target=target, details=details, result=result
        )

    async def _audit_intent(self, intent: Intent, action: str, target: str, result: str) -> None:
        await self._storage.audit.record(
            actor=f"{intent.owner.platform}:{intent.owner.user_id}",
            action=action,
            target=target,
            details=dict(intent.params),
            result=result,
        )


def _is_insufficient_funds(exc: ZadarmaError) -> bool:
    """Zadarma's refusal for a balance that does not cover the price."""
    text = exc.message.lower()
    return isinstance(exc, ZadarmaAPIError) and ("insufficient" in text or "not enough" in text)
