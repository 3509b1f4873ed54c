"""Argument checks shared by both storage implementations."""

from __future__ import annotations

import math
from collections.abc import Iterable

from bot.storage.codec import encode_json_object
from bot.storage.records import AlertClaim, IntentKind

CLAIM_CHUNK = 500
"""Alerts ``claim_many`` claims per transaction: bounds a statement's size and how long it holds locks."""


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


def claim_chunks(claims: Iterable[AlertClaim], size: int = CLAIM_CHUNK) -> list[list[tuple[AlertClaim, str]]]:
    """``claims`` with their payloads encoded, in lists of at most ``size``; a repeated key left out.

    The first claim of a key is kept. Every payload is encoded before this
    returns, so one that is not JSON raises ``TypeError`` before anything is stored.
    """
    chunks: list[list[tuple[AlertClaim, str]]] = []
    seen: set[str] = set()
    for claim in claims:
        encoded = encode_json_object(claim.payload)  # checked even when the key repeats, as claim() does
        if claim.key in seen:
            continue
        seen.add(claim.key)
        if not chunks or len(chunks[-1]) == size:
            chunks.append([])
        chunks[-1].append((claim, encoded))
    return chunks
