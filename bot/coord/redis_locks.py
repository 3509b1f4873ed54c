"""Per-key locks held across replicas through Redis.

A lock is the key ``lock:<name>`` set with ``SET NX PX`` to a random token of
its holder. While held, a heartbeat extends it (only while it still holds
the holder's token); release deletes it only if it still holds that token,
so a holder that stalled past the expiry never frees someone else's lock.
A holder that dies stops renewing and its lock expires after ``ttl``.

Inside one process, waiters for a key queue first on a :class:`LocalLocks`
(arrival order, as before); only the head of that queue contends in Redis,
polling with growing, jittered pauses for at most ``wait`` seconds
(:class:`LockTimeout` then), or, with ``give_up=False``, for as long as the
holder holds it, with a warning every ``wait`` seconds. When Redis cannot be
reached the key is held in this process only (logged): the store's revision
check still refuses a lost update, and work goes on.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from redis.exceptions import RedisError

from bot.coord.locks import LocalLocks
from bot.coord.redis_conn import RedisCoord

log = logging.getLogger("bot.coord.locks")

# ARGV[1] token, ARGV[2] ttl ms: extend the lock only while it is ours.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# ARGV[1] token: delete the lock only while it is ours.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

FIRST_PAUSE = 0.005
LONGEST_PAUSE = 0.2


class LockTimeout(TimeoutError):
    """The lock could not be taken within the allowed wait."""


class RedisLocks:
    """A :class:`~bot.coord.locks.KeyLocks` whose locks hold across every replica sharing the Redis."""

    def __init__(
        self,
        coord: RedisCoord,
        namespace: str,
        *,
        ttl: float = 15.0,
        wait: float = 60.0,
        give_up: bool = True,
        renew_every: float | None = None,
    ) -> None:
        if ttl <= 0 or wait <= 0:
            raise ValueError("ttl and wait must be positive")
        self._coord = coord
        self._namespace = namespace
        self._ttl_ms = max(1, round(ttl * 1000))
        self._wait = wait
        self._give_up = give_up
        self._renew_every = renew_every if renew_every is not None else ttl / 3
        self._local = LocalLocks()
        self._renew = coord.client.register_script(_RENEW)
        self._release = coord.client.register_script(_RELEASE)
        self.lost = 0  # locks whose renewal found them gone (see the log)

    def redis_key(self, key: str) -> str:
        """The Redis key of ``key``'s lock."""
        return self._coord.key("lock", self._namespace, key)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold ``key``'s lock, in every replica, for the duration of the ``async with`` block.

        Raises :class:`LockTimeout` if it stays taken for longer than ``wait``; with
        ``give_up=False`` waits on (a live holder renews it; a dead one's expires after ``ttl``).
        """
        async with self._local.hold(key):
            name = self.redis_key(key)
            token = secrets.token_hex(16)
            if not await self._take(name, token):
                yield  # Redis unreachable: held in this process only
                return
            beat = asyncio.get_running_loop().create_task(self._heartbeat(name, token))
            try:
                yield
            finally:
                beat.cancel()
                with suppress(asyncio.CancelledError):
                    await beat
                await self._give_back(name, token)

    async def _take(self, name: str, token: str) -> bool:
        """Take the lock (True), or find Redis unreachable (False, logged).

        After ``wait`` seconds: :class:`LockTimeout`, or with ``give_up=False`` a warning and more waiting.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self._wait
        pause = FIRST_PAUSE
        while True:
            try:
                if await self._coord.client.set(name, token, nx=True, px=self._ttl_ms):
                    return True
            except (RedisError, OSError) as exc:
                # The store's revision check still stops lost updates; order across replicas is not kept.
                log.warning(
                    "Redis unreachable; a lock is held in this process only",
                    extra={"lock": name, "error": type(exc).__name__},
                )
                return False
            left = deadline - loop.time()
            if left <= 0:
                if self._give_up:
                    raise LockTimeout(f"lock {name!r} still taken after {self._wait:g} s")
                log.warning(
                    "a lock is still taken by its holder; waiting on",
                    extra={"lock": name, "waited_s": round(loop.time() - started)},
                )
                deadline = loop.time() + self._wait
                left = self._wait
            await asyncio.sleep(min(left, pause * random.uniform(0.5, 1.0)))
            pause = min(LONGEST_PAUSE, pause * 2)

    async def _heartbeat(self, name: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            try:
                renewed = await self._renew(keys=[name], args=[token, self._ttl_ms])
            except (RedisError, OSError) as exc:
                log.warning("could not renew a lock", extra={"lock": name, "error": type(exc).__name__})
                continue
            if not renewed:
                self.lost += 1
                log.error("lost a lock while holding it (expired and maybe taken)", extra={"lock": name})
                return

    async def _give_back(self, name: str, token: str) -> None:
        try:
            released = await self._release(keys=[name], args=[token])
        except (RedisError, OSError) as exc:
            log.warning(
                "could not release a lock; it expires by itself",
                extra={"lock": name, "error": type(exc).__name__},
            )
            return
        if not released:
            self.lost += 1
            log.error("a lock had expired before its holder released it", extra={"lock": name})
