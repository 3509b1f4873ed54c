"""Per-key request budget: a fixed window on the real monotonic clock.

Each key gets ``limit`` requests per window (60 s by default); the window
starts with the key's first request and the count resets when it ends. The
emulated clock is not involved, so advancing emulated days does not refill
the budget.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    """Outcome of one request against the budget, with the headers to send."""

    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int

    @property
    def headers(self) -> dict[str, str]:
        """``X-RateLimit-Limit``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset``."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_epoch),
        }


@dataclass
class _Window:
    started: float
    count: int = 0


class RateLimiter:
    """Fixed-window counter per key.

    ``monotonic`` and ``wall`` are injectable so tests can move time without
    sleeping; ``wall`` only turns the window end into a Unix epoch for
    ``X-RateLimit-Reset``.
    """

    def __init__(
        self,
        limit: int = 100,
        window_seconds: float = 60.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.limit = limit
        self.window_seconds = window_seconds
        self._monotonic = monotonic
        self._wall = wall
        self._windows: dict[str, _Window] = {}

    def _window(self, key: str, now: float) -> _Window:
        window = self._windows.get(key)
        if window is None or now >= window.started + self.window_seconds:
            window = _Window(started=now)
            self._windows[key] = window
        return window

    def _decision(self, window: _Window, now: float, allowed: bool) -> RateDecision:
        reset = self._wall() + (window.started + self.window_seconds - now)
        return RateDecision(allowed, self.limit, max(0, self.limit - window.count), math.ceil(reset))

    def hit(self, key: str) -> RateDecision:
        """Count one request for ``key``; ``allowed`` is false once the window is spent."""
        now = self._monotonic()
        window = self._window(key, now)
        if window.count >= self.limit:
            return self._decision(window, now, False)
        window.count += 1
        return self._decision(window, now, True)

    def peek(self, key: str) -> RateDecision:
        """The current state for ``key`` without counting a request."""
        now = self._monotonic()
        window = self._windows.get(key)
        if window is None or now >= window.started + self.window_seconds:
            window = _Window(started=now)
        return self._decision(window, now, window.count < self.limit)

    def reset(self) -> None:
        """Forget all windows."""
        self._windows.clear()
