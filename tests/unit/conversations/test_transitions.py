"""The declared transition table: consistent with the steps, drawn in the docs, enforced on every move."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from conversations.context import Ctx
from conversations.screens import Screen
from conversations.state import StepName
from conversations.steps import STEPS
from conversations.transitions import (
    TRANSITIONS,
    Edge,
    Move,
    UndeclaredTransition,
    edge_for,
    markdown,
    mermaid,
)
from conversations.ui import ScreenBuilder
from tests.transition_record import SEEN, TransitionRecord
from tests.unit.conversations.support import Chat, t

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "conversation-states.md"


def test_one_edge_per_source_target_and_trigger() -> None:
    keys = [(e.source, e.target, e.trigger) for e in TRANSITIONS]
    assert len(keys) == len(set(keys))


def test_every_step_is_reached_and_has_a_way_out() -> None:
    steps = set(get_args(StepName))
    assert set(STEPS) == steps
    targets = {e.target for e in TRANSITIONS}
    sources = {e.source for e in TRANSITIONS}
    assert steps - {"menu"} <= targets
    # The team console moves only by commands and one-tap buttons, valid whatever step it is on.
    console = {s for s in steps if s.startswith("team.")}
    assert steps - console <= sources
    commanded = {e.target for e in TRANSITIONS if e.source == "*" and e.trigger == "command"}
    assert console - sources <= commanded


def test_fallback_edges_are_exactly_the_steps_fallbacks() -> None:
    declared = {(e.source, e.target) for e in TRANSITIONS if e.trigger == "fallback"}
    assert declared == {(s.name, s.fallback) for s in STEPS.values() if s.fallback is not None}


def test_a_step_edge_wins_over_the_any_step_edge() -> None:
    mine = edge_for(Move("menu", "numbers.list", "button"))
    assert mine is not None and mine.source == "menu"
    assert edge_for(Move("numbers.sip", "numbers.list", "command")) == Edge(
        "*", "numbers.list", "command", "/numbers"
    )
    assert edge_for(Move("numbers.sip", "numbers.list", "button")) is None
    assert edge_for(Move("menu", "numbers.list", None)) is None


def test_the_docs_page_is_what_the_generator_prints() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "conversations.transitions"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    ).stdout
    assert printed == markdown()
    assert DOCS.read_text(encoding="utf-8") == printed, (
        "stale: run python -m conversations.transitions > docs/conversation-states.md"
    )
    assert "docs/conversation-states.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_diagram_uses_plain_ids_and_one_arrow_per_pair() -> None:
    lines = mermaid().splitlines()
    assert lines[0] == "stateDiagram-v2"
    arrows = [line.strip() for line in lines if "-->" in line]
    pairs = [arrow.split(" : ")[0] for arrow in arrows]
    assert len(pairs) == len(set(pairs))
    assert len(pairs) == 1 + len({(e.source, e.target) for e in TRANSITIONS})  # and [*] --> menu
    for arrow in arrows:
        head, _, label = arrow.partition(" : ")
        assert re.fullmatch(r"(\[\*\]|\w+) --> \w+", head), arrow
        assert not set(label) & set(";#:{}\"'"), arrow
    assert (
        "any_step --> menu : /start, /cancel, /language, /help · Menu, Cancel (nav) · flow data gone (lost)"
        in arrows
    )


@pytest.fixture
def record(request: pytest.FixtureRequest) -> TransitionRecord:
    """The session's record of moves (the observer ``tests/conftest.py`` registers)."""
    return request.config.stash[SEEN]


async def test_an_undeclared_move_fails_in_tests(
    chat: Chat, record: TransitionRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def astray(ctx: Ctx, text: str) -> None:
        ctx.go("order.done")

    await chat.start()
    monkeypatch.setattr(STEPS["menu"], "on_text", astray)
    with pytest.raises(UndeclaredTransition, match=r"menu -> order.done on text"):
        await chat.type("anything")
    assert record.undeclared[-1] == Move("menu", "order.done", "text")
    del record.undeclared[-1]  # expected here: not a failure of this test


async def test_a_render_that_moves_fails_in_tests(
    chat: Chat, record: TransitionRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    help_step = STEPS["help"]
    shown = help_step.render

    async def moving(ctx: Ctx, ui: ScreenBuilder) -> Screen:
        ctx.go("language")  # a render must not move: Step.route asks the engine for a redirect
        return await shown(ctx, ui)

    await chat.start()
    monkeypatch.setattr(help_step, "render", moving)
    with pytest.raises(
        UndeclaredTransition, match=r"help -> language on no trigger \(a move while rendering"
    ):
        await chat.press(t("menu.help"))
    assert record.undeclared[-1] == Move("help", "language", None)
    del record.undeclared[-1]


async def test_an_undeclared_move_is_logged_and_kept_in_production(
    chat: Chat, record: TransitionRecord, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def astray(ctx: Ctx, text: str) -> None:
        ctx.go("help")

    await chat.start()
    monkeypatch.setattr(STEPS["menu"], "on_text", astray)
    with record.lenient(), caplog.at_level(logging.ERROR, "conversations.transitions"):
        await chat.type("anything")
    assert await chat.step() == "help"
    [logged] = [r for r in caplog.records if r.name == "conversations.transitions"]
    assert logged.levelno == logging.ERROR
    assert (logged.__dict__["source"], logged.__dict__["target"], logged.__dict__["trigger"]) == (
        "menu",
        "help",
        "text",
    )


async def test_staying_on_the_same_step_is_no_move(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    async def stay(ctx: Ctx, text: str) -> None:
        ctx.go("menu")

    await chat.start()
    monkeypatch.setattr(STEPS["menu"], "on_text", stay)
    await chat.type("anything")  # no UndeclaredTransition for menu -> menu
    assert await chat.step() == "menu"


def test_the_session_verdict_names_the_edges_never_taken(request: pytest.FixtureRequest) -> None:
    record = TransitionRecord(ROOT)
    record.exercised = set(TRANSITIONS[1:])
    assert record.verdict(pytest.ExitCode.OK) == ["* -> menu on command (/start, /cancel, /language, /help)"]
    record.exercised = set(TRANSITIONS)
    assert record.verdict(pytest.ExitCode.OK) == []
    assert record.verdict(pytest.ExitCode.TESTS_FAILED) is None  # failures say nothing about coverage
    record.exercised = set()
    record.deselected([request.node])  # a test of the suites left out: a partial run, no verdict
    assert record.verdict(pytest.ExitCode.OK) is None


def test_a_parallel_run_is_judged_on_what_every_worker_saw(request: pytest.FixtureRequest) -> None:
    """pytest-xdist: the controller absorbs each worker's report; an edge no worker took fails the run."""
    first, second = TransitionRecord(ROOT), TransitionRecord(ROOT)
    first.exercised = set(TRANSITIONS[: len(TRANSITIONS) // 2])
    second.exercised = set(TRANSITIONS[len(TRANSITIONS) // 2 : -1])
    first.finished("tests/unit/conversations/test_a.py::test_one")
    second.finished("tests/unit/conversations/test_b.py::test_two")
    last = TRANSITIONS[-1]
    never = f"{last.source} -> {last.target} on {last.trigger} ({last.label})"

    controller = TransitionRecord(ROOT)
    controller.expect_worker("gw0")
    controller.expect_worker("gw1")
    controller.absorb("gw0", first.report())
    assert controller.verdict(pytest.ExitCode.OK) is None  # gw1's moves are not known yet
    controller.absorb("gw1", second.report())
    assert controller.verdict(pytest.ExitCode.OK) == [never]
    controller.absorb("gw1", {**second.report(), "exercised": [len(TRANSITIONS) - 1]})
    assert controller.verdict(pytest.ExitCode.OK) == []

    crashed = TransitionRecord(ROOT)
    crashed.expect_worker("gw0")
    crashed.expect_worker("gw1")
    crashed.absorb("gw0", {**first.report(), "exercised": list(range(len(TRANSITIONS)))})
    crashed.absorb("gw1", None)  # a worker that died sent nothing: its tests' moves are unknown
    assert crashed.verdict(pytest.ExitCode.OK) is None

    partial = TransitionRecord(ROOT)
    partial.expect_worker("gw0")
    second.deselected([request.node])  # this worker left a test of the suites out
    partial.absorb("gw0", {**second.report(), "exercised": list(range(len(TRANSITIONS)))})
    assert partial.verdict(pytest.ExitCode.OK) is None

    unfinished = TransitionRecord(ROOT)
    unfinished.expect_worker("gw0")
    report = {**first.report(), "expected": [*first.report()["ran"], "tests/unit/conversations/x.py::t"]}
    unfinished.absorb("gw0", {**report, "exercised": list(range(len(TRANSITIONS)))})
    assert unfinished.verdict(pytest.ExitCode.OK) is None  # a selected test of the suites never ran
