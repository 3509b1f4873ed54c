"""Rendering has no side effects: the check the engine makes around every render.

A step's :meth:`~conversations.steps.base.Step.render` reads the state and the
services and builds a screen; it never changes the state. What a screen needs
made once (an idempotency key) is made by the move that enters the step, a
redirect is asked for with :meth:`~conversations.steps.base.Step.route`, and the
token table of the screen's buttons (with the team console's one-tap buttons)
is kept by the engine once the screen is built. So asking for the current
screen changes nothing, and a render repeated, or dropped, does no harm.

The engine compares the state before and after each render (and each
``route``, which only reads as well) while an observer is registered with
:func:`observe` (the tests register one that raises
:class:`ImpureRender`, see ``tests/conftest.py``); with none, as in
production, nothing is compared and a render costs nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from conversations.state import ConversationState, StepName


@dataclass(frozen=True)
class StateChange:
    """A render of ``step`` changed the state: the top-level ``fields`` that differ afterwards."""

    step: StepName
    fields: tuple[str, ...]


class ImpureRender(Exception):
    """A render (or a step's ``route``) changed the conversation's state (raised by the tests' observer)."""

    def __init__(self, change: StateChange) -> None:
        super().__init__(
            f"rendering {change.step} changed the state ({', '.join(change.fields)}): a render only reads; "
            "make the change in the move that enters the step, or ask for a redirect with Step.route"
        )
        self.change = change


RenderObserver: TypeAlias = Callable[[StateChange], None]
_observers: list[RenderObserver] = []


def observe(observer: RenderObserver) -> Callable[[], None]:
    """Call ``observer`` with every state change a render makes, from now on.

    Process-wide, like :func:`conversations.transitions.observe`. Returns the function
    that stops it. An exception the observer raises propagates out of the render.
    """
    _observers.append(observer)
    return lambda: _observers.remove(observer)


def watched() -> bool:
    """Whether anyone observes renders (else the engine does not compare states)."""
    return bool(_observers)


def compare(step: StepName, before: str, state: ConversationState) -> None:
    """Tell the observers when ``state`` differs from ``before`` (its dump before ``step`` rendered)."""
    after = state.dump()
    if after == before:
        return
    old, new = json.loads(before), json.loads(after)
    fields = tuple(name for name in {**old, **new} if old.get(name) != new.get(name))
    change = StateChange(step, fields)
    for observer in tuple(_observers):
        observer(change)
