"""One read of the account's number list for every check that asked before it was sent.

Before each order the client reads ``GET /v1/direct_numbers/`` to see whether
the number is already on the account (the money evidence, see
:meth:`~bot.zadarma.client.ZadarmaClient.find_direct_number`). Under Zadarma's
rate limit many such checks wait for the limiter at once, each for its own
read of the same list. :class:`SharedListReads` lets every check that arrives
while a read is still waiting for its turn join that read: the read is sent
once the limiter lets it go, so it started after every check it answers was
asked, which is all a check of its own would promise. A check that arrives
once the read is on its way starts the next read; so does a check at another
priority, which waits in its own place in the limiter's queue.

Without a queue nothing changes: a read's turn comes at once, and each check
gets a read of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bot.zadarma.absence import AbsenceReader

Send = Callable[[int | None, Callable[[], AbsenceReader]], Awaitable[dict[str, Any]]]
"""Sends the list read at a priority (None: the call's default); the callable makes the reader once
the read's turn has come."""


class _Read:
    """A list read not yet sent, and the numbers of the checks waiting for it."""

    def __init__(self, task: asyncio.Future[dict[str, Any]]) -> None:
        self.task = task
        self.wanted: list[str] = []


class SharedListReads:
    """Checks of the account's list, sharing a read while it waits for the limiter.

    ``send(priority, make_reader)`` makes one signed list call (retries
    included); ``make_reader`` is called when an attempt is about to be sent,
    and from the first call on no other check joins that read.
    """

    def __init__(self, send: Send) -> None:
        self._send = send
        self._waiting: dict[int | None, _Read] = {}

    async def read(self, wanted: str, priority: int | None) -> dict[str, Any]:
        """The list reply for a check of ``wanted`` (digits), read no earlier than this call.

        The reply proves absence (:class:`~bot.zadarma.absence.NotListed`) only
        when none of the numbers of the checks sharing it is listed; otherwise
        it is the whole list, to be searched by the caller. A failed read fails
        every check that shared it.
        """
        pending = self._waiting.get(priority)
        if pending is None:
            # the lambdas run only once the task does, and ``opened`` is set by then
            task = asyncio.ensure_future(self._send(priority, lambda: self._reader(opened, priority)))
            opened = pending = self._waiting[priority] = _Read(task)
            task.add_done_callback(lambda _: self._forget(opened, priority))
        pending.wanted.append(wanted)  # the read has not started: it runs only once this check waits
        # One check given up (its update cancelled) must not cancel the read the others wait for.
        return await asyncio.shield(pending.task)

    def _reader(self, pending: _Read, priority: int | None) -> AbsenceReader:
        self._forget(pending, priority)
        return AbsenceReader(*pending.wanted)

    def _forget(self, pending: _Read, priority: int | None) -> None:
        """No check joins ``pending`` any more: it is on its way, or over."""
        if self._waiting.get(priority) is pending:
            del self._waiting[priority]
        task = pending.task
        if task.done() and not task.cancelled():
            task.exception()  # retrieved here too: every check that shared it may have been cancelled
