"""Signing vectors shared by the client's signer and the emulator's verifier.

Each query was written by hand from PHP's ``http_build_query(..., PHP_QUERY_RFC1738)``
rules (keys sorted by bytes; every byte but ``A-Z a-z 0-9 - _ .`` as upper-case
``%XX``; space as ``+``; so ``~`` is ``%7E`` and ``*`` is ``%2A``; UTF-8 bytes
from ``printf 'Zażółć gęślą jaźń' | od -An -tx1``). Each signature was computed
with coreutils and OpenSSL, not with the code under test::

    sig() { path="$1"; query="$2"; secret="$3";
      printf '%s' "$path$query$(printf '%s' "$query" | md5sum | cut -d' ' -f1)" \
        | openssl dgst -sha1 -hmac "$secret" | awk '{print $2}' | tr -d '\\n' | base64; }
    sig /v1/info/balance/ '' secret
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Vector:
    """Parameters as sent (``format`` included when the client sends it), their query and signature."""

    name: str
    path: str
    params: dict[str, str]
    secret: str
    query: str
    signature: str


VECTORS: tuple[Vector, ...] = (
    Vector(
        "tilde, star and space",
        "/v1/direct_numbers/set_caller_name/",
        {"number": "48221234567", "caller_name": "Jan ~*Kowalski", "format": "json"},
        "secret",
        "caller_name=Jan+%7E%2AKowalski&format=json&number=48221234567",
        "NDI3MTM0MmYyY2YxMjMwYTZkM2U3ZTM2MDE2MjlkMjY4MzBlNDQ2Yg==",
    ),
    Vector(
        "Polish letters and a slash, secret with a tilde and a space",
        "/v1/documents/groups/create/",
        {"street": "ul. Długa 1/2", "city": "Zażółć gęślą jaźń", "format": "json"},
        "S3cr~t key",
        "city=Za%C5%BC%C3%B3%C5%82%C4%87+g%C4%99%C5%9Bl%C4%85+ja%C5%BA%C5%84&format=json"
        "&street=ul.+D%C5%82uga+1%2F2",
        "YTYxMzczYTdjMDExNDZhZGE4MTViN2ZlOWI3MTAyMTUxOTIwM2VlNQ==",
    ),
    Vector(
        "no parameters at all",
        "/v1/info/balance/",
        {},
        "secret",
        "",
        "OWQ0OGFkZTViODVlOTVjZDNkZTI3ZWU3MmNlOTc1ZTIzZWY1MzJiZA==",
    ),
    Vector(
        "byte order of keys, kept marks and a plus",
        "/v1/direct_numbers/",
        {"b": "1 + 1", "a_": "-_.", "B": "2"},
        "secret",
        "B=2&a_=-_.&b=1+%2B+1",
        "Yjk0NTQ5YTc4MTYzYjU5NDNhMTllNmQ3NzBjMDkwMzM0MjFkN2M5MA==",
    ),
)
