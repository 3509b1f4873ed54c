"""What this process shares with the other replicas, chosen once at start-up by the composition root.

:func:`open_shared` gives a :class:`Shared`: without a Redis URL everything
stays in this process, exactly as a single bot always worked (the store's
dedup keys and leases, in-process locks, the in-process API budget); with one,
the Redis versions from the ``bot.coord.redis_*`` modules.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.coord.in_hand import InHand
from bot.coord.locks import KeyLocks, LocalLocks
from bot.zadarma.ratelimit import ApiBudget, RateLimiter

if TYPE_CHECKING:
    from bot.coord.redis_conn import RedisCoord
    from bot.coord.redis_roster import RedisRoster
    from bot.storage import Storage

PROBE_TIMEOUT = 2.0
PROBE_REUSE = 1.0


@dataclass
class Shared:
    """The locks, budget, dedup and leases of this process: its own, or Redis's when :attr:`coord` is set.

    :attr:`in_hand` lists the work this process is doing; with Redis, :attr:`roster` publishes it
    and tells the takeover what the live replicas hold (:mod:`bot.coord.in_hand`).
    """

    coord: RedisCoord | None = None
    conversation_locks: KeyLocks = field(default_factory=LocalLocks)
    update_locks: KeyLocks = field(default_factory=LocalLocks)
    in_hand: InHand = field(default_factory=InHand)
    roster: RedisRoster | None = None
    _last_probe: tuple[float, dict[str, Any]] | None = None

    @property
    def redis(self) -> bool:
        """Whether the replicas share through Redis."""
        return self.coord is not None

    def limiter(self, api_key: str, per_minute: int) -> ApiBudget:
        """The Zadarma API budget of the account ``api_key`` (shared between replicas with Redis)."""
        if self.coord is None:
            return RateLimiter(per_minute)
        from bot.coord.redis_budget import RedisRateLimiter

        return RedisRateLimiter(self.coord, api_key, per_minute)

    def share_storage(self, storage: Storage) -> None:
        """With Redis, have ``storage`` keep its dedup keys and leases there (its other data stay put)."""
        if self.coord is None:
            return
        from bot.coord.redis_store import RedisDedup, RedisLeases

        storage.dedup = RedisDedup(self.coord)
        storage.leases = RedisLeases(self.coord)

    async def probe(self) -> dict[str, Any]:
        """``/healthz``: whether Redis answers a PING (required when configured); reused for a second."""
        if self.coord is None:
            return {"ok": True, "required": False, "configured": False}
        now = time.monotonic()
        if self._last_probe is not None and now - self._last_probe[0] < PROBE_REUSE:
            return self._last_probe[1]
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                await self.coord.ping()
            state: dict[str, Any] = {"ok": True, "required": True, "ping_ms": _ms_since(now)}
        except Exception as exc:  # any failure to answer is the fact to report
            state = {"ok": False, "required": True, "error": type(exc).__name__}
        self._last_probe = (time.monotonic(), state)
        return state


@asynccontextmanager
async def open_shared(
    redis_url: str = "", prefix: str = "zadarma-bot:", *, heartbeat: float = 5.0
) -> AsyncIterator[Shared]:
    """The :class:`Shared` for ``redis_url`` (empty: this process only); closes the connection on exit.

    With Redis, the roster publishes this process's work in hand every ``heartbeat`` seconds
    from here until exit, when it withdraws it.
    """
    if not redis_url:
        yield Shared()
        return
    from bot.coord.redis_conn import RedisCoord
    from bot.coord.redis_locks import RedisLocks
    from bot.coord.redis_roster import RedisRoster

    coord = RedisCoord.from_url(redis_url, prefix)
    in_hand = InHand()
    roster = RedisRoster(coord, in_hand, heartbeat=heartbeat)
    try:
        await roster.start()
        try:
            yield Shared(
                coord,
                conversation_locks=RedisLocks(coord, "conversation"),
                # A user's update waits for their earlier one however long another replica takes
                # (its calls may queue for the budget), as in one process; giving up would only
                # leave the update for the takeover once its holder is gone.
                update_locks=RedisLocks(coord, "telegram-user", give_up=False),
                in_hand=in_hand,
                roster=roster,
            )
        finally:
            await roster.stop()
    finally:
        await coord.aclose()


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
