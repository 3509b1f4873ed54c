"""One bounded download: a file is refused by its declared size before any byte is read, and the
stream is cut off as soon as it passes the limit (never read to the end first).

The platforms differ only in how they find the file (Telegram's ``getFile``, Slack's
``files.info``) and which headers go with the request; they all read it through
:func:`read_bounded` or :func:`read_response`.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Protocol

CHUNK = 64 * 1024
"""Bytes asked for at a time while streaming."""


class DownloadError(Exception):
    """The file could not be fetched; ``reason`` is short and safe to log (never a URL or token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileTooBig(DownloadError):
    """The file is over ``limit`` bytes; ``size`` is its size as far as known (declared or read so far)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"file of {size} bytes is over the {limit}-byte limit")
        self.size = size
        self.limit = limit

    @property
    def max_mb(self) -> int:
        """The limit in whole megabytes."""
        return self.limit // (1024 * 1024)


def check_declared(size: int | None, limit: int) -> None:
    """Raise :class:`FileTooBig` when a declared ``size`` is over ``limit`` (an unknown size passes)."""
    if size is not None and size > limit:
        raise FileTooBig(size, limit)


async def read_bounded(chunks: AsyncIterable[bytes], limit: int, *, declared: int | None = None) -> bytes:
    """Collect ``chunks`` into bytes, refusing ``declared`` over ``limit`` before reading anything
    and stopping at the first chunk that takes the total over ``limit``."""
    check_declared(declared, limit)
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise FileTooBig(len(body), limit)
    return bytes(body)


class _Content(Protocol):
    def iter_chunked(self, n: int) -> AsyncIterable[bytes]: ...


class StreamedResponse(Protocol):
    """What :func:`read_response` needs of an HTTP response (``aiohttp.ClientResponse`` has it)."""

    @property
    def content_length(self) -> int | None: ...

    @property
    def content(self) -> _Content: ...


async def read_response(response: StreamedResponse, limit: int) -> bytes:
    """The body of an HTTP response, bounded: its ``Content-Length`` first, then the stream itself."""
    return await read_bounded(response.content.iter_chunked(CHUNK), limit, declared=response.content_length)
