"""Signature verification for incoming API requests.

The canonical string is rebuilt from exactly the parameters received (never
from the raw query or body bytes, and never with parameters the emulator adds
itself such as ``format=json``): sorted by key in byte order and encoded as
PHP's ``http_build_query($params, '', '&', PHP_QUERY_RFC1738)`` does. A request
with no parameters at all signs ``path + "" + md5("")``. See ``API-NOTES.md``
("Authentication").

The encoder here is the emulator's own, written apart from the client's
(:mod:`bot.zadarma.signing`) so that a bug in one cannot hide in both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote_plus


def php_rfc1738(value: str) -> str:
    """PHP's ``urlencode``: every byte but ``A-Z a-z 0-9 - _ .`` as ``%XX``, space as ``+``.

    :func:`urllib.parse.quote_plus` with nothing marked safe does the same except
    that it keeps ``~`` (RFC 3986 unreserved), which PHP encodes as ``%7E``.
    """
    return quote_plus(value, safe="", encoding="utf-8").replace("~", "%7E")


def http_build_query(params: Mapping[str, str]) -> str:
    """``key=value`` pairs sorted by the keys' UTF-8 bytes, PHP-encoded, joined by ``&``."""
    keys = sorted(params, key=lambda k: k.encode("utf-8"))
    return "&".join(php_rfc1738(k) + "=" + php_rfc1738(params[k]) for k in keys)


def split_authorization(header: str | None) -> tuple[str, str] | None:
    """``(key, signature)`` from an ``Authorization: <key>:<signature>`` header, or ``None``."""
    if not header:
        return None
    key, sep, signature = header.strip().rpartition(":")
    if not sep or not key or not signature:
        return None
    return key, signature


def expected_signature(path: str, params: Mapping[str, str], secret: str) -> str:
    """The signature a correct client sends for exactly ``params`` on ``path``.

    ``base64(hex(HMAC-SHA1(secret, path + query + md5_hex(query))))``.
    """
    query = http_build_query(params)
    digest_input = path + query + hashlib.md5(query.encode("utf-8")).hexdigest()  # noqa: S324 - the API's scheme
    mac = hmac.new(secret.encode("utf-8"), digest_input.encode("utf-8"), hashlib.sha1).hexdigest()
    return base64.b64encode(mac.encode("ascii")).decode("ascii")


def verify(path: str, params: Mapping[str, str], signature: str, secret: str) -> bool:
    """Whether ``signature`` is right for ``params`` on ``path`` (constant-time compare)."""
    expected = expected_signature(path, params, secret)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))
