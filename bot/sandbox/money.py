"""Money arithmetic for the emulator: Decimal amounts rounded to cents.

The account is kept in :data:`ACCOUNT_CURRENCY`; fees priced in another
currency are converted with the fixed :data:`RATES_TO_USD` before they are
charged, so results are reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

ACCOUNT_CURRENCY = "USD"
CENT = Decimal("0.01")

#: How many US dollars one unit of each currency is worth (fixed, for reproducibility).
RATES_TO_USD: Mapping[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "PLN": Decimal("0.25"),
}


def to_money(value: Decimal | int | str) -> Decimal:
    """Round ``value`` to cents (half up)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def convert(amount: Decimal, from_currency: str, to_currency: str = ACCOUNT_CURRENCY) -> Decimal:
    """Convert ``amount`` between two known currencies, rounded to cents."""
    if from_currency == to_currency:
        return to_money(amount)
    try:
        in_usd = amount * RATES_TO_USD[from_currency]
        return to_money(in_usd / RATES_TO_USD[to_currency])
    except KeyError as exc:
        raise ValueError(f"unknown currency {exc.args[0]!r}") from exc


def as_number(amount: Decimal) -> float:
    """A cent-rounded amount as a JSON number (the API sends numbers, not strings)."""
    return float(to_money(amount))


def format_amount(amount: Decimal, currency: str) -> str:
    """Human-readable amount for error messages, e.g. ``12.50 USD``."""
    return f"{to_money(amount)} {currency}"
