"""Opaque button tokens and idempotency keys.

A token is a per-conversation random salt plus a counter that only grows,
so a token is never reused within a conversation (a stale press can never
land on a newer button) and tokens of one user mean nothing in another
user's conversation. The meaning of a token lives only in the saved state.
"""

from __future__ import annotations

import secrets

SALT_BYTES = 3


def new_salt() -> str:
    """A short random prefix for one conversation's tokens."""
    return secrets.token_urlsafe(SALT_BYTES)


def format_token(salt: str, seq: int) -> str:
    """The token numbered ``seq`` of the conversation salted ``salt`` (at most a dozen ASCII characters)."""
    return f"{salt}{seq:x}"


def new_idempotency_key(kind: str) -> str:
    """A fresh key for one money-spending confirmation (``order-...``, ``prolong-...``)."""
    return f"{kind}-{secrets.token_urlsafe(16)}"
