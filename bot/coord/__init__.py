"""What the replicas of one bot share: the Zadarma API budget, per-key locks, dedup keys and leases.

Without ``REDIS_URL`` each process keeps these for itself, as a single process
always did: the limiter in :mod:`bot.zadarma.ratelimit`, :class:`LocalLocks`
here, dedup keys and leases in the store. With ``REDIS_URL`` the composition
root (:mod:`bot.app`) builds the Redis versions from the ``bot.coord.redis_*`` modules,
which every replica reaches under one key prefix.

This package sits beside :mod:`bot.zadarma` and :mod:`bot.storage`: it
implements their small interfaces (the limiter's, ``DedupRepository``,
``LeaseRepository``) and is imported only by the composition root and, for
the lock interface, by the layers that serialize work per key.
"""

from bot.coord.locks import KeyLocks, LocalLocks

__all__ = ["KeyLocks", "LocalLocks"]
