"""The Zadarma client's HTTP client keeps no cookies: a reply's ``Set-Cookie`` never comes back.

A real aiohttp server on 127.0.0.1 sets a cookie on every reply and echoes the
``Cookie`` header it was sent; the client is the one ``bot.app.http_client``
builds, over each production transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import http_client
from bot.config import Settings
from bot.zadarma.cookieless import CookielessClient, NoCookies
from bot.zadarma.transport import TRANSPORT_NAMES, TransportName


@pytest.fixture
async def cookie_server() -> AsyncIterator[str]:
    async def handler(request: web.Request) -> web.Response:
        response = web.json_response({"sent": request.headers.get("Cookie", "")})
        response.set_cookie("session", "abc", path="/")
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("/"))


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
async def test_a_cookie_the_server_sets_is_not_sent_back(
    cookie_server: str, transport: TransportName
) -> None:
    async with http_client(Settings(zadarma_transport=transport)) as http:
        assert isinstance(http, CookielessClient)
        first = await http.get(cookie_server)
        assert first.headers["set-cookie"].startswith("session=abc")
        second = await http.get(cookie_server)
    assert second.json() == {"sent": ""}
    assert len(http.cookies) == 0 and not http.cookies.jar


async def test_plain_httpx_would_have_sent_it_back(cookie_server: str) -> None:
    """The server and the check above can tell: httpx's own client does send the cookie again."""
    async with httpx.AsyncClient() as http:
        await http.get(cookie_server)
        second = await http.get(cookie_server)
    assert second.json() == {"sent": "session=abc"}


def test_cookies_cannot_be_added_by_hand() -> None:
    jar = NoCookies()
    jar.set("session", "abc", domain="example.org")
    jar.update({"other": "x"})
    assert len(jar) == 0 and jar.get("session") is None


async def test_giving_the_client_cookies_is_refused() -> None:
    with pytest.raises(ValueError, match="no cookies"):
        CookielessClient(cookies={"session": "abc"})
    async with CookielessClient(cookies={}) as http:
        with pytest.raises(ValueError, match="no cookies"):
            http.cookies = {"session": "abc"}
        assert isinstance(http.cookies, NoCookies)
