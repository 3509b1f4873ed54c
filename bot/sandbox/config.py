"""Configuration of one emulator instance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.sandbox.catalog import DEFAULT_SEED

DEFAULT_KEY = "sandbox-key"
DEFAULT_SECRET = "sandbox-secret"  # noqa: S105 - a published demo credential, not a secret


@dataclass(frozen=True)
class SandboxConfig:
    """Settings for :class:`bot.sandbox.Sandbox`.

    ``key``/``secret`` are the demo API credentials the emulator accepts.
    ``start_time`` (timezone-aware) freezes the emulated clock's base at that
    instant, for deterministic tests; by default the base is the real UTC time.
    ``verification_days`` is how long, in emulated days, an uploaded document
    waits before it is verified (or rejected). ``realistic`` varies every reply
    the way real APIs do (see :mod:`bot.sandbox.realistic`).
    ``mixed_currencies`` keeps the catalogue's own currencies (PLN, EUR, GBP)
    beside the USD account instead of pricing every direction in USD.
    ``reserve_when_short`` answers an order the balance does not cover with a
    reservation (``is_reserved: "true"``, status ``reserved_*``) instead of a
    refusal; the number is charged and activated when the balance is topped up.
    """

    key: str = DEFAULT_KEY
    secret: str = DEFAULT_SECRET
    balance: Decimal = Decimal("100.00")
    rate_limit: int = 100
    rate_window_seconds: float = 60.0
    seed: int = DEFAULT_SEED
    timezone_hours: int = 0
    verification_days: float = 1.0
    start_time: datetime | None = None
    fault_seed: int = 0
    realistic: bool = False
    mixed_currencies: bool = False
    reserve_when_short: bool = False
