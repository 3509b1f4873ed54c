"""The event loop the service runs on (``EVENT_LOOP``): uvloop where it is installed.

Every update costs the loop several socket reads and writes (the Bot API,
Zadarma) and hand-offs from the database thread; uvloop does that work in C.
``asyncio`` is Python's own loop: the choice where uvloop is not built
(Windows) and the one the test suite's fixtures use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

LoopName = Literal["auto", "uvloop", "asyncio"]
"""``auto``: uvloop when it can be imported, else asyncio."""

T = TypeVar("T")


def uvloop_available() -> bool:
    """Whether uvloop can be imported here."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def loop_factory(name: LoopName) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """What makes the loop ``name`` names; ``None`` for asyncio's default.

    Raises :class:`RuntimeError` for ``uvloop`` when it is not installed
    (the configuration check says so before the service starts).
    """
    if name == "asyncio":
        return None
    if not uvloop_available():
        if name == "auto":
            return None
        raise RuntimeError("EVENT_LOOP=uvloop but uvloop is not installed")
    import uvloop

    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T], name: LoopName = "auto") -> T:
    """``asyncio.run(main)`` on the loop ``name`` names."""
    with asyncio.Runner(loop_factory=loop_factory(name)) as runner:
        return runner.run(main)


def running_loop_name() -> str:
    """``uvloop`` or ``asyncio``: which loop runs the calling coroutine."""
    module = type(asyncio.get_running_loop()).__module__
    return "uvloop" if module.startswith("uvloop") else "asyncio"
