"""The state encryption key kept in a file next to the SQLite database.

When ``STATE_ENCRYPTION_KEY`` is not set, the first start generates a key into
``state-encryption.key`` beside the database file (mode 0600) and every later
start reads it from there. Back the file up with the database: without it the
saved conversations cannot be read (they start over).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from bot.storage.sealing import StateKeyError, new_key_text, parse_key

log = logging.getLogger("bot.storage.keyfile")

KEY_FILE_NAME = "state-encryption.key"


def key_file_for(database: Path) -> Path:
    """Where the generated key of the database file ``database`` lives."""
    return database.parent / KEY_FILE_NAME


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``; a new random one written there (0600, atomically) if there is none.

    Raises :class:`~bot.storage.sealing.StateKeyError` (one line naming the
    file, never its content) when the file cannot be read, written or parsed.
    """
    if not path.exists():
        _create(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a key file"
        raise StateKeyError(f"cannot read the state encryption key {path}: {reason}") from None
    try:
        return parse_key(text)
    except ValueError as exc:
        raise StateKeyError(f"the state encryption key file {path} {exc}; restore it from backup") from None


def _create(path: Path) -> None:
    """Write a fresh key to a private temporary file, then link it into place (another process may win)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(new_key_text() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return  # another process made it first: use theirs
        log.info("generated a state encryption key in %s; keep it with the database's backups", path)
    except OSError as exc:
        raise StateKeyError(
            f"cannot create the state encryption key {path}: {exc.strerror or exc}; "
            "make the folder writable or set STATE_ENCRYPTION_KEY"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
