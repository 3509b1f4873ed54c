"""Conversions between Python values and the text the storage keeps.

Datetimes are stored as fixed-width UTC ISO-8601 strings with microseconds
(``2026-12-01T08:00:00.000000+00:00``), so that comparing the strings orders
them like the instants they name. Dictionaries are stored as JSON objects.
Both implementations pass every value through these functions, so a value
the SQLite store would reject (a naive datetime, a non-JSON dict) is rejected
by the in-memory store too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` converted to UTC; raise ``ValueError`` if it is naive.

    Microseconds are kept, so ``ensure_utc(x) == decode_datetime(encode_datetime(x))``.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()!r}: storage needs timezone-aware datetimes")
    return value.astimezone(UTC)


def encode_datetime(value: datetime) -> str:
    """Encode an aware datetime as a sortable UTC ISO string."""
    return ensure_utc(value).isoformat(timespec="microseconds")


def decode_datetime(text: str) -> datetime:
    """Decode a string written by :func:`encode_datetime` into an aware UTC datetime."""
    return ensure_utc(datetime.fromisoformat(text))


def encode_optional_datetime(value: datetime | None) -> str | None:
    """Like :func:`encode_datetime`, passing ``None`` through."""
    return None if value is None else encode_datetime(value)


def decode_optional_datetime(text: str | None) -> datetime | None:
    """Like :func:`decode_datetime`, passing ``None`` through."""
    return None if text is None else decode_datetime(text)


def encode_json_object(value: dict[str, Any]) -> str:
    """Encode a dict as compact JSON; raise ``TypeError`` if it is not a JSON object."""
    if not isinstance(value, dict):
        raise TypeError(f"expected a dict, got {type(value).__name__}")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def decode_json_object(text: str) -> dict[str, Any]:
    """Decode JSON text written by :func:`encode_json_object`."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("stored JSON is not an object")
    return value


def copy_json_object(value: dict[str, Any]) -> dict[str, Any]:
    """Return a deep copy of ``value`` as it would come back from storage."""
    return decode_json_object(encode_json_object(value))
