"""A small, JSON-serialisable picture of the account, as the scheduler last saw it.

The scheduler compares each scan's :class:`Snapshot` with the one it stored
before; the difference is what happened in between (a renewal, a parking, a
status change). Dates are aware UTC instants; the account's zone is kept as
a fixed UTC offset so that dates can be put back on the account's calendar.

A large account's snapshot holds 100,000 states, two of them at once during a
scan (the stored one and the new one), so states share their repeated values
(statuses, currencies, fees, cities, dates) and the stored text is written and
read without building the whole JSON tree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import msgspec

from bot.zadarma.models import AccountClock, Balance

_CHUNK = 2000
"""States serialised per ``json.dumps`` call when writing a snapshot."""


class NumberRecord(Protocol):
    """What a snapshot reads of a ``direct_numbers`` item (``DirectNumber`` and ``NumberBrief`` fit)."""

    @property
    def number(self) -> str:
        """The number, maybe with a leading ``+``."""
        ...

    @property
    def status(self) -> str:
        """Its status."""
        ...

    @property
    def description(self) -> str:
        """Its city or type."""
        ...

    @property
    def start_date(self) -> datetime | None:
        """Naive, in the account's zone."""
        ...

    @property
    def stop_date(self) -> datetime | None:
        """Naive, in the account's zone."""
        ...

    @property
    def monthly_fee(self) -> Decimal:
        """The monthly fee."""
        ...

    @property
    def currency(self) -> str:
        """The fee's currency."""
        ...

    @property
    def autorenew(self) -> bool:
        """Whether it renews itself."""
        ...


class _Shared:
    """Equal values met while building or reading one snapshot, kept once."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.fees: dict[str, Decimal] = {}

    def text(self, value: str) -> str:
        return self.texts.setdefault(value, value)

    def fee(self, value: Decimal) -> Decimal:
        return self.fees.setdefault(str(value), value)


def _utc(local: datetime | None, zone: timezone) -> datetime | None:
    """A naive account-local time as aware UTC (``None`` stays ``None``)."""
    if local is None:
        return None
    # what astimezone(UTC) gives for a fixed offset, at a fraction of the cost
    return (local - zone.utcoffset(None)).replace(tzinfo=UTC)


SNAPSHOT_VERSION = 2
"""Format version written into every snapshot: each number a row of indexes into tables of the
repeated texts and fees. Version 1 (an object per number) is still read; other versions are not."""


class SnapshotError(ValueError):
    """The stored text is not a snapshot this code can read."""


class NumberState(msgspec.Struct, frozen=True, gc=False):
    """One number as the scan saw it (immutable; a ``msgspec`` struct because a scan
    makes one per number, at a tenth of a frozen dataclass's cost).

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
    def from_record(cls, record: NumberRecord, zone: timezone, shared: _Shared | None = None) -> NumberState:
        """The state of one ``direct_numbers`` record, its dates (naive, in ``zone``) made UTC."""
        shared = shared or _Shared()
        return cls(
            number=record.number.lstrip("+"),
            status=shared.text(record.status),
            stop_date=_utc(record.stop_date, zone),
            autorenew=record.autorenew,
            monthly_fee=shared.fee(record.monthly_fee),
            currency=shared.text(record.currency),
            description=shared.text(record.description),
            start_date=_utc(record.start_date, zone),
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
    def from_json(cls, data: Any, shared: _Shared | None = None) -> NumberState:
        """Read :meth:`to_json`'s form; raises :class:`SnapshotError` when it is not that."""
        if not isinstance(data, dict):
            raise SnapshotError("a number entry is not an object")
        shared = shared or _Shared()
        try:
            fee = str(data["fee"])
            monthly_fee = shared.fees.get(fee)
            if monthly_fee is None:
                monthly_fee = shared.fees[fee] = Decimal(fee)
            return cls(
                number=str(data["n"]),
                status=shared.text(str(data["s"])),
                stop_date=_from_ts(data.get("stop")),
                autorenew=bool(data["ar"]),
                monthly_fee=monthly_fee,
                currency=shared.text(str(data.get("cur", ""))),
                description=shared.text(str(data.get("d", ""))),
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
            msgspec.structs.replace(state, rejection=reasons[state.number])
            if state.number in reasons
            else state
            for state in self.numbers
        )
        return replace(self, numbers=numbers)

    @classmethod
    def from_account(
        cls, records: Iterable[NumberRecord], clock: AccountClock, balance: Balance | None = None
    ) -> Snapshot:
        """The snapshot of one scan: ``direct_numbers``, ``info/timezone`` and ``info/balance``."""
        zone = clock.tzinfo
        shared = _Shared()
        return cls(
            taken_at=clock.now,
            utc_offset_minutes=int(clock.offset.total_seconds() // 60),
            numbers=tuple(NumberState.from_record(record, zone, shared) for record in records),
            balance=None if balance is None else balance.balance,
            balance_currency="" if balance is None else balance.currency,
        )

    def to_json(self) -> str:
        """The text to store (written a chunk of states at a time).

        Each number is a row ``[number, status, stop, autorenew, fee, currency,
        description, start]`` (plus ``rejection`` when there is one): dates as Unix
        seconds or null, autorenew 0/1, and the texts and fees as indexes into the
        ``texts`` and ``fees`` tables.
        """
        texts: dict[str, int] = {}
        fees: dict[str, int] = {}

        def row(state: NumberState) -> list[Any]:
            fee = str(state.monthly_fee)
            values: list[Any] = [
                state.number,
                texts.setdefault(state.status, len(texts)),
                _ts(state.stop_date),
                1 if state.autorenew else 0,
                fees.setdefault(fee, len(fees)),
                texts.setdefault(state.currency, len(texts)),
                texts.setdefault(state.description, len(texts)),
                _ts(state.start_date),
            ]
            if state.rejection:
                values.append(state.rejection)
            return values

        chunks = [
            _dumps([row(state) for state in self.numbers[start : start + _CHUNK]])[1:-1]
            for start in range(0, len(self.numbers), _CHUNK)
        ]
        head = _dumps(
            {
                "v": SNAPSHOT_VERSION,
                "taken_at": _ts(self.taken_at),
                "offset": self.utc_offset_minutes,
                "balance": None if self.balance is None else str(self.balance),
                "cur": self.balance_currency,
                "texts": list(texts),
                "fees": list(fees),
            }
        )
        return head[:-1] + ',"numbers":[' + ",".join(chunks) + "]}"

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        """Read :meth:`to_json`'s text; raises :class:`SnapshotError` when it is not a snapshot."""
        shared = _Shared()

        def entry(data: dict[str, Any]) -> Any:
            # read each number entry as soon as it is decoded: the dicts never pile up
            return NumberState.from_json(data, shared) if "n" in data and "v" not in data else data

        try:
            data = json.loads(text, object_hook=entry)
        except SnapshotError:
            raise
        except ValueError as exc:
            raise SnapshotError(f"not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("v") not in (1, SNAPSHOT_VERSION):
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
        if data["v"] == 1:
            states = tuple(
                item if isinstance(item, NumberState) else NumberState.from_json(item, shared)
                for item in numbers
            )
        else:
            states = _rows(numbers, data.get("texts"), data.get("fees"))
        return cls(
            taken_at=taken_at,
            utc_offset_minutes=offset,
            numbers=states,
            balance=balance,
            balance_currency=str(data.get("cur", "")),
        )


def _rows(rows: list[Any], texts: Any, fees: Any) -> tuple[NumberState, ...]:
    """The states of a version 2 snapshot (rows of indexes into ``texts`` and ``fees``)."""
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise SnapshotError("'texts' is not a list of texts")
    if not isinstance(fees, list):
        raise SnapshotError("'fees' is not a list")
    try:
        amounts = [Decimal(str(fee)) for fee in fees]
    except InvalidOperation:
        raise SnapshotError("unreadable fee") from None
    states: list[NumberState] = []
    rows.reverse()  # each row let go of as it is read
    while rows:
        row = rows.pop()
        if not isinstance(row, list) or len(row) not in (8, 9):
            raise SnapshotError("a number row is not a list of 8 or 9 values")
        number, status, stop, autorenew, fee, currency, description, start = row[:8]
        if not all(type(i) is int and i >= 0 for i in (status, fee, currency, description)):
            raise SnapshotError("a number row's indexes are not indexes")
        try:
            states.append(
                NumberState(
                    number=str(number),
                    status=texts[status],
                    stop_date=_from_ts(stop),
                    autorenew=bool(autorenew),
                    monthly_fee=amounts[fee],
                    currency=texts[currency],
                    description=texts[description],
                    start_date=_from_ts(start),
                    rejection=str(row[8]) if len(row) == 9 and row[8] else None,
                )
            )
        except IndexError:
            raise SnapshotError("a number row points outside the tables") from None
    return tuple(states)


def _dumps(value: Any) -> str:
    # ASCII: a text with one non-ASCII character would take 2-4 bytes for every character
    return json.dumps(value, separators=(",", ":"))


def _ts(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _from_ts(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SnapshotError(f"a time is not a number: {value!r}")
    return datetime.fromtimestamp(value, UTC)
