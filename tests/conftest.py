"""Suite-wide options: which emulator mode the end-to-end suites run against.

A test (or fixture) that takes ``sandbox_realistic`` runs once per mode chosen
with ``--sandbox-mode`` (default ``both``): against the exact emulator and
against its realistic mode (``bot.sandbox.realistic``).
"""

from __future__ import annotations

import pytest

_MODES = {"exact": [False], "realistic": [True], "both": [False, True]}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sandbox-mode",
        choices=sorted(_MODES),
        default="both",
        help="emulator mode(s) for the end-to-end suites: exact, realistic or both (default)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sandbox_realistic" in metafunc.fixturenames:
        values = _MODES[metafunc.config.getoption("--sandbox-mode")]
        metafunc.parametrize(
            "sandbox_realistic", values, ids=["realistic" if v else "exact" for v in values], scope="function"
        )
