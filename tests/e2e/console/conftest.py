"""Every demo a test starts is stopped at teardown, whatever the test's outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.e2e.console.driver import Demo


@pytest.fixture
def start_demo(sandbox_realistic: bool) -> Iterator[Callable[..., Demo]]:
    """Starts ``python -m bot demo`` with the given arguments, against the exact or realistic emulator."""
    started: list[Demo] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Demo:
        demo = Demo(*args, *(["--realistic"] if sandbox_realistic else []), env=env)
        started.append(demo)
        return demo

    yield start
    for demo in started:
        demo.kill()
