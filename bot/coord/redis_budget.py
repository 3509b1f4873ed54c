"""The Zadarma API budget of one account, shared by every replica through Redis.

The same rules as :class:`bot.zadarma.ratelimit.RateLimiter`, over one
sliding window that every process draws from:

- at most ``per_minute`` calls start in any window; a call of a given priority
  may only fill the window up to ``per_minute`` less its
  :func:`~bot.zadarma.ratelimit.reserve`, so background scans and browsing
  leave room for the calls that finish a customer's work, in every process;
- a 429 or ``X-RateLimit-Remaining: 0`` seen by any process blocks all of them
  until the reset the server named (at most one window);
- inside one process waiters are served by priority, then in arrival order.

Keys (after the prefix): ``budget:<fingerprint>:starts``, a sorted set of
call starts scored by Redis's own clock (so the replicas' clocks need not
agree), and ``budget:<fingerprint>:blocked``, the blocked-until time in
milliseconds. The fingerprint is a hash of the API key, never the key.

When Redis cannot be reached the process falls back to its own in-process
window (logged once per outage): calls go on, each replica within the full
budget, and the server's 429 still holds them back.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from redis.exceptions import RedisError

from bot.coord.redis_conn import RedisCoord, fingerprint
from bot.zadarma.ratelimit import (
    WINDOW_SECONDS,
    Priority,
    PriorityQueue,
    RateLimiter,
    RateLimitState,
    read_headers,
    reserve,
)

log = logging.getLogger("bot.coord.budget")

# Takes one slot if the window has room below ``capacity`` and nothing blocks; returns 0 then,
# else the milliseconds to wait. ARGV: window ms, capacity, member, take (1) or only look (0).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then
  return blocked - now
end
local count = redis.call('ZCARD', KEYS[1])
if count >= capacity then
  local leaving = redis.call('ZRANGE', KEYS[1], count - capacity, count - capacity, 'WITHSCORES')
  return math.max(1, tonumber(leaving[2]) + window - now)
end
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
end
return 0
"""

# Moves blocked-until to now + ARGV[1] ms unless it is already later.
_BLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + wait > current then
  redis.call('SET', KEYS[1], now + wait, 'PX', wait)
  return 1
end
return 0
"""


# Calls that may still start in the window (0 while blocked). ARGV: window ms, per minute.
_LEFT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then
  return 0
end
local used = redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[1]), '+inf')
return math.max(0, tonumber(ARGV[2]) - used)
"""


class RedisRateLimiter:
    """An :class:`~bot.zadarma.ratelimit.ApiBudget` whose window and 429 block are shared through Redis."""

    def __init__(
        self,
        coord: RedisCoord,
        api_key: str,
        per_minute: int = 100,
        *,
        window_seconds: float = WINDOW_SECONDS,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._window_ms = max(1, round(window_seconds * 1000))
        self._window = window_seconds
        name = fingerprint(api_key)
        self._starts_key = coord.key("budget", name, "starts")
        self._blocked_key = coord.key("budget", name, "blocked")
        self._take = coord.client.register_script(_TAKE)
        self._block = coord.client.register_script(_BLOCK)
        self._left = coord.client.register_script(_LEFT)
        self._wall = wall
        self._sleep = sleep
        self._fallback = RateLimiter(per_minute, wall=wall, sleep=sleep)
        self._degraded = False
        self._blocked_until = 0.0  # monotonic; this process's view, ahead of the shared write
        self._queue = PriorityQueue()
        self._writes: set[asyncio.Task[None]] = set()
        self.state = RateLimitState(None, None, None)

    def capacity(self, priority: int) -> int:
        """How much of the shared window a call of ``priority`` may fill."""
        return max(1, self.per_minute - math.floor(self.per_minute * reserve(priority)))

    async def delay(self, priority: int = Priority.FINISH) -> float:
        """Seconds before one more call of ``priority`` may start anywhere (0: now); takes nothing."""
        return await self._ask(priority, take=False)

    @property
    def waiting(self) -> int:
        """How many ``acquire`` calls of this process are queued."""
        return self._queue.waiting

    async def acquire(self, priority: int = Priority.FINISH) -> None:
        """Wait for a slot in the shared window, then take it; higher ``priority`` first."""
        await self._queue.wait_turn(priority, self._take_slot, self._sleep)

    async def _take_slot(self, priority: int) -> float:
        return await self._ask(priority, take=True)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the server's ``X-RateLimit-*`` headers into account; ``remaining=0`` blocks every replica."""
        state = read_headers(headers, self._wall())
        if state is None:
            return
        self.state = state
        if state.remaining == 0 and state.reset_at is not None:
            self.block_until(state.reset_at)

    def block_until(self, reset_at: float) -> None:
        """Start nothing, in any replica, before Unix time ``reset_at`` (capped at one window).

        Takes effect in this process at once; the shared write runs in the
        background (:meth:`flush` waits for it).
        """
        wait = min(max(0.0, reset_at - self._wall()), self._window)
        if wait <= 0:
            return
        self._blocked_until = max(self._blocked_until, time.monotonic() + wait)
        self._fallback.block_until(reset_at)
        self._spawn(self._share_block(max(1, math.ceil(wait * 1000))))

    async def flush(self) -> None:
        """Wait until the blocks noted so far are written to Redis."""
        while self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    async def budget_left(self) -> int:
        """Calls every replica together may still start in the current window (for metrics)."""
        if self._blocked_until > time.monotonic():
            return 0
        try:
            left = await self._left(
                keys=[self._starts_key, self._blocked_key], args=[self._window_ms, self.per_minute]
            )
        except (RedisError, OSError):
            return self._fallback.budget_left()
        return int(left)

    async def _ask(self, priority: int, *, take: bool) -> float:
        local = self._blocked_until - time.monotonic()
        if local > 0:
            return local
        try:
            waited_ms = await self._take(
                keys=[self._starts_key, self._blocked_key],
                args=[self._window_ms, self.capacity(priority), secrets.token_hex(8), int(take)],
            )
        except (RedisError, OSError) as exc:
            self._note_outage(exc)
            return self._fallback.take(priority) if take else self._fallback.delay(priority)
        self._note_recovery()
        # Redis's clock counts whole milliseconds: wake just after the slot frees.
        return 0.0 if int(waited_ms) <= 0 else int(waited_ms) / 1000 + 0.001

    async def _share_block(self, wait_ms: int) -> None:
        try:
            await self._block(keys=[self._blocked_key], args=[wait_ms])
        except (RedisError, OSError) as exc:
            self._note_outage(exc)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    def _note_outage(self, exc: BaseException) -> None:
        if not self._degraded:
            self._degraded = True
            log.warning(
                "Redis unreachable; the Zadarma budget is kept per process until it is back",
                extra={"error": type(exc).__name__},
            )

    def _note_recovery(self) -> None:
        if self._degraded:
            self._degraded = False
            log.info("Redis reachable again; the Zadarma budget is shared again")
