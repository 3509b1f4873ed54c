"""What the tests do with the declared transitions: refuse undeclared moves, count the edges taken.

:class:`TransitionRecord` observes every move (``conversations.transitions.observe``).
An undeclared move raises :class:`~conversations.transitions.UndeclaredTransition`
(and is remembered, in case something between the step and the test swallows
the exception). Each declared edge a move takes is marked exercised.

At the end of the session :meth:`TransitionRecord.verdict` lists the declared
edges no test took, but only when the session ran the whole of every directory
in :data:`SUITES`: those suites must take every edge on their own (moves seen
in other suites of the same session count as well). A partial run (a single
file, ``-k``, ``-m``, ``--lf``, ``-x`` stopping early, ``--co``) or a run with
failures says nothing about coverage, so no verdict is given then.

Run in parallel (pytest-xdist), each worker sees only the moves of the tests it
ran: a worker gives no verdict but sends :meth:`TransitionRecord.report` to the
controller, which :meth:`TransitionRecord.absorb` s every worker's report and
judges the whole session (one worker that never reported, or that saw a partial
run, means no verdict).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conversations.transitions import TRANSITIONS, Edge, Move, UndeclaredTransition

SUITES = ("tests/unit/conversations",)
"""Directories whose tests, run in full, must take every declared transition."""


class TransitionRecord:
    """The moves of one test session (see the module docs)."""

    def __init__(self, root: Path) -> None:
        self.exercised: set[Edge] = set()
        self.undeclared: list[Move] = []
        self.strict = True
        self._suites = [(root / suite).resolve() for suite in SUITES]
        self._whole = True
        self._expected: set[str] = set()
        self._ran: set[str] = set()
        self._workers: set[str] = set()
        self._reported: set[str] = set()

    def __call__(self, move: Move, edge: Edge | None) -> None:
        if edge is not None:
            self.exercised.add(edge)
        elif self.strict:
            self.undeclared.append(move)
            raise UndeclaredTransition(move)

    @contextmanager
    def lenient(self) -> Iterator[None]:
        """Let undeclared moves through, as production does (for the test of that behaviour)."""
        self.strict = False
        try:
            yield
        finally:
            self.strict = True

    def _in_suites(self, path: Path) -> bool:
        return any(path.is_relative_to(suite) for suite in self._suites)

    def collected(self, session: pytest.Session) -> None:
        """After collection: did the session select every test of the suites?"""
        config = session.config
        if config.getoption("lf", False) or config.getoption("stepwise", False):
            self._whole = False
        base = config.invocation_params.dir
        chosen = [(base / arg).resolve() for arg in config.args if "::" not in arg]
        if any("::" in arg and self._in_suites((base / arg.split("::")[0]).resolve()) for arg in config.args):
            self._whole = False
        if not all(any(suite.is_relative_to(path) for path in chosen) for suite in self._suites):
            self._whole = False
        items = [item for item in session.items if self._in_suites(item.path)]
        self._expected = {item.nodeid for item in items}
        files = {item.path for item in items}
        on_disk = {path.resolve() for suite in self._suites for path in suite.rglob("test_*.py")}
        if not on_disk <= files:
            self._whole = False

    def deselected(self, items: list[pytest.Item]) -> None:
        """Some tests were deselected (``-k``, ``-m``...): a partial run if any is in the suites."""
        if any(self._in_suites(item.path) for item in items):
            self._whole = False

    def finished(self, nodeid: str) -> None:
        """One test ran to its end."""
        self._ran.add(nodeid)

    def report(self) -> dict[str, Any]:
        """What a parallel worker saw, as plain data the controller can take (:meth:`absorb`)."""
        return {
            "exercised": [i for i, edge in enumerate(TRANSITIONS) if edge in self.exercised],
            "whole": self._whole,
            "expected": sorted(self._expected),
            "ran": sorted(self._ran),
        }

    def expect_worker(self, worker: str) -> None:
        """On the controller of a parallel run: ``worker`` was started, so its report is needed."""
        self._workers.add(worker)

    def absorb(self, worker: str, report: Mapping[str, Any] | None) -> None:
        """On the controller: add what ``worker`` saw (``None``: it ended without a report)."""
        if report is None:
            return
        self._reported.add(worker)
        self.exercised.update(TRANSITIONS[i] for i in report["exercised"])
        self._whole = self._whole and bool(report["whole"])
        self._expected.update(report["expected"])
        self._ran.update(report["ran"])

    def unexercised(self) -> list[Edge]:
        """The declared edges no move took, in table order."""
        return [edge for edge in TRANSITIONS if edge not in self.exercised]

    def verdict(self, exitstatus: int) -> list[str] | None:
        """``None`` when the session cannot judge; else the unexercised edges (empty: all taken)."""
        if exitstatus != pytest.ExitCode.OK or not self._whole or not self._expected <= self._ran:
            return None
        if not self._workers <= self._reported:
            return None  # a worker's moves are unknown
        return [
            f"{edge.source} -> {edge.target} on {edge.trigger} ({edge.label})" for edge in self.unexercised()
        ]


SEEN = pytest.StashKey[TransitionRecord]()
"""Where ``tests/conftest.py`` keeps the session's :class:`TransitionRecord` (``config.stash``)."""
