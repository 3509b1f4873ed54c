"""Both production transports (``ZADARMA_TRANSPORT``) fail, time out, retry and read the rate limit alike.

Each test runs the real client over a real socket on 127.0.0.1, once over
httpx's own transport and once over aiohttp's, against the emulator or a raw
server that misbehaves in one precise way.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from aiohttp import web

from bot.app import ZADARMA_LIMITS, http_client
from bot.config import Settings
from bot.sandbox import Sandbox, SandboxConfig
from bot.zadarma import RateLimiter, ZadarmaClient, ZadarmaTransportError
from bot.zadarma.transport import TRANSPORT_NAMES, AiohttpTransport, TransportName, env_proxy, make_transport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Attempts:
    """What the client's observer was told: one status per attempt."""

    statuses: list[str] = field(default_factory=list)

    def api_call(self, path: str, status: str, seconds: float) -> None:
        self.statuses.append(status)


@pytest.fixture(params=TRANSPORT_NAMES)
def transport_name(request: pytest.FixtureRequest) -> TransportName:
    name: TransportName = request.param
    return name


def client(
    http: httpx.AsyncClient, base: str, *, secret: str = "s", observer: Attempts | None = None, **kw: float
) -> ZadarmaClient:
    return ZadarmaClient(
        http,
        base_url=base,
        key="k",
        secret=secret,
        limiter=RateLimiter(10_000),
        backoff=0.01,
        observer=observer,
        timeout=kw.get("timeout", 15.0),
        connect_timeout=kw.get("connect_timeout"),
        max_retries=int(kw.get("max_retries", 3)),
    )


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Handler], Awaitable[tuple[str, list[int]]]]]:
    """Starts a TCP server on 127.0.0.1 with a handler; yields its URL and a list counting connections."""
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> tuple[str, list[int]]:
        connections: list[int] = []

        async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(1)
            try:
                await handler(reader, writer)
            finally:
                writer.close()

        server = await asyncio.start_server(counted, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}", connections

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


async def test_the_setting_picks_the_transport() -> None:
    async with http_client(Settings(zadarma_transport="aiohttp")) as http:
        assert isinstance(http._transport, AiohttpTransport)
    async with http_client(Settings(zadarma_transport="httpx")) as http:
        assert isinstance(http._transport, httpx.AsyncHTTPTransport)
    assert Settings().zadarma_transport == "aiohttp"


async def test_a_refused_connection_means_the_order_was_not_sent(transport_name: TransportName) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the test sends
    attempts = Attempts()
    async with httpx.AsyncClient(transport=make_transport(transport_name, ZADARMA_LIMITS)) as http:
        api = client(http, f"http://127.0.0.1:{port}", observer=attempts)
        with pytest.raises(ZadarmaTransportError) as info:
            await api.request("POST", "/v1/direct_numbers/order/", {"direction_id": 1})
        assert "could not connect" in str(info.value) and not info.value.outcome_unknown
        with pytest.raises(ZadarmaTransportError):
            await api.balance()
    assert attempts.statuses == ["error"] * 5  # the POST once, the GET 1 + 3 retries


async def test_a_reply_that_never_comes_times_out_and_only_gets_are_retried(
    transport_name: TransportName, raw_server: Callable[[Handler], Awaitable[tuple[str, list[int]]]]
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    base, connections = await raw_server(silent)
    attempts = Attempts()
    async with httpx.AsyncClient(transport=make_transport(transport_name, ZADARMA_LIMITS)) as http:
        # a busy machine may take longer than the reply's 0.3 s to connect; this test is about the reply
        api = client(http, base, observer=attempts, timeout=0.3, connect_timeout=5.0, max_retries=1)
        started = time.monotonic()
        with pytest.raises(ZadarmaTransportError) as info:
            await api.request("POST", "/v1/direct_numbers/order/", {"direction_id": 1})
        assert info.value.outcome_unknown and "no reply: ReadTimeout" in str(info.value)
        assert time.monotonic() - started < 2
        with pytest.raises(ZadarmaTransportError) as got:
            await api.balance()
        assert not got.value.outcome_unknown
    assert attempts.statuses == ["timeout"] * 3
    assert len(connections) == 3


@pytest.mark.parametrize(
    "reply", [b"", b"NOT HTTP AT ALL\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{}"]
)
async def test_a_closed_or_broken_reply_leaves_a_post_unknown_and_a_get_retried(
    transport_name: TransportName,
    raw_server: Callable[[Handler], Awaitable[tuple[str, list[int]]]],
    reply: bytes,
) -> None:
    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(reply)
        await writer.drain()

    base, connections = await raw_server(broken)
    attempts = Attempts()
    async with httpx.AsyncClient(transport=make_transport(transport_name, ZADARMA_LIMITS)) as http:
        api = client(http, base, observer=attempts, max_retries=2)
        with pytest.raises(ZadarmaTransportError) as info:
            await api.request("POST", "/v1/direct_numbers/order/", {"direction_id": 1})
        assert info.value.outcome_unknown and "no reply" in str(info.value)
        with pytest.raises(ZadarmaTransportError) as put:
            await api.request("PUT", "/v1/direct_numbers/incoming_channels/", {"number": "1", "channels": 2})
        assert put.value.outcome_unknown
        with pytest.raises(ZadarmaTransportError):
            await api.balance()
    assert attempts.statuses == ["error"] * 5  # the POST and the PUT once, the GET 1 + 2 retries
    assert len(connections) == 5  # nothing sent again behind the client's back


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(SandboxConfig(rate_limit=3, rate_window_seconds=1.0))
    runner = web.AppRunner(sandbox.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    yield sandbox, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_the_rate_limit_headers_are_read_and_a_429_waited_out(
    transport_name: TransportName, emulator: tuple[Sandbox, str]
) -> None:
    sandbox, base = emulator
    async with httpx.AsyncClient(transport=make_transport(transport_name, ZADARMA_LIMITS)) as http:
        api = ZadarmaClient(
            http, base_url=base, key=sandbox.key, secret=sandbox.secret, limiter=RateLimiter(10_000)
        )
        await api.balance()
        limiter = api.limiter
        assert isinstance(limiter, RateLimiter)
        assert (limiter.state.limit, limiter.state.remaining) == (3, 2)
        started = time.monotonic()
        for _ in range(4):
            await api.balance()  # the 4th call of the window is refused with 429, waited out, repeated
        assert time.monotonic() - started >= 0.5


def test_the_proxy_the_environment_names_is_read_once_for_the_api_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    assert env_proxy("https://api.zadarma.com") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    proxy = env_proxy("https://api.zadarma.com")
    assert proxy is not None and proxy.url == httpx.URL("http://proxy.internal:3128")
    assert env_proxy("http://127.0.0.1:8090") is None  # no proxy named for plain http
    monkeypatch.setenv("NO_PROXY", "zadarma.com")
    assert env_proxy("https://api.zadarma.com") is None
    transport = make_transport("aiohttp", ZADARMA_LIMITS, "https://api.zadarma.com")
    assert isinstance(transport, AiohttpTransport) and transport.proxy is None
