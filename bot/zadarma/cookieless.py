"""The ``httpx.AsyncClient`` the Zadarma client runs on: httpx's own, with no cookie jar to fill.

Zadarma authenticates every call by its signature and needs no cookies, and
the client sends none. Plain httpx still offers every reply to its cookie
jar: it wraps the request and the reply in ``urllib`` objects for
``http.cookiejar`` to read the ``Set-Cookie`` headers. That was about a tenth
of a signed call's CPU on the order path, and a quarter of a small call's
(``bench/transport_cost.py``). :class:`CookielessClient`
holds a :class:`NoCookies` jar instead: always empty, ignoring ``Set-Cookie``
without reading it, so nothing a server sets comes back on a later call.
"""

from __future__ import annotations

from http.cookiejar import Cookie, CookieJar
from typing import Any
from urllib.request import Request

import httpx

__all__ = ["CookielessClient", "NoCookies"]


class _RefusingJar(CookieJar):
    """A cookie jar that takes nothing: neither set by hand nor from a reply."""

    def set_cookie(self, cookie: Cookie) -> None:
        """Keep nothing."""

    def extract_cookies(self, response: object, request: Request) -> None:
        """Keep nothing."""


class NoCookies(httpx.Cookies):
    """An always-empty ``httpx.Cookies``: replies are not read for cookies, and none can be added."""

    def __init__(self) -> None:
        super().__init__(_RefusingJar())

    def extract_cookies(self, response: httpx.Response) -> None:
        """Ignore the reply's ``Set-Cookie`` headers, without building the request and reply for urllib."""


class CookielessClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` whose ``cookies`` is a :class:`NoCookies`: no cookie is kept or sent.

    Giving it cookies, at construction or later, is refused with ``ValueError``
    rather than silently dropped. Cookies passed to a single request are
    httpx's business as usual (the Zadarma client passes none).
    """

    def __init__(self, **kwargs: Any) -> None:
        """``httpx.AsyncClient(**kwargs)``; any ``cookies`` given must be empty."""
        _refuse(kwargs.get("cookies"))
        super().__init__(**kwargs)
        self._no_cookies = NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        """The client's jar: a :class:`NoCookies`, always empty."""
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        _refuse(cookies)
        self._no_cookies = NoCookies()


def _refuse(cookies: object) -> None:
    if cookies:
        raise ValueError("the Zadarma client keeps no cookies")
