"""A small, JSON-serialisable picture of the account, as the scheduler last saw it.

The scheduler compares each scan's :class:`Snapshot` with the one it stored
before; the difference is what happened in between (a renewal, a parking, a
status change). Dates are aware UTC instants; the account's zone is kept as
a fixed UTC offset so that dates can be put back on the account's calendar.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.zadarma.models import AccountClock, Balance, DirectNumber

SNAPSHOT_VERSION = 1
"""Format version written into every snapshot; another version is ignored when loading."""


class SnapshotError(ValueError):
    """The stored text is not a snapshot this code can read."""


@dataclass(frozen=True, slots=True)
class NumberState:
    """One number as the scan saw it.

    ``stop_date``/``start_date`` are aware UTC (``None`` when the API gave
    none). ``rejection`` is why the number's documents were refused, filled in
    by the scan only for numbers that just entered ``checking_upload`` and
    whose document group reported a rejection (``None`` otherwise).
    """

    number: str
    status: str
    stop_date: datetime | None
    autorenew: bool
    monthly_fee: Decimal
    currency: str
    description: str = ""
    start_date: datetime | None = None
    rejection: str | None = None

    @classmethod
    def from_record(cls, record: DirectNumber, zone: timezone) -> NumberState:
        """The state of one ``direct_numbers`` record, its dates (naive, in ``zone``) made UTC."""
        stop, start = record.stop_date, record.start_date
        return cls(
            number=record.number.lstrip("+"),
            status=record.status,
            stop_date=stop.replace(tzinfo=zone).astimezone(UTC) if stop else None,
            autorenew=record.autorenew,
            monthly_fee=record.monthly_fee,
            currency=record.currency,
            description=record.description,
            start_date=start.replace(tzinfo=zone).astimezone(UTC) if start else None,
        )

    def to_json(self) -> dict[str, Any]:
        """Compact JSON form (dates as Unix seconds)."""
        data: dict[str, Any] = {
            "n": self.number,
            "s": self.status,
            "stop": _ts(self.stop_date),
            "ar": self.autorenew,
            "fee": str(self.monthly_fee),
            "cur": self.currency,
        }
        if self.description:
            data["d"] = self.description
        if self.start_date is not None:
            data["start"] = _ts(self.start_date)
        if self.rejection:
            data["rej"] = self.rejection
        return data

    @classmethod
    def from_json(cls, data: Any) -> NumberState:
        """Read :meth:`to_json`'s form; raises :class:`SnapshotError` when it is not that."""
        if not isinstance(data, dict):
            raise SnapshotError("a number entry is not an object")
        try:
            return cls(
                number=str(data["n"]),
                status=str(data["s"]),
                stop_date=_from_ts(data.get("stop")),
                autorenew=bool(data["ar"]),
                monthly_fee=Decimal(str(data["fee"])),
                currency=str(data.get("cur", "")),
                description=str(data.get("d", "")),
                start_date=_from_ts(data.get("start")),
                rejection=data.get("rej") or None,
            )
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise SnapshotError(f"unreadable number entry: {exc}") from None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The account's numbers (and balance) at ``taken_at`` on the account's clock.

    ``utc_offset_minutes`` is the account's zone; ``balance`` and
    ``balance_currency`` are what ``info/balance`` said in the same scan
    (``None``/empty when unknown).
    """

    taken_at: datetime
    utc_offset_minutes: int
    numbers: tuple[NumberState, ...]
    balance: Decimal | None = None
    balance_currency: str = ""

    def __post_init__(self) -> None:
        if self.taken_at.tzinfo is None:
            raise ValueError("Snapshot.taken_at must be timezone-aware")

    @property
    def zone(self) -> timezone:
        """The account's zone as a fixed offset."""
        return timezone(timedelta(minutes=self.utc_offset_minutes))

    def by_number(self) -> dict[str, NumberState]:
        """The numbers keyed by their digits."""
        return {state.number: state for state in self.numbers}

    def with_rejections(self, reasons: Mapping[str, str]) -> Snapshot:
        """A copy with ``rejection`` set on the numbers named in ``reasons``."""
        if not reasons:
            return self
        numbers = tuple(
            replace(state, rejection=reasons[state.number]) if state.number in reasons else state
            for state in self.numbers
        )
        return replace(self, numbers=numbers)

    @classmethod
    def from_account(
        cls, records: Iterable[DirectNumber], clock: AccountClock, balance: Balance | None = None
    ) -> Snapshot:
        """The snapshot of one scan: ``direct_numbers``, ``info/timezone`` and ``info/balance``."""
        zone = clock.tzinfo
        return cls(
            taken_at=clock.now,
            utc_offset_minutes=int(clock.offset.total_seconds() // 60),
            numbers=tuple(NumberState.from_record(record, zone) for record in records),
            balance=None if balance is None else balance.balance,
            balance_currency="" if balance is None else balance.currency,
        )

    def to_json(self) -> str:
        """The text to store."""
        return json.dumps(
            {
                "v": SNAPSHOT_VERSION,
                "taken_at": _ts(self.taken_at),
                "offset": self.utc_offset_minutes,
                "balance": None if self.balance is None else str(self.balance),
                "cur": self.balance_currency,
                "numbers": [state.to_json() for state in self.numbers],
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        """Read :meth:`to_json`'s text; raises :class:`SnapshotError` when it is not a snapshot."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SnapshotError(f"not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("v") != SNAPSHOT_VERSION:
            raise SnapshotError("not a snapshot of this version")
        numbers = data.get("numbers")
        if not isinstance(numbers, list):
            raise SnapshotError("'numbers' is not a list")
        try:
            taken_at = _from_ts(data["taken_at"])
            offset = int(data["offset"])
            balance = None if data.get("balance") is None else Decimal(str(data["balance"]))
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise SnapshotError(f"unreadable snapshot header: {exc}") from None
        if taken_at is None:
            raise SnapshotError("the snapshot has no time")
        return cls(
            taken_at=taken_at,
            utc_offset_minutes=offset,
            numbers=tuple(NumberState.from_json(item) for item in numbers),
            balance=balance,
            balance_currency=str(data.get("cur", "")),
        )


def _ts(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _from_ts(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SnapshotError(f"a time is not a number: {value!r}")
    return datetime.fromtimestamp(value, UTC)
