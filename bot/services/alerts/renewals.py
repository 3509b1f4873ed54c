"""Which auto-renewals fall due soon and whether the balance covers them (pure).

Zadarma renews due numbers one by one, each charged from the balance, so a
renewal is covered when the balance pays for it *and* for every renewal due
before it. Fees in another currency than the balance are converted with the
given ``rates`` (one unit of that currency in balance-currency units); a fee
that cannot be converted is left out of the sums and reported as unpriced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from bot.services.alerts.snapshot import NumberState

PARKED = "parking"
RESERVED_PREFIX = "reserved_"


def base_status(status: str) -> str:
    """The status without the ``reserved_`` prefix (``reserved_checking`` -> ``checking``)."""
    return status[len(RESERVED_PREFIX) :] if status.startswith(RESERVED_PREFIX) else status


def is_reserved(status: str) -> bool:
    """Whether Zadarma holds the number pending payment (``reserved_on``, ``reserved_checking``, ...)."""
    return status.startswith(RESERVED_PREFIX)


def local_date(moment: datetime, zone: timezone) -> date:
    """The calendar day ``moment`` falls on in the account's zone."""
    return moment.astimezone(zone).date()


def days_window(now: datetime, zone: timezone, days: int) -> tuple[datetime, datetime | None]:
    """The instants bounding ``0 <= days_left(stop, now, zone) <= days``, as aware UTC.

    The first instant of ``now``'s day and the first of the day after the last
    (``None`` beyond the calendar): a stop date is inside exactly when it is at
    or after the first and before the second. A scan compares each number's stop
    date with these instead of working out its day.
    """
    today = local_date(now, zone)
    start = datetime.combine(today, time(), zone).astimezone(UTC)
    try:
        end: datetime | None = datetime.combine(today + timedelta(days=days + 1), time(), zone).astimezone(
            UTC
        )
    except OverflowError:
        end = None
    return start, end


def days_left(stop: datetime, now: datetime, zone: timezone) -> int:
    """Calendar days from ``now``'s day to ``stop``'s day, both on the account's calendar.

    0 means the number stops today (account time), 1 tomorrow; negative when
    the stop date has passed.
    """
    return (local_date(stop, zone) - local_date(now, zone)).days


@dataclass(frozen=True, slots=True)
class DueRenewal:
    """An auto-renewal falling due within the horizon.

    ``fee`` is the monthly fee in the balance currency (``None`` when it
    cannot be converted); ``needed`` is the sum of the converted fees of this
    and every earlier due renewal (``None`` for an unpriced one).
    """

    state: NumberState
    stop_date: datetime
    days_left: int
    fee: Decimal | None
    needed: Decimal | None


@dataclass(frozen=True, slots=True)
class RenewalOutlook:
    """The auto-renewals due within the horizon, soonest first, against the balance."""

    due: tuple[DueRenewal, ...]
    total: Decimal
    unpriced: Mapping[str, Decimal] = field(default_factory=dict)
    balance: Decimal | None = None
    currency: str = ""

    @property
    def at_risk(self) -> tuple[DueRenewal, ...]:
        """Due renewals the balance will not cover (in due order)."""
        if self.balance is None:
            return ()
        balance = self.balance
        return tuple(r for r in self.due if r.needed is not None and r.needed > balance)

    @property
    def low(self) -> bool:
        """True when the balance is known and smaller than the priced renewals due."""
        return self.balance is not None and self.total > self.balance


def convert(amount: Decimal, currency: str, to_currency: str, rates: Mapping[str, Decimal]) -> Decimal | None:
    """``amount`` in ``to_currency``; ``None`` when no rate is known (an empty currency counts as same)."""
    if not currency or currency == to_currency:
        return amount
    rate = rates.get(currency)
    return None if rate is None else amount * rate


def renewal_outlook(
    numbers: Iterable[NumberState],
    *,
    balance: Decimal | None,
    currency: str,
    now: datetime,
    zone: timezone,
    horizon_days: int,
    rates: Mapping[str, Decimal] | None = None,
) -> RenewalOutlook:
    """The auto-renewing, not parked numbers whose stop date is at most ``horizon_days`` days away."""
    rates = rates or {}
    today = local_date(now, zone)
    _, end = days_window(now, zone, horizon_days)
    candidates: list[tuple[datetime, str, NumberState, int]] = []
    for state in numbers:
        stop = state.stop_date
        if not state.autorenew or stop is None or (end is not None and stop >= end):
            continue
        if base_status(state.status) == PARKED:
            continue
        left = (local_date(stop, zone) - today).days
        if left <= horizon_days:
            candidates.append((stop, state.number, state, left))
    candidates.sort(key=lambda item: (item[0], item[1]))
    total = Decimal(0)
    unpriced: dict[str, Decimal] = {}
    due: list[DueRenewal] = []
    for stop, _, state, left in candidates:
        fee = convert(state.monthly_fee, state.currency, currency, rates)
        if fee is None:
            unpriced[state.currency] = unpriced.get(state.currency, Decimal(0)) + state.monthly_fee
            due.append(DueRenewal(state, stop, left, None, None))
            continue
        total += fee
        due.append(DueRenewal(state, stop, left, fee, total))
    return RenewalOutlook(tuple(due), total, unpriced, balance, currency)
