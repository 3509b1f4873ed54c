"""Tiny real documents for upload tests: a PNG, a JPEG and a PDF made in memory.

The bot decodes every upload (Pillow, pypdf), so tests send files that really
are what they claim. ``marker`` puts recognisable bytes inside the file (a PNG
text chunk, a JPEG comment, a PDF title) for tests that check a document's
content never reaches the logs.
"""

from __future__ import annotations

from io import BytesIO

from PIL import Image, PngImagePlugin
from pypdf import PdfWriter


def _card(width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), (230, 230, 225))
    for y in range(height // 3, 2 * height // 3):
        for x in range(width):
            image.putpixel((x, y), (70, 80, 90))
    return image


def png(width: int = 48, height: int = 32, marker: bytes = b"") -> bytes:
    """A small valid PNG (a grey card with a dark band)."""
    info = PngImagePlugin.PngInfo()
    if marker:
        info.add_text("Comment", marker.decode("ascii"))
    out = BytesIO()
    _card(width, height).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg(width: int = 48, height: int = 32, marker: bytes = b"") -> bytes:
    """A small valid JPEG (baseline, JFIF)."""
    out = BytesIO()
    _card(width, height).save(out, "JPEG", quality=80, comment=marker)
    return out.getvalue()


def pdf(pages: int = 1, marker: bytes = b"") -> bytes:
    """A valid PDF with ``pages`` blank A4 pages (0 makes a PDF without pages)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if marker:
        writer.add_metadata({"/Title": marker.decode("ascii")})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
