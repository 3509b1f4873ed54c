"""Client-side request budget for one Zadarma account.

A sliding one-minute window keeps the process under the account's limit
before the server has to refuse anything; the server's ``X-RateLimit-*``
headers and 429 replies then tighten it when other processes share the budget.

Waiters are served by priority, then in arrival order: a confirmed write
(:attr:`Priority.URGENT`) is not stuck behind a queue of browsing reads.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

WINDOW_SECONDS = 60.0


class Priority(IntEnum):
    """How soon a waiter is served; any ``int`` works, higher values go first.

    When the budget is short, what finishes work already started goes before what
    starts new work: a customer who has paid gets the number connected and shown
    before another customer's browsing is served. Lower priorities also leave part
    of the window to the higher ones (see :func:`reserve`), because a flow's later
    calls are only asked for once its earlier ones have been answered.
    """

    BROWSE = 0  # the start of an order: catalogue and free numbers
    START = 3  # the account check right before a confirmed order: new spending waits for paid customers
    NORMAL = 5  # other reads
    SPEND = 10  # orders and renewals the user confirmed
    URGENT = 15  # other writes: settings, SIP, uploads
    FINISH = 20  # a number's card, the last screen of most flows


# The share of each window a priority leaves to those above it.
_RESERVES = ((Priority.FINISH, 0.0), (Priority.URGENT, 0.15), (Priority.SPEND, 0.3), (Priority.NORMAL, 0.4))
_LOWEST_RESERVE = 0.5


def reserve(priority: int) -> float:
    """The share of the window that a call of ``priority`` may not use when the budget runs short."""
    for level, share in _RESERVES:
        if priority >= level:
            return share
    return _LOWEST_RESERVE


@dataclass(frozen=True)
class RateLimitState:
    """What the server said last about the budget."""

    limit: int | None
    remaining: int | None
    reset_at: float | None  # Unix time


def parse_reset(value: str | None, now: float) -> float | None:
    """``X-RateLimit-Reset`` as Unix time; accepts an epoch or seconds-from-now."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number > 1_000_000_000 else now + number


class PriorityQueue:
    """Callers waiting for a limiter's slot: higher priority first, then in arrival order."""

    def __init__(self) -> None:
        self._waiters: list[tuple[int, int, asyncio.Event]] = []
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        """How many callers are queued."""
        return len(self._waiters)

    async def wait_turn(
        self,
        priority: int,
        take: Callable[[int], float | Awaitable[float]],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        """Queue, and once at the head call ``take(priority)`` until it returns 0 (a slot taken).

        ``take`` returns the seconds to wait when no slot is free yet.
        """
        entry = (-int(priority), next(self._arrivals), asyncio.Event())
        heapq.heappush(self._waiters, entry)
        try:
            while True:
                if self._waiters[0] is not entry:
                    entry[2].clear()
                    await entry[2].wait()
                    continue
                wait = take(priority)
                if not isinstance(wait, (int, float)):
                    wait = await wait
                if wait <= 0:
                    return
                # Not woken early when a newcomer takes over as head: the newcomer has a
                # higher priority, so its own delay is no longer than this one; this waiter
                # re-checks whether it is still head when it wakes.
                await sleep(wait)
        finally:
            self._leave(entry)
            if self._waiters:
                self._waiters[0][2].set()

    def _leave(self, entry: tuple[int, int, asyncio.Event]) -> None:
        # A ``take`` that awaits (the shared budget asks Redis) lets a newcomer of higher
        # priority become head meanwhile: the entry leaving is then not always the head.
        if self._waiters and self._waiters[0] is entry:
            heapq.heappop(self._waiters)
        elif entry in self._waiters:
            self._waiters.remove(entry)
            heapq.heapify(self._waiters)


class RateLimiter:
    """Waits as needed so at most ``per_minute`` requests start in any 60 s.

    Waiters are served highest priority first, FIFO within a priority. Only the
    head of the queue sleeps for a slot; the others wait until they become head.
    """

    def __init__(
        self,
        per_minute: int = 100,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._blocked_until = 0.0  # monotonic
        # (-priority, arrival number, wake-up event); the smallest tuple is the head.
        self._queue = PriorityQueue()
        self.state = RateLimitState(None, None, None)

    def delay(self, priority: int = Priority.FINISH) -> float:
        """Seconds to wait before one more request of ``priority`` may start (0 when it may start now).

        A priority may fill the window up to ``per_minute`` less its :func:`reserve` (at least one).
        """
        now = self._clock()
        while self._starts and now - self._starts[0] >= WINDOW_SECONDS:
            self._starts.popleft()
        wait = max(0.0, self._blocked_until - now)
        capacity = max(1, self.per_minute - math.floor(self.per_minute * reserve(priority)))
        if len(self._starts) >= capacity:
            # The start that must leave the window before this one fits.
            wait = max(wait, self._starts[len(self._starts) - capacity] + WINDOW_SECONDS - now)
        return wait

    def budget_left(self) -> int:
        """Calls that may still start in the current window (for metrics).

        0 while blocked by the server; else ``per_minute`` less the starts of the
        last 60 s, capped by the server's ``remaining`` until its reset time.
        """
        now = self._clock()
        if self._blocked_until > now:
            return 0
        recent = sum(1 for start in self._starts if now - start < WINDOW_SECONDS)
        left = self.per_minute - recent
        state = self.state
        if state.remaining is not None and state.reset_at is not None and state.reset_at > self._wall():
            left = min(left, state.remaining)
        return max(0, left)

    @property
    def waiting(self) -> int:
        """How many ``acquire`` calls are queued."""
        return self._queue.waiting

    async def acquire(self, priority: int = Priority.FINISH) -> None:
        """Wait for a slot, then take it; higher ``priority`` first (the default may fill the window)."""
        await self._queue.wait_turn(priority, self.take, self._sleep)

    def take(self, priority: int = Priority.FINISH) -> float:
        """Take a slot now if ``priority`` may start (returns 0), else return :meth:`delay` and take nothing.

        Bypasses the queue of :meth:`acquire`; for callers that keep their own.
        """
        wait = self.delay(priority)
        if wait <= 0:
            self._starts.append(self._clock())
        return wait

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the server's ``X-RateLimit-*`` headers into account."""
        state = read_headers(headers, self._wall())
        if state is None:
            return
        self.state = state
        if state.remaining == 0 and state.reset_at is not None:
            self.block_until(state.reset_at)

    def block_until(self, reset_at: float) -> None:
        """Start nothing before Unix time ``reset_at`` (capped at one window)."""
        wait = min(max(0.0, reset_at - self._wall()), WINDOW_SECONDS)
        self._blocked_until = max(self._blocked_until, self._clock() + wait)


def read_headers(headers: Mapping[str, str], wall: float) -> RateLimitState | None:
    """The budget the server's ``X-RateLimit-*`` headers tell of (``None`` when they are absent)."""
    limit = _int(headers.get("x-ratelimit-limit"))
    remaining = _int(headers.get("x-ratelimit-remaining"))
    reset_at = parse_reset(headers.get("x-ratelimit-reset"), wall)
    if limit is None and remaining is None and reset_at is None:
        return None
    return RateLimitState(limit, remaining, reset_at)


class ApiBudget(Protocol):
    """What :class:`~bot.zadarma.client.ZadarmaClient` needs of a limiter.

    :class:`RateLimiter` keeps the budget in this process;
    :class:`bot.coord.redis_budget.RedisRateLimiter` shares it between replicas.
    """

    state: RateLimitState

    async def acquire(self, priority: int = Priority.FINISH) -> None:
        """Wait for a slot of ``priority``, then take it."""
        ...

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the server's ``X-RateLimit-*`` headers into account."""
        ...

    def block_until(self, reset_at: float) -> None:
        """Start nothing before Unix time ``reset_at`` (the server answered 429)."""
        ...

    def budget_left(self) -> int | Awaitable[int]:
        """Calls that may still start in the current window (for metrics); may be awaitable."""
        ...


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None
