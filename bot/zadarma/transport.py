"""The HTTP transports the Zadarma client's ``httpx.AsyncClient`` can run on.

``aiohttp`` (the default) sends through aiohttp via ``httpx-aiohttp``: the
client keeps httpx's API, and a signed call costs a third to a half less CPU
than over httpx's own transport (``bench/transport_cost.py``). ``httpx`` is
httpx's own (httpcore) transport.

Both must fail alike, because :class:`~bot.zadarma.client.ZadarmaClient`
decides from the error whether a POST may have reached Zadarma: a connect
error means it did not, anything later means nobody knows. ``httpx-aiohttp``
reports a connection the server closed as a ``ConnectTimeout`` and lets a
malformed reply through as an aiohttp error, so :class:`AiohttpTransport`
classifies aiohttp's errors itself, as httpx's transport does.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator
from typing import Final, Literal
from urllib.parse import urlsplit

import aiohttp
import httpx
import httpx_aiohttp

TransportName = Literal["aiohttp", "httpx"]
TRANSPORT_NAMES: Final[tuple[TransportName, ...]] = ("aiohttp", "httpx")


def make_transport(
    name: TransportName, limits: httpx.Limits, url: str = ""
) -> httpx.AsyncBaseTransport | None:
    """A new transport of kind ``name`` with the pool ``limits`` (HTTP/1.1, keep-alive), for ``url``.

    ``None`` for ``httpx``: ``httpx.AsyncClient`` then builds its own, which
    honours the proxy the environment names (``HTTPS_PROXY``, ``NO_PROXY``...).
    The aiohttp one is given that proxy for ``url`` once, here (aiohttp's own
    ``trust_env`` would read the environment and ``.netrc`` on every call).
    """
    if name == "httpx":
        return None
    return AiohttpTransport(limits=limits, proxy=env_proxy(url))


def env_proxy(url: str) -> httpx.Proxy | None:
    """The proxy the environment names for ``url`` (``None``: none, or ``NO_PROXY`` exempts its host)."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    chosen = proxies.get(parts.scheme) or proxies.get("all")
    if not chosen or not parts.hostname or urllib.request.proxy_bypass(parts.hostname):
        return None
    return httpx.Proxy(chosen)


def _classified(exc: BaseException, request: httpx.Request) -> httpx.TransportError | None:
    """``exc`` (an aiohttp error, or httpx-aiohttp's translation of one) as httpx's transport raises it."""
    cause = exc.__cause__ if isinstance(exc, httpx.TransportError) else exc
    if isinstance(cause, aiohttp.ClientConnectorError):  # refused, unreachable, no such host
        return httpx.ConnectError(str(cause), request=request)
    if isinstance(cause, aiohttp.ConnectionTimeoutError):  # no pooled connection, or no connect in time
        return httpx.ConnectTimeout(str(cause), request=request)
    if isinstance(cause, aiohttp.ServerTimeoutError):  # no byte of the reply in time
        return httpx.ReadTimeout(str(cause), request=request)
    if isinstance(cause, aiohttp.ClientError):  # closed, reset or malformed after the request went out
        return httpx.RemoteProtocolError(str(cause) or type(cause).__name__, request=request)
    return None


class AiohttpTransport(httpx_aiohttp.AiohttpTransport):
    """``httpx-aiohttp``'s transport with httpx's error classes, no repeats of its own, a bound on sending.

    aiohttp has no write timeout: sending the request (an upload, say) is
    bounded by the sum of the request's connect, write, read and pool
    timeouts instead, after which it fails as a ``WriteTimeout``.
    """

    def get_client(self) -> aiohttp.ClientSession:
        """The session: the pool limits, cookies left to httpx, no ``trust_env`` (see make_transport)."""
        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
        # aiohttp silently sends a GET or PUT again when the server closes the connection without a
        # reply; the client alone decides what is repeated (a PUT never is). aiohttp's test client
        # turns it off the same way.
        if hasattr(session, "_retry_connection"):
            session._retry_connection = False
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        bound = sum(float(timeouts.get(k) or 0) for k in ("connect", "write", "read", "pool"))
        try:
            async with asyncio.timeout(bound or None):
                response = await super().handle_async_request(request)
        except TimeoutError as exc:
            late = httpx.WriteTimeout("sending the request took too long", request=request)
            raise (_classified(exc, request) or late) from exc
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            classified = _classified(exc, request)
            if classified is None:
                raise
            raise classified from exc
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _ClassifiedStream(response.stream, request)
        return response


class _ClassifiedStream(httpx.AsyncByteStream):
    """A reply body whose read errors are classified like the request's."""

    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            classified = _classified(exc, self._request)
            if classified is None:
                raise
            raise classified from exc

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            classified = _classified(exc, self._request)
            if classified is None:
                raise
            raise classified from exc
