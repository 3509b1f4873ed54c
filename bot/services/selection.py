"""Selecting numbers for the team's lists (pure): filters, "expiring soon", "waiting for documents".

The team console (``/numbers list``, ``/numbers expiring``) and the Slack App
Home draw their lists from these rules, so they agree on what counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from bot.services.catalog import localised_country_name
from bot.services.types import DirectNumber, NumberStatus

STATUSES = frozenset(get_args(NumberStatus))
PENDING_STATUS = "pending"  # any status waiting for documents or their verification
WAITING_STATUSES = frozenset({"checking", "checking_upload", "reserved_checking", "reserved_checking_upload"})


@dataclass(frozen=True)
class NumberFilter:
    """What a list narrows to: a status (or ``pending``), digits contained, or a country."""

    kind: Literal["status", "digits", "country"]
    value: str


def parse_filter(raw: str) -> NumberFilter:
    """A list filter: a known status or ``pending``, digits (``+`` allowed), else a country."""
    value = raw.strip()
    low = value.lower()
    if low in STATUSES or low == PENDING_STATUS:
        return NumberFilter("status", low)
    digits = re.sub(r"[\s\-().]", "", value).lstrip("+")
    if digits.isdigit():
        return NumberFilter("digits", digits)
    return NumberFilter("country", value)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches(record: DirectNumber, number_filter: NumberFilter) -> bool:
    """Whether ``record`` passes the filter.

    A status matches exactly (``pending``: any status waiting for documents
    or their verification); digits match anywhere in the number; a country
    matches its English name (any part, accents ignored) or, for a
    two-letter code, the country that code names.
    """
    value = number_filter.value
    if number_filter.kind == "status":
        if value == PENDING_STATUS:
            return record.status in WAITING_STATUSES
        return record.status == value
    if number_filter.kind == "digits":
        return value in record.number.lstrip("+")
    country = _fold(record.country)
    wanted = _fold(value)
    if len(value) == 2 and value.isalpha():
        named = _fold(localised_country_name(value.upper(), "en", ""))
        if named and named == country:
            return True
    return bool(wanted) and wanted in country


def filtered(records: Iterable[DirectNumber], number_filter: NumberFilter | None) -> list[DirectNumber]:
    """The records passing the filter (all without one), order kept."""
    return [r for r in records if number_filter is None or matches(r, number_filter)]


def account_now() -> datetime:
    """The account's wall clock, naive like ``stop_date`` (UTC; hours do not matter for days)."""
    return datetime.now(UTC).replace(tzinfo=None)


def expiring(records: Iterable[DirectNumber], now: datetime, days: int) -> list[DirectNumber]:
    """Numbers not parked whose paid period ends within ``days`` of ``now``, soonest first.

    ``now`` is naive in the account's time (like ``stop_date``); a few hours
    of zone difference do not matter at the scale of days.
    """
    limit = now + timedelta(days=days)
    soon = [r for r in records if r.status != "parking" and r.stop_date is not None and r.stop_date <= limit]
    return sorted(soon, key=lambda r: (r.stop_date, r.number))


def waiting_for_documents(records: Iterable[DirectNumber]) -> list[DirectNumber]:
    """Numbers that wait for documents or for their verification."""
    return [r for r in records if r.status in WAITING_STATUSES]
