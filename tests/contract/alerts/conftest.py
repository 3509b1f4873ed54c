"""Fixtures for the alert scenarios against the emulator.

The repository root is put on ``sys.path`` so ``tests.*`` helper modules
import the same way under any pytest import mode.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.contract.alerts.alert_world import World, close_world, open_world  # noqa: E402


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """The emulator (account in UTC+3, clock frozen at 2026-01-31 00:30 local) and SQLite storage."""
    w = await open_world(tmp_path)
    yield w
    await close_world(w)
