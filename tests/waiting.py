"""The one way a test waits for what nothing tells it: :func:`eventually`, with a deadline.

Prefer an event when there is one: the fakes' ``wait_for`` (the fake Telegram and Slack
wake their waiters on every call they record), a part's ``drain()``, a task's result.
What is left is state that no in-process event announces: another process's ``/healthz``,
its log or its database file, a background loop's health report. :func:`eventually`
checks it again every ``every`` seconds until it holds, and fails the test, saying what
it waited for, once ``within`` seconds have passed.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

import httpx

T = TypeVar("T")


@overload
async def eventually(
    check: Callable[[], Awaitable[T | None]], *, within: float = ..., every: float = ..., what: str = ...
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T | None], *, within: float = ..., every: float = ..., what: str = ...
) -> T: ...


async def eventually(
    check: Callable[[], Any],
    *,
    within: float = 5.0,
    every: float = 0.02,
    what: str = "",
) -> Any:
    """The first truthy value ``check()`` returns (awaited when it is a coroutine function).

    An exception from ``check`` ends the wait at once; after ``within`` seconds without
    a truthy value an :class:`AssertionError` naming ``what`` (or the check) is raised.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() >= deadline:
            waited_for = what or getattr(check, "__name__", repr(check))
            raise AssertionError(f"still not true after {within} s: {waited_for}")
        await asyncio.sleep(every)


def eventually_sync(
    check: Callable[[], T | None], *, within: float = 5.0, every: float = 0.1, what: str = ""
) -> T:
    """:func:`eventually` for a test without an event loop (it sleeps the thread between checks)."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            waited_for = what or getattr(check, "__name__", repr(check))
            raise AssertionError(f"still not true after {within} s: {waited_for}")
        time.sleep(every)


def answers(url: str) -> bool:
    """Whether an HTTP server answers ``url`` at all (any status): a started process is listening."""
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return False
    return True
