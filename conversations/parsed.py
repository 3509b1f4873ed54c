"""Conversation states kept parsed between events, so the next event of a busy chat skips the parse.

Every event loads the conversation's stored JSON and parses it into a
:class:`~conversations.state.ConversationState` (the largest single piece of
the engine's own work per event: a customer's state carries its token table
and the drafts of its last paid orders). Most events come from a chat whose
previous event this process handled a moment ago, and whose stored text is
still the one it saved.

:class:`ParsedStates` keeps, per conversation, the text last saved (or found
unchanged) and the state object it was dumped from. An event *takes* the
entry, which removes it: only when the stored text is exactly the kept text
is the object used, and from then on only that event holds it. The engine
puts it back only after the text is saved (or found unchanged), so an event
that fails, is overtaken by another process's save, or cannot save leaves no
entry, and the next event parses the stored text as before. Another
process's save changes the stored text, so the kept object is never used for
it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_LIMIT = 256
"""Conversations kept parsed by default: the chats active within the last few seconds at full load."""


class ParsedStates(Generic[K, V]):
    """Parsed states by conversation key, each bound to the exact text it was dumped as; oldest out first."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        """Keep at most ``limit`` states (0 keeps none)."""
        if limit < 0:
            raise ValueError(f"limit must be 0 or more, got {limit}")
        self._limit = limit
        self._kept: OrderedDict[K, tuple[str, V]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def take(self, key: K, text: str) -> V | None:
        """The state kept for ``key`` if it was dumped as exactly ``text``; the entry goes either way."""
        entry = self._kept.pop(key, None)
        if entry is not None and entry[0] == text:
            self.hits += 1
            return entry[1]
        self.misses += 1
        return None

    def keep(self, key: K, text: str, state: V) -> None:
        """Keep ``state`` for ``key`` as the parse of ``text`` (the caller no longer changes it)."""
        if self._limit == 0:
            return
        self._kept[key] = (text, state)
        self._kept.move_to_end(key)
        while len(self._kept) > self._limit:
            self._kept.popitem(last=False)

    def kept(self, key: K) -> tuple[str, V] | None:
        """The text and state kept for ``key``, left in place (to look at, not to use)."""
        return self._kept.get(key)

    def __len__(self) -> int:
        return len(self._kept)
