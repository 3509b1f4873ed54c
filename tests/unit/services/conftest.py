"""The real services over the in-process emulator and a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.sandbox import Sandbox, SandboxConfig
from bot.services import Actor, Services
from bot.storage import Storage, UserRef, open_storage
from bot.zadarma import RateLimiter, ZadarmaClient


@dataclass
class Stack:
    sandbox: Sandbox
    client: ZadarmaClient
    storage: Storage
    services: Services


ALICE = Actor(UserRef("telegram", "1001"))
BOB = Actor(UserRef("telegram", "1002"))
OPERATOR = Actor(UserRef("slack", "UOPS"), is_operator=True)


@pytest.fixture
async def stack(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """The stack; ``@pytest.mark.sandbox(**settings)`` configures its emulator (e.g. mixed currencies)."""
    marker = request.node.get_closest_marker("sandbox")
    sandbox = Sandbox(SandboxConfig(**(marker.kwargs if marker else {})))
    storage = await open_storage(f"sqlite:///{tmp_path / 'bot.db'}")
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        client = ZadarmaClient(
            http,
            base_url="http://sandbox.local",
            key=sandbox.key,
            secret=sandbox.secret,
            limiter=RateLimiter(10_000),
        )
        yield Stack(sandbox, client, storage, Services.build(client, storage))
    await storage.close()
