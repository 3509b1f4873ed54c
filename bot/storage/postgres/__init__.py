"""The PostgreSQL (asyncpg) implementation of the storage repositories.

asyncpg speaks PostgreSQL's protocol natively on asyncio with binary codecs
and its own connection pool, and is the fastest Python driver; unlike
aiosqlite there is no hop to a thread for every statement.

One module per repository, like :mod:`bot.storage.sqlite`; :mod:`.db` holds
the pool, its transactions and the translation of driver errors,
:mod:`.migrations` the versioned schema and :mod:`.storage` the
:class:`PostgresStorage` that wires them together. Several replicas may share
one database: every public method is one transaction, and what two replicas
could race for is settled by the server (primary keys, ``ON CONFLICT``,
``FOR UPDATE SKIP LOCKED``, an advisory lock around migrations).
"""

from __future__ import annotations

from bot.storage.postgres.storage import DEFAULT_POOL_SIZE, PostgresStorage

__all__ = ["DEFAULT_POOL_SIZE", "PostgresStorage"]
