"""The replicas' lists of work in hand, met in Redis (see :mod:`bot.coord.in_hand`).

Every ``heartbeat`` seconds each process writes ``in-hand:<process>``, a JSON
``{"at": <epoch seconds>, "keys": [...]}`` that expires after three
heartbeats, and records its name in the sorted set ``roster`` (score: the
same time). A process that dies stops writing; its list expires and it no
longer counts as live. :meth:`RedisRoster.view` reads every live list back.

A process that stops cleanly withdraws its list at once, so what it could
not finish is taken over without waiting for the expiry. When Redis cannot be
reached, writing is retried at the next heartbeat (logged once) and
:meth:`RedisRoster.view` answers ``None``: the takeover then goes by age alone.
A process stalled for longer than the expiry is taken for gone: its open work
may be handled a second time, which the inbox's finished mark, the per-user
lock and the intents' states make harmless (no second charge, no second
outcome), as when its locks expire.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import time
from contextlib import suppress
from datetime import UTC, datetime
from typing import Final

from redis.exceptions import RedisError

from bot.coord.in_hand import InHand, WorkView
from bot.coord.redis_conn import RedisCoord

log = logging.getLogger("bot.coord.roster")

EXPIRES_AFTER_BEATS: Final = 3
"""A list expires this many heartbeats after it was written."""

SHORTEST_HEARTBEAT: Final = 0.01
"""Seconds; the lists' expiry is counted in milliseconds."""

STOP_WAIT: Final = 2.0
"""Seconds a stop waits for the list being written, and again for withdrawing it (shutdown is short)."""

FORGET_AFTER_BEATS: Final = 100
"""Names whose last list is this old are dropped from the roster (their lists expired long ago)."""


def process_name() -> str:
    """This process's name in the roster: host, pid and a random part (a restart gets a new name)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class RedisRoster:
    """Publishes this process's :class:`InHand` and reads every live process's (a :class:`Roster`)."""

    def __init__(
        self, coord: RedisCoord, in_hand: InHand, *, heartbeat: float, name: str | None = None
    ) -> None:
        if heartbeat < SHORTEST_HEARTBEAT:
            raise ValueError(f"heartbeat must be at least {SHORTEST_HEARTBEAT} s")
        self._coord = coord
        self._in_hand = in_hand
        self._heartbeat = heartbeat
        self._ttl_ms = round(heartbeat * EXPIRES_AFTER_BEATS * 1000)
        self.name = name or process_name()
        self._roster = coord.key("roster")
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._failures = 0  # writes failed in a row

    @property
    def heartbeat(self) -> float:
        """Seconds between two lists of this process."""
        return self._heartbeat

    def list_key(self, name: str) -> str:
        """The Redis key of process ``name``'s list."""
        return self._coord.key("in-hand", name)

    async def publish(self) -> bool:
        """Write this process's list now; False (logged once until it works again) when Redis fails."""
        at = time.time()
        body = json.dumps({"at": at, "keys": sorted(self._in_hand.keys())})
        try:
            async with self._coord.client.pipeline() as pipe:
                pipe.set(self.list_key(self.name), body, px=self._ttl_ms)
                pipe.zadd(self._roster, {self.name: at})
                pipe.zremrangebyscore(self._roster, "-inf", at - self._heartbeat * FORGET_AFTER_BEATS)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            if self._failures == 0:
                log.warning(
                    "could not publish the work in hand; replicas go by age until it works again",
                    extra={"error": type(exc).__name__},
                )
            self._failures += 1
            return False
        if self._failures:
            log.info("publishing the work in hand again", extra={"failed": self._failures})
        self._failures = 0
        return True

    async def view(self) -> WorkView | None:
        """Every live process's work, this one's as it is right now; ``None`` if Redis cannot tell."""
        now = time.time()
        try:
            names = [
                raw.decode()
                for raw in await self._coord.client.zrange(self._roster, 0, -1)
                if isinstance(raw, bytes)
            ]  # RedisCoord's client answers bytes
            others = [name for name in names if name != self.name]
            bodies = await self._coord.client.mget([self.list_key(n) for n in others]) if others else []
        except (RedisError, OSError) as exc:
            log.warning("could not read the replicas' work in hand", extra={"error": type(exc).__name__})
            return None
        keys = set(self._in_hand.keys())
        since = now
        live = 1
        for body in bodies:
            if body is None:  # expired: that process is gone
                continue
            try:
                listed = json.loads(body)
                at = float(listed["at"])
                theirs = [str(key) for key in listed["keys"]]
            except (ValueError, KeyError, TypeError):
                return None  # not a list this code wrote: do not guess from it
            live += 1
            since = min(since, at)
            keys.update(theirs)
        return WorkView(frozenset(keys), datetime.fromtimestamp(since, UTC), live)

    async def start(self) -> None:
        """Publish once now, then every heartbeat in the background."""
        self._stopping.clear()
        await self.publish()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._beat())

    async def stop(self) -> None:
        """Stop publishing and withdraw this process's list (what it left is taken over at once).

        A list being written is finished first (for up to :data:`STOP_WAIT`): a
        command cut off half-way leaves its connection to be thrown away.
        """
        self._stopping.set()
        if self._task is not None:
            with suppress(TimeoutError):  # Redis is slow to answer: the connection is cut
                await asyncio.wait_for(self._task, STOP_WAIT)
            self._task = None
        try:
            async with asyncio.timeout(STOP_WAIT), self._coord.client.pipeline() as pipe:
                pipe.delete(self.list_key(self.name))
                pipe.zrem(self._roster, self.name)
                await pipe.execute()
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning(
                "could not withdraw the work in hand; it expires by itself",
                extra={"error": type(exc).__name__},
            )

    async def _beat(self) -> None:
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._heartbeat)
                return
            await self.publish()
