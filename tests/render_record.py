"""What the tests do about renders: one that changes the conversation's state fails the test.

:class:`RenderRecord` observes every render (``conversations.purity.observe``):
a render that changed the state raises :class:`~conversations.purity.ImpureRender`
at once and is remembered, in case something between the engine and the test
(an adapter's error handler) swallows the exception; ``tests/conftest.py``
then fails the test that made it.
"""

from __future__ import annotations

import pytest

from conversations.purity import ImpureRender, StateChange


class RenderRecord:
    """The state changes renders made in one test session."""

    def __init__(self) -> None:
        self.changes: list[StateChange] = []

    def __call__(self, change: StateChange) -> None:
        self.changes.append(change)
        raise ImpureRender(change)


RENDERS = pytest.StashKey[RenderRecord]()
"""Where ``tests/conftest.py`` keeps the session's :class:`RenderRecord` (``config.stash``)."""
