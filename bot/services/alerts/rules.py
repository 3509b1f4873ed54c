"""The alert rule: which alerts are due, given the last snapshot and this one (pure).

:func:`due_alerts` has no I/O and no clock of its own; the scheduler feeds it
what it read from the account. Each draft carries a key naming the kind, the
number and the date or state it is about, so that claiming the key makes the
alert exactly once even when the rule is evaluated twice on the same data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Protocol

from bot.services.alerts.drafts import AlertDraft, AlertKind
from bot.services.alerts.renewals import (
    PARKED,
    RenewalOutlook,
    base_status,
    days_left,
    days_window,
    is_reserved,
    local_date,
    renewal_outlook,
)
from bot.services.alerts.snapshot import NumberState, Snapshot

PARKING_DAYS = 7
"""How long Zadarma keeps a parked number before it is gone."""
DIGEST_MAX_ITEMS = 50
"""How many numbers the digest lists (soonest first); ``more`` counts the rest."""

_PENDING = frozenset({"checking", "checking_upload"})
_NEEDS_UPLOAD = "checking_upload"
_CENT = Decimal("0.01")


class BalanceLike(Protocol):
    """What the rule needs of ``info/balance`` (:class:`bot.zadarma.models.Balance` fits)."""

    @property
    def balance(self) -> Decimal:
        """The amount."""
        ...

    @property
    def currency(self) -> str:
        """Its currency."""
        ...


def due_alerts(
    previous: Snapshot | None,
    current: Snapshot,
    balance: BalanceLike,
    now: datetime,
    lead_days: Iterable[int],
    *,
    digest_hour: int | None = None,
    rates: Mapping[str, Decimal] | None = None,
) -> list[AlertDraft]:
    """The alerts due now that were not yet due at ``previous``.

    ``now`` is the account's clock (aware); days are counted on the account's
    calendar (``current``'s zone): ``days_left`` is the number of calendar
    days from today to the stop date's day, both in the account's zone.

    * ``expiry_warning`` -- for a number with auto-renewal off and not parked:
      a lead time ``L`` applies when ``days_left <= L``. It fires for the
      *smallest* lead time crossed since ``previous``, i.e. the smallest ``L``
      with ``days_left <= L < previous_days_left`` (``previous_days_left`` is
      infinite when the number, its stop date or its auto-renewal differ in
      ``previous``, or there is no ``previous``). So a first scan with 2 days
      left sends the 3-day warning only, and a later scan sends nothing until
      the next lead time (1) is crossed. Key
      ``expiry:<number>:<stop day>:<lead>``.
    * ``renewal_at_risk`` -- an auto-renewing number due within
      ``max(lead_days)`` days whose renewal the balance will not cover (after
      every renewal due before it), and which was not at risk at
      ``previous``. Key ``renewal_at_risk:<number>:<stop day>``.
    * ``balance_low`` -- the auto-renewals due within ``max(lead_days)`` days
      cost more than the balance, and did not at ``previous``. Key
      ``balance_low:<today>``.
    * Changes since ``previous`` (none on a first scan, when nothing is known
      to have changed): ``renewed`` (the stop date moved forward; key
      ``renewed:<number>:<new stop day>``), ``parked`` (status became
      ``parking``; ``parked:<number>:<stop day>``), ``activated`` (``on`` from
      ``checking``/``checking_upload`` or from any ``reserved_`` status, e.g.
      after a top-up; never to ``reserved_on``; ``activated:<number>:<start day>``),
      ``documents_rejected`` or ``documents_needed`` (status became
      ``checking_upload``; rejected when the scan found a rejection reason for
      the number; ``<kind>:<number>:<time of previous>``). Otherwise ``reserved_``
      statuses count as their plain form.
    * ``digest`` -- when ``digest_hour`` is given, once per account-local day
      from that hour on: what stops within ``max(lead_days)`` days. Key
      ``digest:<today>``.

    Fees in another currency than the balance are converted with ``rates``
    (one unit of that currency in balance-currency units); fees that cannot be
    converted are left out of the sums and listed as ``unpriced``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    leads = tuple(sorted({int(d) for d in lead_days}))
    if not leads or leads[0] < 1:
        raise ValueError("lead_days must be positive whole days, at least one")
    rule = _Rule(previous, current, balance, now, leads, rates or {})
    drafts = rule.expiry_warnings()
    drafts += rule.renewal_risks()
    drafts += rule.changes()
    drafts += rule.balance_low()
    if digest_hour is not None:
        drafts += rule.digest(digest_hour)
    return drafts


@dataclass
class _Rule:
    previous: Snapshot | None
    current: Snapshot
    balance: BalanceLike
    now: datetime
    leads: tuple[int, ...]
    rates: Mapping[str, Decimal]

    def __post_init__(self) -> None:
        self.zone: timezone = self.current.zone
        self.horizon = self.leads[-1]
        # 0 <= days_left <= horizon exactly when start <= stop < end
        self.start, self.end = days_window(self.now, self.zone, self.horizon)
        self.before: dict[str, NumberState] = self.previous.by_number() if self.previous else {}
        self.outlook = renewal_outlook(
            self.current.numbers,
            balance=self.balance.balance,
            currency=self.balance.currency,
            now=self.now,
            zone=self.zone,
            horizon_days=self.horizon,
            rates=self.rates,
        )
        self.outlook_before: RenewalOutlook | None = None
        if self.previous is not None:
            self.outlook_before = renewal_outlook(
                self.previous.numbers,
                balance=self.previous.balance,
                currency=self.previous.balance_currency or self.balance.currency,
                now=self.previous.taken_at,
                zone=self.zone,
                horizon_days=self.horizon,
                rates=self.rates,
            )

    # -- helpers -------------------------------------------------------------------

    def within(self, stop: datetime) -> bool:
        """Whether ``0 <= days_left(stop) <= horizon``."""
        return self.start <= stop and (self.end is None or stop < self.end)

    def day(self, moment: datetime) -> str:
        return local_date(moment, self.zone).isoformat()

    def iso(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).isoformat()

    def common(self, state: NumberState) -> dict[str, str]:
        return {
            "number": state.number,
            "description": state.description,
            "status": state.status,
            "zone": zone_name(self.current.utc_offset_minutes),
        }

    def draft(self, kind: AlertKind, key: str, state: NumberState, **params: str) -> AlertDraft:
        return AlertDraft(key, kind, state.number, {**self.common(state), **params})

    # -- expiry warnings -----------------------------------------------------------

    def expiry_warnings(self) -> list[AlertDraft]:
        drafts: list[AlertDraft] = []
        for state in self.current.numbers:
            stop = state.stop_date
            if (
                state.autorenew
                or stop is None
                or not self.within(stop)
                or base_status(state.status) == PARKED
            ):
                continue
            left = days_left(stop, self.now, self.zone)
            left_before = self.days_left_before(state)
            crossed = [lead for lead in self.leads if left <= lead < left_before]
            if not crossed:
                continue
            lead = crossed[0]
            drafts.append(
                self.draft(
                    AlertKind.EXPIRY_WARNING,
                    f"expiry:{state.number}:{self.day(stop)}:{lead}",
                    state,
                    stop_date=self.iso(stop),
                    days_left=str(left),
                    lead_days=str(lead),
                    monthly_fee=money(state.monthly_fee),
                    currency=state.currency,
                )
            )
        return drafts

    def days_left_before(self, state: NumberState) -> float:
        """Days left at ``previous`` while warnings applied to the same stop date; else infinity."""
        before = self.before.get(state.number)
        if (
            self.previous is None
            or before is None
            or before.stop_date != state.stop_date
            or before.stop_date is None
            or before.autorenew
            or base_status(before.status) == PARKED
        ):
            return float("inf")
        return days_left(before.stop_date, self.previous.taken_at, self.zone)

    # -- money ---------------------------------------------------------------------

    def renewal_risks(self) -> list[AlertDraft]:
        seen: set[tuple[str, datetime]] = set()
        if self.outlook_before is not None:
            seen = {(r.state.number, r.stop_date) for r in self.outlook_before.at_risk}
        drafts: list[AlertDraft] = []
        for risk in self.outlook.at_risk:
            if (risk.state.number, risk.stop_date) in seen or risk.needed is None:
                continue
            drafts.append(
                self.draft(
                    AlertKind.RENEWAL_AT_RISK,
                    f"renewal_at_risk:{risk.state.number}:{self.day(risk.stop_date)}",
                    risk.state,
                    stop_date=self.iso(risk.stop_date),
                    days_left=str(risk.days_left),
                    monthly_fee=money(risk.state.monthly_fee),
                    fee_currency=risk.state.currency,
                    needed=money(risk.needed),
                    balance=money(self.balance.balance),
                    currency=self.balance.currency,
                )
            )
        return drafts

    def balance_low(self) -> list[AlertDraft]:
        outlook = self.outlook
        if not outlook.low or (self.outlook_before is not None and self.outlook_before.low):
            return []
        today = local_date(self.now, self.zone)
        params = {
            "balance": money(self.balance.balance),
            "currency": self.balance.currency,
            "needed": money(outlook.total),
            "due_count": str(len(outlook.due)),
            "shortfall": money(outlook.total - self.balance.balance),
            "through": (today + timedelta(days=self.horizon)).isoformat(),
            "within_days": str(self.horizon),
            "unpriced": unpriced_text(outlook.unpriced),
            "zone": zone_name(self.current.utc_offset_minutes),
        }
        return [AlertDraft(f"balance_low:{today.isoformat()}", AlertKind.BALANCE_LOW, None, params)]

    # -- changes since the previous scan -------------------------------------------

    def changes(self) -> list[AlertDraft]:
        if self.previous is None:
            return []
        since = self.previous.taken_at.astimezone(self.zone).strftime("%Y%m%dT%H%M%S")
        drafts: list[AlertDraft] = []
        for state in self.current.numbers:
            before = self.before.get(state.number)
            if before == state:
                continue  # every change below is a change of status or stop date
            status = base_status(state.status)
            status_before = base_status(before.status) if before is not None else None
            if before is not None:
                drafts += self.stop_changes(state, before, status, status_before)
                if (
                    status == "on"
                    and not is_reserved(state.status)
                    and (status_before in _PENDING or is_reserved(before.status))
                ):
                    started = self.day(state.start_date) if state.start_date else since
                    drafts.append(
                        self.draft(AlertKind.ACTIVATED, f"activated:{state.number}:{started}", state)
                    )
            if status == _NEEDS_UPLOAD and status_before != _NEEDS_UPLOAD:
                if state.rejection:
                    key = f"documents_rejected:{state.number}:{since}"
                    drafts.append(
                        self.draft(AlertKind.DOCUMENTS_REJECTED, key, state, reason=state.rejection)
                    )
                else:
                    key = f"documents_needed:{state.number}:{since}"
                    drafts.append(self.draft(AlertKind.DOCUMENTS_NEEDED, key, state))
        return drafts

    def stop_changes(
        self, state: NumberState, before: NumberState, status: str, status_before: str | None
    ) -> list[AlertDraft]:
        stop, stop_before = state.stop_date, before.stop_date
        drafts: list[AlertDraft] = []
        if stop is not None and stop_before is not None and stop > stop_before and status != PARKED:
            drafts.append(
                self.draft(
                    AlertKind.RENEWED,
                    f"renewed:{state.number}:{self.day(stop)}",
                    state,
                    stop_date=self.iso(stop),
                    previous_stop_date=self.iso(stop_before),
                    monthly_fee=money(state.monthly_fee),
                    currency=state.currency,
                    autorenew="on" if state.autorenew else "off",
                )
            )
        if status == PARKED and status_before != PARKED:
            parked_at = stop or self.now
            drafts.append(
                self.draft(
                    AlertKind.PARKED,
                    f"parked:{state.number}:{self.day(parked_at)}",
                    state,
                    stop_date=self.iso(parked_at),
                    parked_until=self.iso(parked_at + timedelta(days=PARKING_DAYS)),
                    kept_days=str(PARKING_DAYS),
                    cause="renewal_failed" if before.autorenew else "not_renewed",
                )
            )
        return drafts

    # -- digest --------------------------------------------------------------------

    def digest(self, hour: int) -> list[AlertDraft]:
        local_now = self.now.astimezone(self.zone)
        if local_now.hour < hour:
            return []
        if self.previous is not None:
            local_before = self.previous.taken_at.astimezone(self.zone)
            if local_before.date() == local_now.date() and local_before.hour >= hour:
                return []
        expiring = sorted(
            (
                (state.stop_date, state.number, state)
                for state in self.current.numbers
                if state.stop_date is not None
                and self.within(state.stop_date)
                and base_status(state.status) != PARKED
            ),
            key=lambda item: (item[0], item[1]),
        )
        items = [
            {
                "number": state.number,
                "stop_date": self.iso(stop),
                "days_left": days_left(stop, self.now, self.zone),
                "autorenew": state.autorenew,
                "status": state.status,
                "description": state.description,
            }
            for stop, _, state in expiring[:DIGEST_MAX_ITEMS]
        ]
        today = local_now.date().isoformat()
        params = {
            "date": today,
            "within_days": str(self.horizon),
            "count": str(len(expiring)),
            "items": json.dumps(items, ensure_ascii=False, separators=(",", ":")),
            "more": str(max(0, len(expiring) - DIGEST_MAX_ITEMS)),
            "parked": str(sum(1 for s in self.current.numbers if base_status(s.status) == PARKED)),
            "balance": money(self.balance.balance),
            "currency": self.balance.currency,
            "needed": money(self.outlook.total),
            "balance_ok": "false" if self.outlook.low else "true",
            "unpriced": unpriced_text(self.outlook.unpriced),
            "zone": zone_name(self.current.utc_offset_minutes),
        }
        return [AlertDraft(f"digest:{today}", AlertKind.DIGEST, None, params)]


def entering_upload(previous: Snapshot | None, current: Snapshot) -> list[str]:
    """Numbers whose status just became ``checking_upload`` (none on a first scan).

    These are the only numbers whose rejection reason the scan looks up.
    """
    if previous is None:
        return []
    before = previous.by_number()
    entered = []
    for state in current.numbers:
        if base_status(state.status) != _NEEDS_UPLOAD:
            continue
        old = before.get(state.number)
        if old is None or base_status(old.status) != _NEEDS_UPLOAD:
            entered.append(state.number)
    return entered


def money(amount: Decimal) -> str:
    """An amount with two decimals (``4`` -> ``4.00``)."""
    return str(amount.quantize(_CENT))


def unpriced_text(unpriced: Mapping[str, Decimal]) -> str:
    """``EUR 3.00, PLN 25.00`` for fees that could not be converted (empty when none)."""
    return ", ".join(f"{currency} {money(amount)}" for currency, amount in sorted(unpriced.items()))


def zone_name(offset_minutes: int) -> str:
    """``UTC+3``, ``UTC-5``, ``UTC+5:30``, ``UTC+0``."""
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")
