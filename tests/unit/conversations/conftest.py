"""Fixtures: the real services over the in-process emulator, memory storage and an engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.conversations.support import Chat, World, build_world


@pytest.fixture
async def world() -> AsyncIterator[World]:
    built, http = await build_world()
    async with http:
        yield built


@pytest.fixture
def chat(world: World) -> Chat:
    return world.chat("1001")
