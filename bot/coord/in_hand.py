"""The work a process has in hand, and what the replicas together have in hand.

A replica that dies leaves work open in the shared store: kept updates not
finished, intents still ``pending`` or ``sending``, outcomes never told. A
live replica takes that over. Telling a dead replica's work from a live one's
by age alone (``ORPHAN_AFTER``) makes a customer wait that long after a
crash; so each process also says what it has in hand.

:class:`InHand` is this process's list: keys held for as long as the work
runs (:meth:`InHand.hold`), plus sources that list keys they already track
(the update gate's deliveries). A roster (:mod:`bot.coord.redis_roster`)
publishes it every heartbeat and reads everyone's back as a :class:`WorkView`:
open work that no live process holds, and that is older than every live
process's last list, was left by a process that is gone.

Keys are namespaced by the kind of work (:func:`update_key`, :func:`intent_key`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

MARGIN: Final = timedelta(seconds=2)
"""Open work must be this much older than every live list to count as left: clocks of replicas
differ a little, and a key enters a list a moment after its row is written."""


def update_key(inbox_key: str) -> str:
    """The in-hand key of a kept update (its inbox key)."""
    return f"update/{inbox_key}"


def intent_key(key: str) -> str:
    """The in-hand key of a money intent (its idempotency key)."""
    return f"intent/{key}"


class InHand:
    """The keys of the work this process is doing right now (see the module docstring)."""

    def __init__(self) -> None:
        self._held: Counter[str] = Counter()
        self._sources: list[Callable[[], Iterable[str]]] = []

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """``key`` is in hand inside the block (nested holds of one key count)."""
        self._held[key] += 1
        try:
            yield
        finally:
            self._held[key] -= 1
            if self._held[key] <= 0:
                del self._held[key]

    def add_source(self, source: Callable[[], Iterable[str]]) -> None:
        """``source()`` lists more keys in hand whenever :meth:`keys` is asked."""
        self._sources.append(source)

    def keys(self) -> frozenset[str]:
        """Every key in hand right now."""
        keys = set(self._held)
        for source in self._sources:
            keys.update(source())
        return frozenset(keys)


@dataclass(frozen=True)
class WorkView:
    """What the live processes have in hand, as they last said.

    ``keys``: every key some live process holds; ``since``: the oldest of the
    live processes' last lists (each list written at or after it); ``processes``:
    how many processes are live, this one included.
    """

    keys: frozenset[str]
    since: datetime
    processes: int = 1

    def left(self, key: str, changed_at: datetime) -> bool:
        """Whether open work ``key``, last changed at ``changed_at``, was left by a process that is gone.

        Nobody live holds it, and every live process listed its work well after
        that change: a live holder would have listed it.
        """
        return key not in self.keys and changed_at < self.since - MARGIN


def taken_over(key: str, changed_at: datetime, *, before: datetime | None, view: WorkView | None) -> bool:
    """Whether open work ``key``, last changed at ``changed_at``, is taken over now.

    It is when it changed before ``before`` (``ORPHAN_AFTER`` ago; ``None``: everything
    is, as after a single process's restart), or when ``view`` says it was left.
    """
    if before is None or changed_at < before:
        return True
    return view is not None and view.left(key, changed_at)


def takeover_every(orphan_after: float, roster: Roster | None) -> float:
    """Seconds between two looks for what a gone replica left: half of ``orphan_after`` (at least
    1 s), or the roster's heartbeat when that is sooner."""
    every = max(1.0, orphan_after / 2)
    return every if roster is None else min(every, roster.heartbeat)


class Roster(Protocol):
    """Where the processes' lists meet (a Redis roster with replicas)."""

    @property
    def heartbeat(self) -> float:
        """Seconds between two lists of one process."""
        ...

    async def view(self) -> WorkView | None:
        """The live processes' work; ``None`` when it cannot be known now (age alone decides then)."""
        ...
