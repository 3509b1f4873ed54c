"""Dedup keys and leases in Redis, behind the store's own interfaces.

:class:`RedisDedup` is a :class:`~bot.storage.interfaces.DedupRepository`
(``SET NX PX``: the first replica to see a key wins); :class:`RedisLeases` is
a :class:`~bot.storage.interfaces.LeaseRepository` (``SET NX PX``, renewed
and released only by its holder). Redis expires both by itself, on its own
clock: the ``now`` the interfaces pass is only checked to be UTC-aware, and
:meth:`RedisDedup.purge` has nothing to do.
"""

from __future__ import annotations

import math
from datetime import datetime

from bot.coord.redis_conn import RedisCoord
from bot.storage.codec import ensure_utc
from bot.storage.validation import check_ttl

# ARGV[1] holder, ARGV[2] ttl ms: take a free lease or renew one's own.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# ARGV[1] holder: release only one's own lease.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _ms(ttl_seconds: float) -> int:
    return max(1, math.ceil(check_ttl(ttl_seconds) * 1000))


class RedisDedup:
    """Keys remembered in Redis (``dedup:<key>``) until their time to live ends."""

    def __init__(self, coord: RedisCoord) -> None:
        self._coord = coord

    async def seen_once(self, key: str, now: datetime, ttl_seconds: float) -> bool:
        """``True`` the first time any replica sees ``key`` within ``ttl_seconds``, else ``False``."""
        ensure_utc(now)
        taken = await self._coord.client.set(
            self._coord.key("dedup", key), b"1", nx=True, px=_ms(ttl_seconds)
        )
        return bool(taken)

    async def purge(self, before: datetime) -> int:
        """Nothing to do: Redis forgets expired keys itself; returns 0."""
        ensure_utc(before)
        return 0


class RedisLeases:
    """Named leases in Redis (``lease:<name>``), holding the holder's name."""

    def __init__(self, coord: RedisCoord) -> None:
        self._coord = coord
        self._acquire = coord.client.register_script(_ACQUIRE)
        self._release = coord.client.register_script(_RELEASE)

    async def try_acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        """Take the lease if free or expired, or renew it if ``holder`` has it; ``False`` otherwise."""
        ensure_utc(now)
        taken = await self._acquire(keys=[self._coord.key("lease", name)], args=[holder, _ms(ttl_seconds)])
        return bool(taken)

    async def release_lease(self, name: str, holder: str) -> bool:
        """Release the lease if ``holder`` holds it; return whether it did."""
        released = await self._release(keys=[self._coord.key("lease", name)], args=[holder])
        return bool(released)
