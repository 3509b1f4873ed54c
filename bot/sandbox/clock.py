"""The emulator's own clock: real UTC time plus an offset moved by tests.

All instants are timezone-aware UTC datetimes truncated to whole seconds. The
account's zone is a fixed offset from UTC (``UTC+3``); API dates are rendered
as ``YYYY-MM-DD HH:MM:SS`` in that zone, and calendar-month arithmetic is done
on the wall clock of that zone.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def _real_now() -> datetime:
    return datetime.now(UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole calendar months, the day clamped to the month's end."""
    index = moment.month - 1 + months
    year = moment.year + index // 12
    month = index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class SandboxClock:
    """Emulated time: ``base() + offset``; ``advance`` moves the offset forward.

    ``start`` freezes the base at a fixed UTC instant (deterministic tests);
    without it the base is the real current UTC time.
    """

    def __init__(
        self,
        *,
        zone_hours: int = 0,
        start: datetime | None = None,
        now_func: Callable[[], datetime] | None = None,
    ) -> None:
        if not -12 <= zone_hours <= 14:
            raise ValueError("zone_hours must be between -12 and 14")
        if start is not None and start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self.zone_hours = zone_hours
        self.zone = timezone(timedelta(hours=zone_hours))
        self._start = start
        self._now_func = now_func or _real_now
        self._offset = timedelta(0)

    @property
    def offset(self) -> timedelta:
        """How far the emulated clock has been moved ahead of its base."""
        return self._offset

    def now(self) -> datetime:
        """The current emulated instant (UTC, whole seconds)."""
        base = self._start if self._start is not None else self._now_func()
        return (base.astimezone(UTC) + self._offset).replace(microsecond=0)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (never backward)."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self._offset += delta

    def reset(self) -> None:
        """Back to zero offset."""
        self._offset = timedelta(0)

    @property
    def timezone_name(self) -> str:
        """The zone as the API names it: ``UTC+0``, ``UTC+3``, ``UTC-5``."""
        sign = "-" if self.zone_hours < 0 else "+"
        return f"UTC{sign}{abs(self.zone_hours)}"

    def format(self, moment: datetime) -> str:
        """``moment`` as ``YYYY-MM-DD HH:MM:SS`` in the account zone."""
        return moment.astimezone(self.zone).strftime(DATE_FORMAT)

    def add_months(self, moment: datetime, months: int) -> datetime:
        """Calendar months added on the account zone's wall clock; result in UTC."""
        return add_months(moment.astimezone(self.zone), months).astimezone(UTC)
