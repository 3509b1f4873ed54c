"""The real services over the in-process emulator and a real SQLite file, opened by the composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox import Sandbox, SandboxConfig
from bot.services import Actor
from bot.storage import UserRef
from tests.stack import Stack, open_stack

__all__ = ["ALICE", "BOB", "OPERATOR", "Stack"]

ALICE = Actor(UserRef("telegram", "1001"))
BOB = Actor(UserRef("telegram", "1002"))
OPERATOR = Actor(UserRef("slack", "UOPS"), is_operator=True)


@pytest.fixture
async def stack(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """The stack; ``@pytest.mark.sandbox(**settings)`` configures its emulator (e.g. mixed currencies)."""
    marker = request.node.get_closest_marker("sandbox")
    sandbox = Sandbox(SandboxConfig(**(marker.kwargs if marker else {})))
    async with open_stack(sandbox, database_url=f"sqlite:///{tmp_path / 'bot.db'}") as opened:
        yield opened
