"""A small, binary-safe ``multipart/form-data`` parser (RFC 7578).

Used by the protocol-neutral core, so the aiohttp app and the in-process
httpx transport parse uploads the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote


class MultipartError(ValueError):
    """The body is not valid ``multipart/form-data``."""


@dataclass(frozen=True)
class Part:
    """One form part: its field name, the filename for file parts, and its bytes."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def is_file(self) -> bool:
        """File parts carry a ``filename`` and are left out of the signature."""
        return self.filename is not None


_PARAM = re.compile(r';\s*([A-Za-z0-9_\-*]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split a header like ``form-data; name="a"; filename="b"`` into its value and parameters."""
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(";" + rest):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if key.endswith("*"):
            # RFC 5987: charset'language'percent-encoded
            charset, _, encoded = raw.partition("'")
            _, _, encoded = encoded.partition("'")
            params[key[:-1]] = unquote(encoded, encoding=charset or "utf-8", errors="replace")
        else:
            params.setdefault(key, raw)
    return main.strip().lower(), params


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a ``multipart/form-data`` content type."""
    kind, params = header_params(content_type)
    if kind != "multipart/form-data":
        raise MultipartError(f"expected multipart/form-data, got {kind or 'no content type'}")
    boundary = params.get("boundary")
    if not boundary:
        raise MultipartError("multipart/form-data without a boundary")
    return boundary


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """Parse ``body`` into its parts, in order."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    start = body.find(delimiter)
    if start < 0:
        raise MultipartError("multipart body without its boundary")
    parts: list[Part] = []
    position = start + len(delimiter)
    while True:
        if body.startswith(b"--", position):
            return parts
        if not body.startswith(b"\r\n", position):
            raise MultipartError("malformed multipart boundary line")
        position += 2
        end = body.find(b"\r\n" + delimiter, position)
        if end < 0:
            raise MultipartError("multipart body is truncated (no closing boundary)")
        parts.append(_parse_part(body[position:end]))
        position = end + 2 + len(delimiter)


def _parse_part(raw: bytes) -> Part:
    head, sep, data = raw.partition(b"\r\n\r\n")
    if not sep:
        if raw.startswith(b"\r\n"):
            head, data = b"", raw[2:]
        else:
            raise MultipartError("multipart part without a header block")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    disposition, params = header_params(headers.get("content-disposition", ""))
    if disposition != "form-data" or "name" not in params:
        raise MultipartError("multipart part without Content-Disposition: form-data; name=...")
    return Part(params["name"], params.get("filename"), headers.get("content-type"), data)
