"""Argument checks shared by both storage implementations."""

from __future__ import annotations

import math

from bot.storage.records import IntentKind


def check_limit(limit: int) -> int:
    """Return ``limit`` if it is a positive int, else raise ``ValueError``."""
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    return limit


def check_ttl(ttl_seconds: float) -> float:
    """Return ``ttl_seconds`` if it is a positive finite number, else raise ``ValueError``."""
    if not math.isfinite(ttl_seconds) or ttl_seconds <= 0:
        raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
    return ttl_seconds


def check_intent_kind(kind: str) -> IntentKind:
    """Return ``kind`` as an :class:`IntentKind`; raise ``ValueError`` naming the valid kinds."""
    try:
        return IntentKind(kind)
    except ValueError:
        valid = ", ".join(k.value for k in IntentKind)
        raise ValueError(f"unknown intent kind {kind!r}; expected one of: {valid}") from None


def check_revision(expected_revision: int | None) -> int | None:
    """Return ``expected_revision`` if it is ``None`` or >= 0, else raise ``ValueError``."""
    if expected_revision is not None and expected_revision < 0:
        raise ValueError(f"expected_revision must be >= 0 or None, got {expected_revision}")
    return expected_revision
