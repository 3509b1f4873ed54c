"""A stateful Zadarma API emulator: the demo runs on it and every test talks to it.

It verifies request signatures, answers with the shapes in Zadarma's OpenAPI
description, keeps state (orders take numbers off the market, prolong moves
``stop_date`` and charges the balance, uploads feed document checks),
enforces the per-key rate limit with 429 and ``X-RateLimit-*`` headers, and
can be told to fail (latency, 503, malformed JSON, dropped connections).

Entry points:

* :class:`Sandbox` - the facade: ``.app()`` (aiohttp), ``.transport()``
  (httpx, in-process), ``.handle(SandboxRequest)``, ``.advance_days(n)``,
  ``.set_faults(...)``, ``.reset()``, ``.call_count(route)``,
  ``.seed_owned_numbers(n)``.
* :class:`SandboxConfig` - key, secret, balance, rate limit, seed, zone,
  verification delay, frozen start time.
* :func:`bot.sandbox.server.serve` / :func:`bot.sandbox.server.main` - the
  standalone server (``python -m bot sandbox``).

Modules: ``catalog`` (countries, directions, free numbers), ``state`` (the
account and its rules), ``documents`` (document types and group fields),
``clock``, ``money``, ``api`` (routes and response shapes), ``auth``
(signatures), ``ratelimit``, ``faults``, ``multipart``, ``messages``
(protocol-neutral request/response), ``control`` (``/_sandbox/`` endpoints),
``realistic`` (the realistic mode's variations), ``emulator`` (the facade and
pipeline), ``http`` (aiohttp), ``transport``
(httpx), ``server`` (CLI).
"""

from __future__ import annotations

from bot.sandbox.api import ROUTE_NAMES, ROUTES, Route, match_route
from bot.sandbox.catalog import Catalog, Country, Direction, FreeNumber, build_catalog
from bot.sandbox.clock import SandboxClock
from bot.sandbox.config import DEFAULT_KEY, DEFAULT_SECRET, SandboxConfig
from bot.sandbox.emulator import Sandbox
from bot.sandbox.errors import ApiError
from bot.sandbox.faults import Faults
from bot.sandbox.http import create_app
from bot.sandbox.messages import SandboxRequest, SandboxResponse
from bot.sandbox.state import AccountState, DocumentGroup, Event, GroupValidity, OwnedNumber, UploadedFile
from bot.sandbox.transport import SandboxTransport

__all__ = [
    "DEFAULT_KEY",
    "DEFAULT_SECRET",
    "ROUTES",
    "ROUTE_NAMES",
    "AccountState",
    "ApiError",
    "Catalog",
    "Country",
    "Direction",
    "DocumentGroup",
    "Event",
    "Faults",
    "FreeNumber",
    "GroupValidity",
    "OwnedNumber",
    "Route",
    "Sandbox",
    "SandboxClock",
    "SandboxConfig",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxTransport",
    "UploadedFile",
    "build_catalog",
    "create_app",
    "match_route",
]
