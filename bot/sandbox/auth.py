"""Signature verification for incoming API requests.

The canonical string is rebuilt from the parameters received (never from the
raw query or body bytes): sorted by key and PHP-encoded with
:func:`bot.zadarma.signing.build_query`, which also adds ``format=json`` when
the request did not carry it. See ``API-NOTES.md`` ("Authentication").
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from bot.zadarma.signing import build_query, sign


def split_authorization(header: str | None) -> tuple[str, str] | None:
    """``(key, signature)`` from an ``Authorization: <key>:<signature>`` header, or ``None``."""
    if not header:
        return None
    key, sep, signature = header.strip().rpartition(":")
    if not sep or not key or not signature:
        return None
    return key, signature


def expected_signature(path: str, params: Mapping[str, str], secret: str) -> str:
    """The signature a correct client sends for ``params`` on ``path``."""
    return sign(path, build_query(params), secret)


def verify(path: str, params: Mapping[str, str], signature: str, secret: str) -> bool:
    """Whether ``signature`` is right for ``params`` on ``path`` (constant-time compare)."""
    expected = expected_signature(path, params, secret)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))
