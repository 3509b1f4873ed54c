"""Suite-wide options: the emulator mode(s) of the end-to-end suites, and the servers some suites need.

A test (or fixture) that takes ``sandbox_realistic`` runs once per mode chosen
with ``--sandbox-mode`` (default ``both``): against the exact emulator and
against its realistic mode (``bot.sandbox.realistic``).

A test that takes ``postgres_url`` or ``redis_url`` needs that server
(``tests/external.py``): it is skipped when the server does not answer, and the
run ends by naming the skipped suites; ``--require-services`` makes a missing
server stop the run instead.
"""

from __future__ import annotations

import pytest

from tests.external import POSTGRES, REDIS, SERVICES, ExternalService

_MODES = {"exact": [False], "realistic": [True], "both": [False, True]}
_SKIPPED = pytest.StashKey[dict[str, int]]()


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
        help="fail at once when PostgreSQL (TEST_POSTGRES_URL) or Redis (TEST_REDIS_URL) does not answer",
    )


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


def _need(request: pytest.FixtureRequest, service: ExternalService) -> str:
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    skipped = config.stash.get(_SKIPPED, {})
    for service in SERVICES:
        if count := skipped.get(service.name):
            terminalreporter.write_line(
                f"skipped {count} tests that need {service.name}: {service.unreachable()} "
                f"(set {service.variable}; .ci/run requires it)",
                yellow=True,
            )
