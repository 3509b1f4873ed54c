"""Named points on the money path where a test can make the process die at once.

``BOT_CRASH_AT=order.answered`` (a comma-separated list) makes the process
kill itself with SIGKILL when it reaches that point: the same as ``kill -9``
at the worst moment, but deterministic. The crash tests restart the bot
afterwards and check that the money moved once and the customer was told.
Unset (always, in production) it costs one set lookup per point.

Points: ``order.pressed`` (the confirmation reached the service, nothing
stored yet), ``order.created`` (intent stored, not yet sending), ``order.sending``
(marked sending, call not made), ``order.answered`` (Zadarma answered, nothing
recorded), ``order.recorded`` (recorded, outcome not yet queued for telling),
``order.queued`` (queued for telling, the chat reply not yet sent); the same
with ``prolong.``.
"""

from __future__ import annotations

import os
import signal

_ARMED = frozenset(p.strip() for p in os.environ.get("BOT_CRASH_AT", "").split(",") if p.strip())


def crash_point(name: str) -> None:
    """Die here, at once and without cleanup, if ``name`` is armed."""
    if name in _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
