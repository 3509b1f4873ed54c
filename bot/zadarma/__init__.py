"""Zadarma API: signing, the typed async client, its errors and result models."""

from bot.zadarma.client import PRODUCTION_URL, SANDBOX_URL, ZadarmaClient
from bot.zadarma.errors import (
    ZadarmaAPIError,
    ZadarmaAuthError,
    ZadarmaError,
    ZadarmaMalformedResponse,
    ZadarmaRateLimited,
    ZadarmaTransportError,
)
from bot.zadarma.ratelimit import Priority, RateLimiter

__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "Priority",
    "RateLimiter",
    "ZadarmaAPIError",
    "ZadarmaAuthError",
    "ZadarmaClient",
    "ZadarmaError",
    "ZadarmaMalformedResponse",
    "ZadarmaRateLimited",
    "ZadarmaTransportError",
]
