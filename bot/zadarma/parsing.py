"""Lenient conversions for values as the API sends them.

The API writes booleans as ``"true"``/``"false"`` strings, ids sometimes as
strings, numbers sometimes as strings (and strings sometimes as numbers),
and dates as ``YYYY-MM-DD HH:MM:SS`` in the account's time zone. These
helpers turn them into proper types at the boundary; nothing deeper in the
code sees the wire forms. What to do with a value that cannot be read at all
is decided per model (see :mod:`bot.zadarma.models`).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator

_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no", ""}
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
FULL_WIDTH_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)
"""DATE_FORMAT with every field at full width: read by ``fromisoformat``, much faster than ``strptime``."""


def to_bool(value: Any) -> Any:
    """``"true"``/``"on"``/``1`` -> True, ``"false"``/``"off"``/``0`` -> False."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    return value


def to_decimal(value: Any) -> Any:
    """Money as :class:`Decimal`, from numbers or numeric strings."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | str):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            return value
        if not amount.is_finite():
            raise ValueError("an amount must be a finite number")
        return amount
    return value


def to_account_datetime(value: Any) -> Any:
    """``YYYY-MM-DD HH:MM:SS`` -> naive datetime in the account's zone (None for empty)."""
    if isinstance(value, str):
        text = value.strip()
        if not text or text.startswith("0000-00-00"):
            return None
        if FULL_WIDTH_DATE.fullmatch(text):
            return datetime.fromisoformat(text)
        return datetime.strptime(text, DATE_FORMAT)  # noqa: DTZ007 - account-local by contract
    return value


def to_str(value: Any) -> Any:
    """Ids, codes and text as strings whatever the wire type (a JSON number included)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float | Decimal):
        return str(value)
    return value


def empty_to_none(value: Any) -> Any:
    """Empty strings become None; numbers become strings."""
    if isinstance(value, str) and not value.strip():
        return None
    return to_str(value)


def to_days(value: Any) -> Any:
    """A connection time in days: ``3``, ``"3"``, ``""`` (0) or a range ``"1-3"`` (its upper end)."""
    if value is None:
        return 0
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0
        low, sep, high = text.partition("-")
        if sep and low.strip().isdigit() and high.strip().isdigit():
            return max(int(low), int(high))
        return text
    return value


def to_direction_id(value: Any) -> Any:
    """A direction id as the API gives it: a number, or text such as ``ru495``.

    The API writes the same numeric id as ``3753`` in one reply and ``"3753"`` in another, so
    digits become an ``int`` (one id compares equal wherever it came from); any other text is
    kept as it is. Empty text and booleans are not ids.
    """
    if isinstance(value, bool):
        raise ValueError("a direction id cannot be a boolean")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return int(text)
        if not text:
            raise ValueError("a direction id cannot be empty")
        return text
    return value


LenientBool = Annotated[bool, BeforeValidator(to_bool)]
Money = Annotated[Decimal, BeforeValidator(to_decimal)]
AccountDateTime = Annotated[datetime | None, BeforeValidator(to_account_datetime)]
StrId = Annotated[str, BeforeValidator(to_str)]
Text = Annotated[str, BeforeValidator(to_str)]
OptionalStr = Annotated[str | None, BeforeValidator(empty_to_none)]
Days = Annotated[int, BeforeValidator(to_days)]
#: A direction's id: usually a number, sometimes text (``ru495``); kept as the API gives it.
DirectionId = Annotated[int | str, BeforeValidator(to_direction_id)]
