"""The Redis connection the replicas share, and how keys are named in it.

Every key starts with the configured prefix (``REDIS_PREFIX``, default
``zadarma-bot:``), so several bots can share one Redis; what follows names
the kind of thing (``budget``, ``lock``, ``dedup``, ``lease``). Secrets never
become keys: the Zadarma API key is hashed first (:func:`fingerprint`).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis

DEFAULT_PREFIX = "zadarma-bot:"
CONNECT_TIMEOUT = 5.0
COMMAND_TIMEOUT = 5.0


def fingerprint(secret: str) -> str:
    """A short stable name for ``secret`` that does not reveal it (SHA-256, 16 hex digits)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def redacted(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for logs and error messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class RedisCoord:
    """One Redis client and the key prefix every shared thing lives under."""

    def __init__(self, client: Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str = DEFAULT_PREFIX) -> RedisCoord:
        """A client for ``url`` (``redis://``, ``rediss://`` or ``unix://``) with bounded timeouts.

        Nothing connects until the first command.
        """
        client = Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=COMMAND_TIMEOUT,
            health_check_interval=30,
        )
        return cls(client, prefix)

    def key(self, *parts: str) -> str:
        """The full key for ``parts``: the prefix, then the parts joined by ``:``."""
        return self.prefix + ":".join(parts)

    async def ping(self) -> None:
        """Raise unless Redis answers (for ``/healthz``)."""
        if not await self.client.ping():
            raise ConnectionError("Redis did not answer PONG")

    async def aclose(self) -> None:
        """Close the connections."""
        await self.client.aclose()
