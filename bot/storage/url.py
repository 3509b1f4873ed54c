"""``DATABASE_URL`` parsing and :func:`open_storage`.

Accepted forms:

* ``sqlite:///relative/path.db`` -- a file relative to the working directory;
* ``sqlite:////absolute/path.db`` -- an absolute path (four slashes);
* ``postgresql://user:password@host:port/database`` (or ``postgres://``) -- a
  PostgreSQL database several replicas can share; ``?pool_size=N`` sets the
  connections per process (default 5), other query parameters go to asyncpg
  (e.g. ``sslmode``);
* ``memory://`` -- in-process memory, lost on exit (demo and tests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.storage.clock import Clock, utc_now
from bot.storage.interfaces import Storage
from bot.storage.keyfile import key_file_for, load_or_create_key
from bot.storage.memory import MemoryStorage
from bot.storage.postgres import DEFAULT_POOL_SIZE, PostgresStorage
from bot.storage.sealing import StateKeys
from bot.storage.sqlite import SqliteStorage

log = logging.getLogger("bot.storage")

EXPECTED_FORMS = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, "
    "postgresql://user:password@host:5432/database or memory://"
)

_SQLITE_PREFIX = "sqlite:///"
_MEMORY_URL = "memory://"
_POSTGRES_SCHEMES = ("postgresql", "postgres")
_POOL_SIZE = "pool_size"


@dataclass(frozen=True, slots=True)
class SqliteUrl:
    """A parsed ``sqlite:///`` URL: the database file's path (relative or absolute)."""

    path: Path


@dataclass(frozen=True, slots=True)
class MemoryUrl:
    """A parsed ``memory://`` URL."""


@dataclass(frozen=True, slots=True)
class PostgresUrl:
    """A parsed ``postgresql://`` URL: what asyncpg connects to and the pool's size."""

    dsn: str
    """The URL without ``pool_size`` (it still holds the password: never log it)."""
    pool_size: int

    def __repr__(self) -> str:
        return f"PostgresUrl({_redact(self.dsn)!r}, pool_size={self.pool_size})"


def parse_database_url(url: str) -> SqliteUrl | MemoryUrl | PostgresUrl:
    """Parse a ``DATABASE_URL``; raise ``ValueError`` naming the expected forms if it is not one."""
    text = url.strip()
    if text == _MEMORY_URL:
        return MemoryUrl()
    if text.split("://", 1)[0].lower() in _POSTGRES_SCHEMES and "://" in text:
        parsed = _parse_postgres(text)
        if parsed is not None:
            return parsed
    if text.startswith(_SQLITE_PREFIX):
        path = text[len(_SQLITE_PREFIX) :]
        if path and "?" not in path and "#" not in path and path != ":memory:" and not path.endswith("/"):
            return SqliteUrl(Path(path))
    raise ValueError(f"unsupported DATABASE_URL {_redact(text)!r}; expected {EXPECTED_FORMS}")


def _parse_postgres(text: str) -> PostgresUrl | None:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return None
    if not parts.hostname or parts.path.strip("/") == "" or "/" in parts.path.strip("/") or parts.fragment:
        return None
    query = parse_qsl(parts.query, keep_blank_values=True)
    pool_size = DEFAULT_POOL_SIZE
    rest: list[tuple[str, str]] = []
    for name, value in query:
        if name != _POOL_SIZE:
            rest.append((name, value))
        elif value.isdigit() and int(value) >= 1:
            pool_size = int(value)
        else:
            return None
    dsn = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), ""))
    return PostgresUrl(dsn, pool_size)


def _redact(url: str) -> str:
    # A URL for another database may carry a password (scheme://user:pass@host/...).
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


async def open_storage(
    database_url: str,
    *,
    clock: Clock = utc_now,
    keys: StateKeys | None = None,
    holds_secrets: Callable[[str], bool] | None = None,
) -> Storage:
    """Open the storage a ``DATABASE_URL`` names, applying migrations.

    For SQLite the file's parent directory is created if missing, and the
    conversation states (and received SMS, :mod:`bot.storage.sealing`) are
    encrypted at rest: with ``keys`` when given
    (``STATE_ENCRYPTION_KEY``), else with the key in the file beside the
    database (:mod:`bot.storage.keyfile`), generated on first use. In memory
    nothing is at rest, so nothing is encrypted. For PostgreSQL they are
    encrypted with ``keys`` only: replicas on several hosts cannot share a
    generated key file, so without ``STATE_ENCRYPTION_KEY`` they are stored
    as they are (and a warning says so).
    """
    parsed = parse_database_url(database_url)
    if isinstance(parsed, MemoryUrl):
        return MemoryStorage(clock=clock)
    if isinstance(parsed, PostgresUrl):
        if keys is None:
            log.warning(
                "STATE_ENCRYPTION_KEY is not set: conversation states are stored unencrypted in PostgreSQL"
            )
        return await PostgresStorage.open(
            parsed.dsn, clock=clock, keys=keys, holds_secrets=holds_secrets, pool_size=parsed.pool_size
        )
    parsed.path.parent.mkdir(parents=True, exist_ok=True)
    path = parsed.path

    def key_beside_the_database() -> StateKeys:
        return StateKeys(load_or_create_key(key_file_for(path)))

    return await SqliteStorage.open(
        path, clock=clock, keys=keys or key_beside_the_database, holds_secrets=holds_secrets
    )
