"""Fixtures for the sandbox contract tests (in-process and over a real socket)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp.test_utils import TestServer

from bot.sandbox import Sandbox
from tests.unit.sandbox.sandbox_helpers import SignedClient, make_sandbox


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh sandbox with a frozen clock."""
    return make_sandbox()


@pytest.fixture
async def server_url(sandbox: Sandbox) -> AsyncIterator[str]:
    """``sandbox`` served by aiohttp on a free port of 127.0.0.1."""
    async with TestServer(sandbox.app(), host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/")


@pytest.fixture
async def socket_client(server_url: str) -> AsyncIterator[SignedClient]:
    """A signed client talking to ``sandbox`` over a real socket."""
    async with httpx.AsyncClient(base_url=server_url, timeout=10) as http:
        yield SignedClient(http)


@pytest.fixture(params=["in-process", "socket"])
async def client(request: pytest.FixtureRequest, sandbox: Sandbox) -> AsyncIterator[SignedClient]:
    """A signed client over the httpx transport or over a real socket (both are tested)."""
    if request.param == "in-process":
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox.test") as http:
            yield SignedClient(http)
    else:
        async with TestServer(sandbox.app(), host="127.0.0.1") as server:
            base = str(server.make_url("")).rstrip("/")
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                yield SignedClient(http)
