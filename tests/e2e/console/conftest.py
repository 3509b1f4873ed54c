"""Every demo a test starts is stopped at teardown, whatever the test's outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.e2e.console.driver import Demo


@pytest.fixture
def start_demo() -> Iterator[Callable[..., Demo]]:
    started: list[Demo] = []

    def start(*args: str) -> Demo:
        demo = Demo(*args)
        started.append(demo)
        return demo

    yield start
    for demo in started:
        demo.kill()
