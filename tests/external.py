"""The PostgreSQL and Redis servers and the browser some suites need, and what happens without them.

Suites that need a server take the ``postgres_url`` or ``redis_url`` fixture
(``tests/conftest.py``). The servers are found at ``TEST_POSTGRES_URL``
(default ``postgresql://postgres@127.0.0.1:5432/test``) and ``TEST_REDIS_URL``
(default ``redis://127.0.0.1:6379/0``). Without a server those suites are
skipped and the run ends with a line saying which and why; with
``--require-services`` (what ``.ci/run`` passes) a missing server stops the
run before any test. The Mini App's browser tests need Chromium (``TEST_CHROMIUM``,
default Debian's ``/usr/bin/chromium``, which ``.ci/run`` installs) and the
``playwright`` package (the dev extra) to drive it; they are skipped or stop the
run in the same way.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from dataclasses import dataclass
from functools import cache
from typing import Protocol
from urllib.parse import urlsplit

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True, slots=True)
class ExternalService:
    """One server a suite may need: its name, the variable naming its URL and the default URL."""

    name: str
    variable: str
    default: str
    default_port: int

    @property
    def url(self) -> str:
        """The URL from the environment, or the default."""
        return os.environ.get(self.variable) or self.default

    def unreachable(self) -> str | None:
        """Why the server cannot be used (a sentence), or None when it answers."""
        return _probe(self.url, self.default_port)

    def where(self) -> str:
        """host:port of the URL, without any credentials."""
        parts = urlsplit(self.url)
        return f"{parts.hostname or '127.0.0.1'}:{parts.port or self.default_port}"


@dataclass(frozen=True, slots=True)
class LocalBrowser:
    """A browser the tests start themselves: the executable named by ``variable`` (else ``default``)."""

    name: str
    variable: str
    default: str

    @property
    def url(self) -> str:
        """The path of the browser's executable."""
        return os.environ.get(self.variable) or self.default

    def unreachable(self) -> str | None:
        """Why the browser cannot be used (a sentence), or None when it can."""
        path = self.url
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"no browser at {path} (apt-get install chromium)"
        if importlib.util.find_spec("playwright") is None:
            return "the playwright package is missing (pip install -e '.[dev]')"
        return None


class Need(Protocol):
    """What a suite may need: a name, the variable that points at it, where it is and why it is missing."""

    @property
    def name(self) -> str: ...

    @property
    def variable(self) -> str: ...

    @property
    def url(self) -> str: ...

    def unreachable(self) -> str | None: ...


POSTGRES = ExternalService("PostgreSQL", "TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL, 5432)
REDIS = ExternalService("Redis", "TEST_REDIS_URL", DEFAULT_REDIS_URL, 6379)
CHROMIUM = LocalBrowser("Chromium", "TEST_CHROMIUM", "/usr/bin/chromium")
SERVICES: tuple[Need, ...] = (POSTGRES, REDIS, CHROMIUM)


@cache
def _probe(url: str, default_port: int) -> str | None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=2):
            return None
    except OSError as exc:
        return f"nothing answers at {host}:{port} ({exc.strerror or exc.__class__.__name__})"
