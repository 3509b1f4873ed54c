"""Turning Zadarma client errors into service errors with readable messages."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import TypeVar

from bot.services.errors import ApiUnavailable
from bot.zadarma.errors import (
    ZadarmaAPIError,
    ZadarmaAuthError,
    ZadarmaError,
    ZadarmaMalformedResponse,
    ZadarmaRateLimited,
    ZadarmaTransportError,
)

T = TypeVar("T")

PAYMENT_REQUIRED = 402
# How Zadarma and its documentation word a balance that does not cover a charge
# ("Not enough money on your account" in the OpenAPI file), in the languages its
# messages come in. A hint only: the ordering service also checks the balance.
_SHORT_BALANCE_MARKERS = (
    "insufficient",
    "not enough money",
    "not enough funds",
    "brak środków",
    "niewystarczając",
    "недостаточно средств",
    "недостатньо коштів",
    "no hay saldo",
    "saldo insuficiente",
)


def says_short_balance(exc: ZadarmaError) -> bool:
    """Whether Zadarma's refusal itself says the balance is short (HTTP 402 or its known wording).

    Not the only evidence: a refusal in other words is recognised by the
    balance the ordering service reads right after it.
    """
    if not isinstance(exc, ZadarmaAPIError) or isinstance(exc, ZadarmaAuthError | ZadarmaRateLimited):
        return False
    if exc.status_code == PAYMENT_REQUIRED:
        return True
    text = exc.message.casefold()
    return any(marker in text for marker in _SHORT_BALANCE_MARKERS)


def to_service_error(exc: ZadarmaError) -> ApiUnavailable:
    """A readable :class:`ApiUnavailable` for a client error (never leaks credentials)."""
    if isinstance(exc, ZadarmaRateLimited):
        wait = max(1, int((exc.reset_at - datetime.now(UTC)).total_seconds()))
        return ApiUnavailable(f"Zadarma is busy; try again in {wait} s.", retryable=True)
    if isinstance(exc, ZadarmaAuthError):
        return ApiUnavailable("The bot's Zadarma credentials were refused.", retryable=False)
    if isinstance(exc, ZadarmaAPIError):
        return ApiUnavailable(exc.message, retryable=exc.status_code >= 500)
    if isinstance(exc, ZadarmaTransportError):
        return ApiUnavailable("Zadarma could not be reached.", retryable=True)
    if isinstance(exc, ZadarmaMalformedResponse):
        return ApiUnavailable("Zadarma sent an unreadable reply.", retryable=True)
    return ApiUnavailable(exc.message, retryable=True)


async def api(call: Awaitable[T]) -> T:
    """Await a client call, re-raising its failure as :class:`ApiUnavailable`."""
    try:
        return await call
    except ZadarmaError as exc:
        raise to_service_error(exc) from exc
