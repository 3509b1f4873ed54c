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
