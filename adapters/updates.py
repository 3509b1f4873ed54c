"""What the platform gates tell about the updates they let through or drop (metrics).

Declared here, next to its users (the Telegram and Slack gates); the
composition root hands in :class:`bot.metrics.Metrics`, which implements it.
"""

from __future__ import annotations

from typing import Protocol


class UpdateObserver(Protocol):
    """Told about every update a gate finished with; must not raise or block."""

    def update(self, platform: str, outcome: str, seconds: float | None) -> None:
        """``outcome``: ``handled``, ``failed``, ``duplicate``, ...; ``seconds``: handling time, if timed."""
