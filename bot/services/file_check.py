"""Checking an uploaded identity document before it goes to Zadarma.

A file is accepted when it is at most :data:`MAX_UPLOAD_BYTES`, its content
(not its name) says JPEG, PNG or PDF, and it really is one: images are
decoded in full with Pillow, PDFs are parsed with pypdf and must have a page.
The decoding runs in a worker thread and is given :data:`CHECK_TIMEOUT`
seconds; a file that takes longer is refused (the thread finishes on its own,
its result is dropped). Files stay in memory and are never logged.
"""

from __future__ import annotations

import asyncio
import re
import warnings
from dataclasses import dataclass
from io import BytesIO

import filetype
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from bot.services.errors import InvalidInput

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 80_000_000  # far above any phone camera; larger is a decompression bomb
CHECK_TIMEOUT = 10.0
ALLOWED_MIME = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}

# Pillow only warns about an image over ~89 megapixels (and decodes it); here it is refused.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the size, type and content checks."""

    filename: str
    content: bytes
    mime: str


def _image_is_whole(content: bytes, mime: str) -> bool:
    try:
        with Image.open(BytesIO(content), formats=[_PIL_FORMATS[mime]]) as image:
            width, height = image.size
            if width < 1 or height < 1 or width * height > MAX_IMAGE_PIXELS:
                return False
            if mime == "image/jpeg":
                # Every block is still decoded, at 1/8 scale: a fraction of the memory.
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()  # decodes the whole image: a truncated or corrupt one raises here
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        return False
    return True


def _pdf_has_a_page(content: bytes) -> bool:
    try:
        reader = PdfReader(BytesIO(content), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return False  # protected by a password: nobody at Zadarma could read it
        return len(reader.pages) >= 1 and reader.pages[0].mediabox.width > 0
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return False


def _content_is_whole(content: bytes, mime: str) -> bool:
    return _pdf_has_a_page(content) if mime == "application/pdf" else _image_is_whole(content, mime)


async def check_file(
    filename: str, content: bytes, declared_size: int | None = None, *, time_limit: float = CHECK_TIMEOUT
) -> CheckedFile:
    """Accept a JPEG or PNG image or a PDF with a page, of at most 20 MB, judged by content, not name.

    Raises :class:`InvalidInput`: ``invalid.file_too_big``, ``invalid.file_empty``,
    ``invalid.file_type`` (not JPEG, PNG or PDF), ``invalid.file_unreadable_image`` /
    ``invalid.file_unreadable_pdf`` (damaged, incomplete, password-protected, no pages) or
    ``invalid.file_check_slow`` (not decoded within ``time_limit`` seconds).
    """
    size = declared_size if declared_size is not None else len(content)
    if size > MAX_UPLOAD_BYTES or len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput("invalid.file_too_big", max_mb=MAX_UPLOAD_BYTES // (1024 * 1024))
    if not content:
        raise InvalidInput("invalid.file_empty")
    kind = filetype.guess(content[:8192])
    mime = kind.mime if kind is not None else ""
    if mime not in ALLOWED_MIME:
        raise InvalidInput("invalid.file_type")
    try:
        whole = await asyncio.wait_for(asyncio.to_thread(_content_is_whole, content, mime), time_limit)
    except TimeoutError:
        raise InvalidInput("invalid.file_check_slow") from None
    if not whole and mime == "application/pdf":
        raise InvalidInput("invalid.file_unreadable_pdf")
    if not whole:
        raise InvalidInput("invalid.file_unreadable_image")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", filename.rsplit("/", 1)[-1].rsplit(".", 1)[0])[:60] or "document"
    return CheckedFile(f"{stem}.{ALLOWED_MIME[mime]}", content, mime)
