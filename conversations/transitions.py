"""The declared transitions of the conversations: every legitimate move from one step to another.

A step moves the conversation only with :meth:`conversations.context.Ctx.go`;
the engine tells the :class:`~conversations.context.Ctx` what is moving it
(the :data:`Trigger`: a command, a button of the step's screen, typed text, a
redirect before rendering...). Every move ``(from step, to step, trigger)`` is
looked up in :data:`TRANSITIONS` by :func:`check`. A move to the step the
conversation is already on is no transition and is not checked. A move is
checked when it is made, so one a failing handler's rollback undoes was still
checked (and counts as taken). A render does not move (nor change anything,
see :mod:`conversations.purity`): before rendering, the engine asks the step's
``route`` where the state belongs and makes that ``redirect`` move itself (as
it does when a step declares ``redirect_on_error`` and its screen cannot be
built); a ``go`` from a render has no trigger and is undeclared.

An edge whose source is :data:`ANY` is a move the engine makes from wherever
the conversation stands: the commands, the navigation buttons valid on every
screen, an alert's buttons, and the way back to the menu when a flow lost its
data (``FlowLost``) or its screen cannot be found.

**An undeclared move** is a programming error. In production it is logged at
ERROR (``conversations.transitions``, with the move) and *kept*: by the time a
step moves, its handler may already have spent money or created a document
group, and refusing the move would leave the user on a screen that no longer
matches the state (a Confirm screen for an order already placed) -- a
bookkeeping slip would become a user-facing one. The tests make it fatal: an
observer registered with :func:`observe` raises :class:`UndeclaredTransition`
(see ``tests/conftest.py``), and the same observer records which edges the
tests exercised, so a declared edge no test takes fails the run as well.

``python -m conversations.transitions`` prints the state diagram (Mermaid
``stateDiagram-v2``) and the table as the Markdown kept in
``docs/conversation-states.md``; a unit test keeps that file current.

**Adding a step or a move:** add its edges here (a new kind of event also
needs its :data:`Trigger`, set by the engine before its handler runs), declare
a step's ``fallback`` as a ``fallback`` edge, regenerate the docs page, and
give every new edge a test under ``tests/unit/conversations``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from conversations.state import StepName

log = logging.getLogger("conversations.transitions")

Trigger: TypeAlias = Literal[
    "command",  # a slash command
    "button",  # a button of the step's own screen
    "text",  # typed text
    "file",  # a file sent
    "form",  # a whole form submitted at once (FormSubmitted)
    "nav",  # a navigation button valid on every screen (Menu, Cancel)
    "alert",  # a one-tap button of an alert card
    "replay",  # a used money confirmation pressed again
    "redirect",  # before rendering, the step's route found the state belongs on another step
    "fallback",  # the step's screen found its number or group gone or not the user's
    "lost",  # the flow's data is gone (FlowLost), or no screen could be shown
]
"""What moves the conversation; the engine sets it on the :class:`~conversations.context.Ctx`."""

ANY: TypeAlias = Literal["*"]
Source: TypeAlias = StepName | ANY


@dataclass(frozen=True)
class Edge:
    """One declared transition; ``label`` says why, in the diagram and the table."""

    source: Source
    target: StepName
    trigger: Trigger
    label: str


@dataclass(frozen=True)
class Move:
    """One move a step or the engine made (``trigger`` is ``None`` when nothing set one)."""

    source: StepName
    target: StepName
    trigger: Trigger | None


class UndeclaredTransition(Exception):
    """A move that :data:`TRANSITIONS` does not declare (raised by the tests' observer)."""

    def __init__(self, move: Move) -> None:
        on = move.trigger or "no trigger (a move while rendering, or outside the engine)"
        super().__init__(
            f"undeclared transition {move.source} -> {move.target} on {on}: "
            "declare it in conversations/transitions.py (TRANSITIONS) or do not make that move"
        )
        self.move = move


def _e(source: Source, target: StepName, trigger: Trigger, label: str) -> Edge:
    return Edge(source, target, trigger, label)


TRANSITIONS: tuple[Edge, ...] = (
    # -- the engine, from any step ---------------------------------------------------------
    _e("*", "menu", "command", "/start, /cancel, /language, /help"),
    _e("*", "order.country", "command", "/order"),
    _e("*", "numbers.list", "command", "/numbers"),
    _e("*", "docs.list", "command", "/documents"),
    _e("menu", "language", "command", "/language without a language"),
    _e("menu", "help", "command", "/help"),
    _e("order.country", "order.direction", "command", "/order with one matching country"),
    _e("*", "menu", "nav", "Menu, Cancel"),
    _e("*", "numbers.card", "alert", "open the number, auto-renew on"),
    _e("*", "numbers.prolong_confirm", "alert", "prolong"),
    _e("*", "numbers.list", "alert", "my numbers"),
    _e("*", "docs.list", "alert", "my documents"),
    _e("*", "menu", "lost", "flow data gone"),
    # -- the team console (operators), from any step: commands and one-tap buttons -------------------
    _e("*", "team.idle", "command", "/numbers with a change made at once, help, a refusal"),
    _e("*", "team.list", "command", "/numbers list"),
    _e("*", "team.expiring", "command", "/numbers expiring"),
    _e("*", "team.card", "command", "/numbers info"),
    _e("*", "team.prolong_confirm", "command", "/numbers prolong"),
    _e("*", "team.docs", "command", "/numbers docs"),
    _e("*", "team.group", "command", "/numbers docs GROUP"),
    _e("*", "team.audit", "command", "/numbers audit"),
    _e("*", "team.card", "alert", "Show the number (a card, an alert)"),
    _e("*", "team.prolong_confirm", "alert", "Prolong (a card, an alert)"),
    _e("*", "team.idle", "alert", "Auto-renewal, a failure"),
    _e("*", "team.group", "alert", "a document group of the list"),
    _e("*", "team.form", "alert", "New document group (the group list)"),
    _e("*", "team.edit", "alert", "Edit details (a group)"),
    _e("team.form", "team.docs", "button", "Back at the first question"),
    _e("team.form", "team.group", "button", "Create"),
    _e("team.form", "team.group", "form", "Form submitted"),
    _e("team.edit", "team.group", "button", "Back, Save"),
    _e("team.edit", "team.group", "form", "Form submitted"),
    _e("team.edit", "team.group", "redirect", "the group cannot be read"),
    _e("team.prolong_confirm", "team.idle", "button", "Pay (paid), Cancel"),
    _e("team.prolong_confirm", "team.card", "button", "Pay (refused)"),
    _e("team.prolong_confirm", "team.prolong_pending", "button", "Pay (outcome unknown)"),
    _e("team.prolong_pending", "team.idle", "button", "Refresh (paid)"),
    _e("team.prolong_pending", "team.card", "button", "Refresh (refused)"),
    _e("team.prolong_pending", "team.prolong_confirm", "button", "Refresh (Zadarma away, balance low)"),
    # -- menu, help, language ----------------------------------------------------------------
    _e("menu", "order.country", "button", "Order a number"),
    _e("menu", "numbers.list", "button", "My numbers"),
    _e("menu", "docs.list", "button", "My documents"),
    _e("menu", "language", "button", "Language"),
    _e("menu", "help", "button", "Help"),
    _e("help", "order.country", "button", "Order a number"),
    _e("language", "menu", "button", "a language, Back"),
    # -- ordering ----------------------------------------------------------------------------
    _e("order.country", "order.direction", "button", "a country"),
    _e("order.country", "order.direction", "text", "a name or code matching one country"),
    _e("order.country", "menu", "button", "Back"),
    _e("order.direction", "order.number", "button", "a direction"),
    _e("order.direction", "order.country", "button", "Back"),
    _e("order.direction", "order.country", "fallback", "country gone"),
    _e("order.number", "order.group", "button", "a number, documents needed"),
    _e("order.number", "order.confirm", "button", "a number, no documents needed"),
    _e("order.number", "order.direction", "button", "Back"),
    _e("order.number", "order.direction", "fallback", "direction gone"),
    _e("order.group", "order.upload", "button", "a group lacking files"),
    _e("order.group", "order.doc_status", "button", "a group with its files"),
    _e("order.group", "order.form", "button", "New group"),
    _e("order.group", "order.number", "button", "Back"),
    _e("order.group", "order.number", "fallback", "direction gone"),
    _e("order.form", "order.group", "button", "Back at the first question"),
    _e("order.form", "order.upload", "button", "Create, files missing"),
    _e("order.form", "order.doc_status", "button", "Create"),
    _e("order.form", "order.upload", "form", "Form submitted, files missing"),
    _e("order.form", "order.doc_status", "form", "Form submitted"),
    _e("order.upload", "order.doc_status", "file", "the last file"),
    _e("order.upload", "order.group", "button", "Back"),
    _e("order.doc_status", "order.group", "redirect", "no group chosen"),
    _e("order.doc_status", "order.group", "button", "Other group, Back"),
    _e("order.doc_status", "order.group", "fallback", "group gone"),
    _e("order.doc_status", "order.confirm", "button", "Continue"),
    _e("order.doc_status", "order.upload", "button", "Upload"),
    _e("order.doc_status", "order.edit", "button", "Edit"),
    _e("order.edit", "order.doc_status", "button", "Back, Save"),
    _e("order.edit", "order.upload", "button", "Save, files missing"),
    _e("order.edit", "order.doc_status", "form", "Form submitted"),
    _e("order.edit", "order.upload", "form", "Form submitted, files missing"),
    _e("order.edit", "order.doc_status", "fallback", "group gone"),
    _e("order.confirm", "order.pending", "button", "Confirm, outcome unknown"),
    _e("order.confirm", "order.sip", "button", "Confirm, placed"),
    _e("order.confirm", "menu", "button", "Confirm, reserved or contested"),
    _e("order.confirm", "order.number", "button", "Back, Confirm when the number is gone"),
    _e("order.confirm", "order.doc_status", "button", "Back, documents needed"),
    _e("order.confirm", "order.number", "redirect", "no number chosen"),
    _e("order.confirm", "order.number", "fallback", "direction gone"),
    _e("order.pending", "order.sip", "button", "Refresh, placed"),
    _e("order.pending", "menu", "button", "Refresh, reserved or contested"),
    _e("order.pending", "order.number", "button", "Refresh, number gone"),
    _e("order.pending", "order.confirm", "button", "Refresh, refused"),
    _e("order.sip", "order.done", "button", "a SIP login, Skip"),
    _e("order.sip", "order.done", "text", "a SIP URI"),
    _e("order.done", "numbers.card", "button", "Manage"),
    # -- my numbers --------------------------------------------------------------------------
    _e("numbers.list", "numbers.card", "button", "a number"),
    _e("numbers.list", "order.country", "button", "Order a number, none yet"),
    _e("numbers.card", "numbers.messages", "button", "Messages"),
    _e("numbers.card", "numbers.prolong", "button", "Prolong"),
    _e("numbers.card", "numbers.caller_name", "button", "Caller name"),
    _e("numbers.card", "numbers.sip", "button", "SIP"),
    _e("numbers.card", "numbers.list", "button", "Back"),
    _e("numbers.card", "numbers.list", "fallback", "not owned or gone"),
    _e("numbers.messages", "numbers.card", "button", "Back"),
    _e("numbers.messages", "numbers.list", "fallback", "not owned or gone"),
    _e("numbers.caller_name", "numbers.card", "button", "Back"),
    _e("numbers.caller_name", "numbers.card", "text", "a caller name"),
    _e("numbers.sip", "numbers.card", "button", "a SIP login, Back"),
    _e("numbers.sip", "numbers.card", "text", "a SIP URI"),
    _e("numbers.prolong", "numbers.prolong_confirm", "button", "months"),
    _e("numbers.prolong", "numbers.card", "button", "Back"),
    _e("numbers.prolong_confirm", "numbers.prolong_pending", "button", "Confirm, outcome unknown"),
    _e("numbers.prolong_confirm", "numbers.card", "button", "Confirm, prolonged or refused"),
    _e("numbers.prolong_confirm", "numbers.prolong", "button", "Back"),
    _e("numbers.prolong_confirm", "numbers.list", "fallback", "not owned or gone"),
    _e("numbers.prolong_pending", "numbers.card", "button", "Refresh, settled"),
    _e("numbers.prolong_pending", "numbers.prolong_confirm", "button", "Refresh, refused"),
    # -- my documents ------------------------------------------------------------------------
    _e("docs.list", "docs.group", "button", "a group"),
    _e("docs.list", "docs.form", "button", "New group"),
    _e("docs.form", "docs.list", "button", "Back at the first question"),
    _e("docs.form", "docs.group", "button", "Create"),
    _e("docs.form", "docs.group", "form", "Form submitted"),
    _e("docs.group", "docs.list", "redirect", "no group open"),
    _e("docs.group", "docs.list", "button", "Back"),
    _e("docs.group", "docs.list", "fallback", "not owned or gone"),
    _e("docs.group", "docs.upload_type", "button", "Upload"),
    _e("docs.group", "docs.edit", "button", "Edit"),
    _e("docs.upload_type", "docs.upload", "button", "a document type"),
    _e("docs.upload_type", "docs.list", "button", "a type with no group open"),
    _e("docs.upload_type", "docs.group", "button", "Back"),
    _e("docs.upload", "docs.group", "file", "the last file"),
    _e("docs.upload", "docs.upload_type", "button", "Back"),
    _e("docs.edit", "docs.group", "button", "Back, Save"),
    _e("docs.edit", "docs.group", "form", "Form submitted"),
    _e("docs.edit", "docs.group", "fallback", "not owned or gone"),
)
"""Every legitimate move; one edge per (source, target, trigger)."""

_EXACT: dict[tuple[Source, StepName, Trigger], Edge] = {
    (e.source, e.target, e.trigger): e for e in TRANSITIONS
}


def edge_for(move: Move) -> Edge | None:
    """The declared edge ``move`` takes: the one from its step, else the one from :data:`ANY`."""
    if move.trigger is None:
        return None
    return _EXACT.get((move.source, move.target, move.trigger)) or _EXACT.get(
        ("*", move.target, move.trigger)
    )


MoveObserver: TypeAlias = Callable[[Move, Edge | None], None]
_observers: list[MoveObserver] = []


def observe(observer: MoveObserver) -> Callable[[], None]:
    """Call ``observer`` with every move checked from now on (and its edge, ``None`` if undeclared).

    Process-wide, like a logging handler: engines are built in many places and
    every one of them reports here. Returns the function that stops it. An
    exception the observer raises propagates out of the move (the tests raise
    :class:`UndeclaredTransition` this way).
    """
    _observers.append(observer)
    return lambda: _observers.remove(observer)


def check(move: Move) -> Edge | None:
    """Look ``move`` up; an undeclared one is logged as an error (and kept: see the module docs)."""
    edge = edge_for(move)
    if edge is None:
        log.error(
            "undeclared conversation transition",
            extra={"source": move.source, "target": move.target, "trigger": move.trigger},
        )
    for observer in tuple(_observers):
        observer(move, edge)
    return edge


# -- the diagram -------------------------------------------------------------------------------


def _node(source: Source) -> str:
    return "any_step" if source == "*" else source.replace(".", "_")


def _shown(edge: Edge) -> str:
    return edge.label if edge.trigger in {"button", "command"} else f"{edge.label} ({edge.trigger})"


def mermaid(edges: Iterable[Edge] = TRANSITIONS) -> str:
    """The table as a Mermaid ``stateDiagram-v2``: one arrow per pair of steps, its reasons joined."""
    edges = tuple(edges)
    names: dict[Source, None] = {"menu": None}
    for edge in edges:
        names.setdefault(edge.source)
        names.setdefault(edge.target)
    out = ["stateDiagram-v2"]
    for name in names:
        out.append(f'    state "{"any step" if name == "*" else name}" as {_node(name)}')
    out.append("    [*] --> menu")
    arrows: dict[tuple[Source, StepName], list[str]] = {}
    for edge in edges:
        arrows.setdefault((edge.source, edge.target), []).append(_shown(edge))
    for (source, target), labels in arrows.items():
        out.append(f"    {_node(source)} --> {_node(target)} : {' · '.join(labels)}")
    return "\n".join(out) + "\n"


def markdown(edges: Iterable[Edge] = TRANSITIONS) -> str:
    """The docs page: the diagram and the table of edges."""
    edges = tuple(edges)
    rows = [
        f"| `{e.source}` | `{e.target}` | {e.trigger} | {e.label} |"
        for e in sorted(edges, key=lambda e: (e.source, e.target, e.trigger))
    ]
    return "\n".join(
        [
            "# Conversation states",
            "",
            "Generated from `conversations/transitions.py` by `python -m conversations.transitions`;",
            "do not edit by hand (`tests/unit/conversations/test_transitions.py` checks it is current).",
            "",
            "Every move a step or the engine makes is checked against this table. `any step` stands",
            "for the moves the engine makes from wherever the conversation is: commands, the Menu and",
            "Cancel buttons, alert buttons, and the way back to the menu when a flow lost its data.",
            f"{len(edges)} transitions.",
            "",
            "```mermaid",
            mermaid(edges).rstrip("\n"),
            "```",
            "",
            "| from | to | trigger | why |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
        ]
    )


if __name__ == "__main__":
    print(markdown(), end="")
