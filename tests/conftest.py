"""Suite-wide options: the emulator mode(s) of the end-to-end suites, and the servers some suites need.

A test (or fixture) that takes ``sandbox_realistic`` runs once per mode chosen
with ``--sandbox-mode`` (default ``both``): against the exact emulator and
against its realistic mode (``bot.sandbox.realistic``).

A test that takes ``postgres_url`` or ``redis_url`` needs that server, and one
that takes ``chromium_path`` a browser (``tests/external.py``): it is skipped
when the server does not answer (or the browser is missing), and the run ends by
naming the skipped suites; ``--require-services`` makes a missing one stop the
run instead.

Every conversation move is checked against ``conversations/transitions.py``
(``tests/transition_record.py``): an undeclared move fails the test that made
it, and a session that ran the whole of ``tests/unit/conversations`` (and
passed) fails when a declared transition was never taken. Every render is
checked to change nothing (``tests/render_record.py``): one that changes the
conversation's state fails the test that made it.

In a parallel run (pytest-xdist, ``python3 dev.py test``) each worker sends
what it saw to the controller at its end (``config.workeroutput``): the moves
taken (so the verdict covers every worker's tests) and the tests skipped for a
missing service; the controller judges and prints the summary.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from conversations import purity
from conversations.transitions import observe
from tests.external import CHROMIUM, POSTGRES, REDIS, SERVICES, Need
from tests.render_record import RENDERS, RenderRecord
from tests.transition_record import SEEN, TransitionRecord

_MODES = {"exact": [False], "realistic": [True], "both": [False, True]}
_SKIPPED = pytest.StashKey[dict[str, int]]()
_VERDICT = pytest.StashKey[list[str] | None]()
_UNDECLARED_BEFORE = pytest.StashKey[int]()
_IMPURE_BEFORE = pytest.StashKey[int]()
_SHARED = "tests.conftest"  # the key of what a worker sends its controller (config.workeroutput)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sandbox-mode",
        choices=sorted(_MODES),
        default="both",
        help="emulator mode(s) for the end-to-end suites: exact, realistic or both (default)",
    )
    parser.addoption(
        "--require-services",
        action="store_true",
        default=False,
        help="fail at once when PostgreSQL (TEST_POSTGRES_URL) or Redis (TEST_REDIS_URL) does not answer "
        "or Chromium (TEST_CHROMIUM) is missing",
    )


def pytest_configure(config: pytest.Config) -> None:
    record = TransitionRecord(Path(__file__).resolve().parents[1])
    config.stash[SEEN] = record
    config.add_cleanup(observe(record))
    renders = RenderRecord()
    config.stash[RENDERS] = renders
    config.add_cleanup(purity.observe(renders))


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[SEEN].collected(session)


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        items[0].config.stash[SEEN].deselected(items)


def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_UNDECLARED_BEFORE] = len(item.config.stash[SEEN].undeclared)
    item.stash[_IMPURE_BEFORE] = len(item.config.stash[RENDERS].changes)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    record = item.config.stash[SEEN]
    if report.when == "teardown":
        record.finished(item.nodeid)
    undeclared = record.undeclared[item.stash.get(_UNDECLARED_BEFORE, 0) :]
    impure = item.config.stash[RENDERS].changes[item.stash.get(_IMPURE_BEFORE, 0) :]
    if report.when == "call" and report.passed and undeclared:
        # The UndeclaredTransition raised at the move was swallowed on its way to the test.
        report.outcome = "failed"
        report.longrepr = "undeclared conversation transitions: " + ", ".join(
            f"{m.source} -> {m.target} on {m.trigger}" for m in undeclared
        )
    elif report.when == "call" and report.passed and impure:
        # The ImpureRender raised at the render was swallowed on its way to the test.
        report.outcome = "failed"
        report.longrepr = "renders that changed the conversation's state: " + ", ".join(
            f"{c.step} ({', '.join(c.fields)})" for c in impure
        )
    return report


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sandbox_realistic" in metafunc.fixturenames:
        values = _MODES[metafunc.config.getoption("--sandbox-mode")]
        metafunc.parametrize(
            "sandbox_realistic", values, ids=["realistic" if v else "exact" for v in values], scope="function"
        )


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_SKIPPED] = {}
    if not session.config.getoption("--require-services"):
        return
    missing = [f"{s.name} ({s.variable}): {why}" for s in SERVICES if (why := s.unreachable())]
    if missing:
        raise pytest.UsageError("--require-services: " + "; ".join(missing))


def _need(request: pytest.FixtureRequest, service: Need) -> str:
    why = service.unreachable()
    if why is not None:
        skipped = request.config.stash[_SKIPPED]
        skipped[service.name] = skipped.get(service.name, 0) + 1
        pytest.skip(f"{service.name} not available: {why}; set {service.variable}")
    return service.url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The URL of a PostgreSQL database for the test (skips the test when none answers)."""
    return _need(request, POSTGRES)


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> str:
    """The URL of a Redis server for the test (skips the test when none answers)."""
    return _need(request, REDIS)


@pytest.fixture
def chromium_path(request: pytest.FixtureRequest) -> str:
    """The Chromium executable for the browser tests (skips the test when there is none, or no playwright)."""
    return _need(request, CHROMIUM)


def _worker_output(config: pytest.Config) -> dict[str, Any] | None:
    """What a pytest-xdist worker sends its controller at the end (``None`` outside a worker)."""
    output: dict[str, Any] | None = getattr(config, "workeroutput", None)
    return output


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist's controller starts a worker: the verdict waits for its report."""
    node.config.stash[SEEN].expect_worker(str(node.gateway.id))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """A pytest-xdist worker ended: take its moves and its skipped counts (none if it crashed)."""
    output: dict[str, Any] | None = getattr(node, "workeroutput", None)
    shared = output.get(_SHARED) if output else None
    node.config.stash[SEEN].absorb(str(node.gateway.id), shared["transitions"] if shared else None)
    if shared:
        skipped = node.config.stash[_SKIPPED]
        for name, count in shared["skipped"].items():
            skipped[name] = skipped.get(name, 0) + count


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    output = _worker_output(session.config)
    if output is not None:  # a worker: the controller judges what every worker saw
        output[_SHARED] = {
            "transitions": session.config.stash[SEEN].report(),
            "skipped": session.config.stash[_SKIPPED],
        }
        return
    verdict = session.config.stash[SEEN].verdict(exitstatus)
    session.config.stash[_VERDICT] = verdict
    if verdict:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    verdict = config.stash.get(_VERDICT, None)
    if verdict:
        terminalreporter.write_line(
            f"{len(verdict)} declared conversation transitions were never taken "
            "(add a test that takes each, or remove an impossible one from conversations/transitions.py):",
            red=True,
        )
        for line in verdict:
            terminalreporter.write_line(f"  {line}", red=True)
    elif verdict is not None:
        terminalreporter.write_line("every declared conversation transition was taken", green=True)
    skipped = config.stash.get(_SKIPPED, {})
    for service in SERVICES:
        if count := skipped.get(service.name):
            terminalreporter.write_line(
                f"skipped {count} tests that need {service.name}: {service.unreachable()} "
                f"(set {service.variable}; .ci/run requires it)",
                yellow=True,
            )
