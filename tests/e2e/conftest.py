"""The end-to-end suites' choice of emulator modes.

A suite's emulator fixture takes ``sandbox_realistic``, so each of its tests
runs against the exact emulator and against the realistic one (see
``tests/conftest.py``). A case marked ``exact_emulator_only`` keeps only its
exact run: its realistic run would read nothing another realistic case does
not read already (the reason is given in the mark), and the time is better
spent elsewhere. Its realistic run is deselected, so the summary counts it.
"""

from __future__ import annotations

import pytest


def _realistic_run_left_out(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    realistic = callspec is not None and callspec.params.get("sandbox_realistic") is True
    return realistic and item.get_closest_marker("exact_emulator_only") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    left_out = [item for item in items if _realistic_run_left_out(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _realistic_run_left_out(item)]
