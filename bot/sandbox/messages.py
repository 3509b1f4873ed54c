"""Protocol-neutral request and response values for the emulator core.

Adapters (the aiohttp app, the httpx transport) turn their native requests
into :class:`SandboxRequest`, call :meth:`bot.sandbox.Sandbox.handle` and turn
the :class:`SandboxResponse` back, honouring ``drop`` by closing the
connection without an answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def parse_query(raw: str) -> tuple[tuple[str, str], ...]:
    """Decode a raw query string (``+`` is a space, as PHP encodes it)."""
    return tuple(parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict"))


@dataclass(frozen=True)
class SandboxRequest:
    """One HTTP request as the core sees it."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def from_raw(
        cls, method: str, path: str, raw_query: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> SandboxRequest:
        """Build from a raw query string and header pairs (names are case-insensitive).

        A query string that is not valid UTF-8 is kept as a sentinel that the
        core answers with 400.
        """
        try:
            query = parse_query(raw_query)
        except UnicodeDecodeError:
            query = (("\x00invalid-query", raw_query),)
        return cls(method.upper(), path, query, {k.lower(): v for k, v in headers}, body)

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header ('' when absent)."""
        return self.header("content-type") or ""


@dataclass
class SandboxResponse:
    """What the core answers: status, headers, body, or ``drop`` for no answer at all."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def json(
        cls, status: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> SandboxResponse:
        """A JSON response."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return cls(status, body, {"Content-Type": JSON_CONTENT_TYPE, **(headers or {})})

    @classmethod
    def error(cls, status: int, message: str, headers: Mapping[str, str] | None = None) -> SandboxResponse:
        """The API's error shape: ``{"status": "error", "message": ...}``."""
        return cls.json(status, {"status": "error", "message": message}, headers)

    def json_body(self) -> Any:
        """The decoded body (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.body)
