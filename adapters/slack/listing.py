"""Selecting numbers for lists (pure): filters, "expiring soon", "waiting for documents"."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from adapters.slack.commands import PENDING_STATUS, NumberFilter
from bot.services.catalog import localised_country_name
from bot.services.types import DirectNumber

WAITING_STATUSES = frozenset({"checking", "checking_upload", "reserved_checking", "reserved_checking_upload"})


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
