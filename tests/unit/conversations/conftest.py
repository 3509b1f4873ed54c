"""Fixtures: the real services over the in-process emulator, memory storage and an engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.conversations.support import Chat, World, build_world


@pytest.fixture
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    """The world; ``@pytest.mark.sandbox(**settings)`` configures its emulator."""
    marker = request.node.get_closest_marker("sandbox")
    built, http = await build_world(**(marker.kwargs if marker else {}))
    async with http:
        yield built


@pytest.fixture
def chat(world: World) -> Chat:
    return world.chat("1001")
