"""Request signing exactly as Zadarma's API expects it.

The algorithm (see ``API-NOTES.md``): add ``format=json`` to the parameters,
sort them by key (byte order), encode them as PHP's
``http_build_query(..., PHP_QUERY_RFC1738)`` does, then sign
``path + query + md5_hex(query)`` with HMAC-SHA1 keyed by the secret and send
``base64(hex_digest)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")

ParamValue = str | int | float | bool
Params = Mapping[str, ParamValue]


def php_urlencode(value: str) -> str:
    """Encode one string like PHP's ``urlencode`` (RFC 1738: space as ``+``).

    Unlike :func:`urllib.parse.quote_plus`, ``~`` becomes ``%7E``.
    """
    out: list[str] = []
    for byte in value.encode("utf-8"):
        if byte in _UNRESERVED:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def param_to_str(value: ParamValue) -> str:
    """Render one parameter value as the API expects it on the wire."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def encode_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """Join already-stringified pairs as ``k=v&k=v`` in the given order."""
    return "&".join(f"{php_urlencode(k)}={php_urlencode(v)}" for k, v in pairs)


def build_query(params: Params) -> str:
    """The canonical query: ``format=json`` added, sorted by key, PHP-encoded."""
    items = {k: param_to_str(v) for k, v in params.items()}
    items.setdefault("format", "json")
    ordered = sorted(items.items(), key=lambda kv: kv[0].encode("utf-8"))
    return encode_pairs(ordered)


def sign(path: str, query: str, secret: str) -> str:
    """Signature for an already-built canonical ``query`` on ``path``."""
    sign_input = path + query + hashlib.md5(query.encode("utf-8")).hexdigest()  # noqa: S324
    digest = hmac.new(secret.encode("utf-8"), sign_input.encode("utf-8"), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def authorization_header(key: str, path: str, query: str, secret: str) -> str:
    """The ``Authorization`` header value for a request."""
    return f"{key}:{sign(path, query, secret)}"
