"""Errors raised by the storage layer.

``StorageError`` is the root; everything the repositories raise on purpose
derives from it (SQLite's driver errors such as ``sqlite3.OperationalError``
are not wrapped; the PostgreSQL store's are, as :class:`DatabaseServerError`
and :class:`StorageUnavailableError`, so that no message shows a password).
Invalid arguments (naive datetimes, unknown kinds, bad URLs) raise
``ValueError``/``TypeError`` as usual.
"""

from __future__ import annotations


class StorageError(Exception):
    """Root of the storage error tree."""


class StaleRevisionError(StorageError):
    """A conversation was saved against a revision that is no longer current.

    ``expected`` is the revision the caller read, ``actual`` the stored one
    (0 when the conversation does not exist).
    """

    def __init__(self, key: object, expected: int, actual: int) -> None:
        super().__init__(f"stale revision for {key}: expected {expected}, stored {actual}")
        self.key = key
        self.expected = expected
        self.actual = actual


class NotFoundError(StorageError):
    """A state transition named a record that does not exist."""


class SchemaVersionError(StorageError):
    """The database schema is newer than this code, or the migrations are malformed."""


class TargetBusyError(StorageError):
    """An intent was created for a target that another active intent holds.

    ``holder`` is the key of the intent holding ``target``.
    """

    def __init__(self, target: str, holder: str) -> None:
        super().__init__(f"{target} is held by the active intent {holder}")
        self.target = target
        self.holder = holder


class UnusableDatabaseError(StorageError):
    """The database file cannot be used at all: it is damaged, not a database, or not a file.

    The message is one line that names the file, what is wrong with it and
    what to do, fit to be shown as it is when the bot refuses to start.
    """


class DatabaseServerError(StorageError):
    """A database server refused a statement (a read-only transaction, a full disk, a lost lock).

    The message names the server (host, port, database), never the password;
    ``reason`` is the server's or the driver's short message alone, fit for
    ``/healthz``.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class StorageUnavailableError(DatabaseServerError):
    """The database server cannot be reached now: refused or dropped connections, timeouts, a closed pool."""
