"""The clock the storage uses to stamp ``created_at``/``updated_at``.

A clock is any zero-argument callable returning an aware ``datetime``; the
composition root passes the real one, tests pass a controllable one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""A source of the current time; must return timezone-aware datetimes."""


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)
