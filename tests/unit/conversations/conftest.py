"""Fixtures: the real services over the in-process emulator, memory storage and an engine (tests.stack)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.conversations.support import Chat, World, open_world


@pytest.fixture
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    """The world; ``@pytest.mark.sandbox(**settings)`` configures its emulator."""
    marker = request.node.get_closest_marker("sandbox")
    async with open_world(**(marker.kwargs if marker else {})) as opened:
        yield opened


@pytest.fixture
def chat(world: World) -> Chat:
    return world.chat("1001")
