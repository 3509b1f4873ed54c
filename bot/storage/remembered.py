"""A :class:`~bot.storage.interfaces.UserRepository` that skips upserts bringing nothing new.

Every update records its sender (chat id, name, platform language): almost
always the same as last time, and a write per update is the bot's costliest
storage statement. :class:`RememberedUsers` wraps the store's repository and
keeps, per user, what the last upsert brought and the record it returned
(bounded: least recently used first out; for a while only, so what another
replica wrote meanwhile is seen again). An upsert bringing the same to a user
recorded as reachable returns that record without touching the store.

Every other write through the wrapper (language, blocked, unblocked) forgets
the user, and an upsert racing with such a write is not remembered. Writes by
another process are seen when the entry expires; a user marked blocked there
and writing here is unblocked then at the latest (as before, at their next
update after it).

The composition root installs it over the store's ``users`` so that every
writer in the process goes through it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from bot.storage.interfaces import UserRepository
from bot.storage.records import User, UserRef

DEFAULT_CAPACITY: Final = 10_000
DEFAULT_TTL_SECONDS: Final = 600.0


@dataclass(frozen=True)
class _Entry:
    brought: tuple[str | None, str | None, str | None]
    record: User
    until: float


class RememberedUsers:
    """``inner`` with upserts skipped while they bring what the last one brought (module docstring)."""

    def __init__(
        self,
        inner: UserRepository,
        *,
        capacity: int = DEFAULT_CAPACITY,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1 or ttl_seconds <= 0:
            raise ValueError("capacity and ttl_seconds must be positive")
        self.inner = inner
        self.capacity = capacity
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._entries: OrderedDict[UserRef, _Entry] = OrderedDict()
        self._writes = 0  # other writes so far: an upsert overlapping one is not remembered

    def __len__(self) -> int:
        return len(self._entries)

    def forget(self, user: UserRef) -> None:
        """Drop what is remembered about ``user`` (its next upsert writes)."""
        self._writes += 1
        self._entries.pop(user, None)

    async def get(self, user: UserRef) -> User | None:
        return await self.inner.get(user)

    async def upsert(
        self,
        user: UserRef,
        *,
        chat_id: str | None = None,
        display_name: str | None = None,
        default_language: str | None = None,
    ) -> User:
        brought = (chat_id, display_name, default_language)
        now = self.clock()
        entry = self._entries.get(user)
        if entry is not None and entry.brought == brought and now < entry.until:
            self._entries.move_to_end(user)
            return entry.record
        writes = self._writes
        record = await self.inner.upsert(
            user, chat_id=chat_id, display_name=display_name, default_language=default_language
        )
        if record.blocked or writes != self._writes:
            self._entries.pop(user, None)
            return record
        self._entries[user] = _Entry(brought, record, now + self.ttl_seconds)
        self._entries.move_to_end(user)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return record

    async def set_language(self, user: UserRef, language: str) -> bool:
        try:
            return await self.inner.set_language(user, language)
        finally:
            self.forget(user)

    async def mark_blocked(self, user: UserRef) -> bool:
        try:
            return await self.inner.mark_blocked(user)
        finally:
            self.forget(user)

    async def mark_unblocked(self, user: UserRef) -> bool:
        try:
            return await self.inner.mark_unblocked(user)
        finally:
            self.forget(user)
