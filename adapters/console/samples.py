"""A small, valid image the demo can send as a "scan" when no file is at hand."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def sample_scan_png(width: int = 64, height: int = 40) -> bytes:
    """A grey PNG with a darker band, like a tiny scanned card."""
    rows = []
    for y in range(height):
        shade = 90 if height // 3 <= y < 2 * height // 3 else 220
        rows.append(b"\x00" + bytes([shade]) * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )
