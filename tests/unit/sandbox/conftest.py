"""Fixtures for the sandbox unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.sandbox import Sandbox
from tests.unit.sandbox.sandbox_helpers import SignedClient, make_sandbox


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh sandbox with a frozen clock."""
    return make_sandbox()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SignedClient]:
    """A signed client talking to ``sandbox`` in-process."""
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox.test") as http:
        yield SignedClient(http)
