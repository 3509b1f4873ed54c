"""``DATABASE_URL`` parsing and :func:`open_storage`.

Accepted forms:

* ``sqlite:///relative/path.db`` -- a file relative to the working directory;
* ``sqlite:////absolute/path.db`` -- an absolute path (four slashes);
* ``memory://`` -- in-process memory, lost on exit (demo and tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.storage.clock import Clock, utc_now
from bot.storage.interfaces import Storage
from bot.storage.keyfile import key_file_for, load_or_create_key
from bot.storage.memory import MemoryStorage
from bot.storage.sealing import StateKeys
from bot.storage.sqlite import SqliteStorage

EXPECTED_FORMS = "sqlite:///relative/path.db, sqlite:////absolute/path.db or memory://"

_SQLITE_PREFIX = "sqlite:///"
_MEMORY_URL = "memory://"


@dataclass(frozen=True, slots=True)
class SqliteUrl:
    """A parsed ``sqlite:///`` URL: the database file's path (relative or absolute)."""

    path: Path


@dataclass(frozen=True, slots=True)
class MemoryUrl:
    """A parsed ``memory://`` URL."""


def parse_database_url(url: str) -> SqliteUrl | MemoryUrl:
    """Parse a ``DATABASE_URL``; raise ``ValueError`` naming the expected forms if it is not one."""
    text = url.strip()
    if text == _MEMORY_URL:
        return MemoryUrl()
    if text.startswith(_SQLITE_PREFIX):
        path = text[len(_SQLITE_PREFIX) :]
        if path and "?" not in path and "#" not in path and path != ":memory:" and not path.endswith("/"):
            return SqliteUrl(Path(path))
    raise ValueError(f"unsupported DATABASE_URL {_redact(text)!r}; expected {EXPECTED_FORMS}")


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
    conversation states are encrypted at rest: with ``keys`` when given
    (``STATE_ENCRYPTION_KEY``), else with the key in the file beside the
    database (:mod:`bot.storage.keyfile`), generated on first use. In memory
    nothing is at rest, so nothing is encrypted.
    """
    parsed = parse_database_url(database_url)
    if isinstance(parsed, MemoryUrl):
        return MemoryStorage(clock=clock)
    parsed.path.parent.mkdir(parents=True, exist_ok=True)
    path = parsed.path

    def key_beside_the_database() -> StateKeys:
        return StateKeys(load_or_create_key(key_file_for(path)))

    return await SqliteStorage.open(
        path, clock=clock, keys=keys or key_beside_the_database, holds_secrets=holds_secrets
    )
