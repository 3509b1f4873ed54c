"""Uploads are decoded or parsed before they go anywhere: right first bytes are not enough."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image
from pypdf import PdfWriter

from bot.services.errors import InvalidInput
from bot.services.file_check import MAX_UPLOAD_BYTES, check_file
from tests.fakes import scans


@pytest.mark.parametrize(
    ("content", "mime", "name"),
    [
        (scans.png(), "image/png", "scan.png"),
        (scans.jpeg(), "image/jpeg", "scan.jpg"),
        (scans.pdf(), "application/pdf", "scan.pdf"),
        (scans.pdf(pages=3), "application/pdf", "scan.pdf"),
    ],
)
async def test_real_images_and_pdfs_pass(content: bytes, mime: str, name: str) -> None:
    checked = await check_file("scan.bin", content)
    assert (checked.mime, checked.filename, checked.content) == (mime, name, content)


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("only-the-owner-knows")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def huge_png() -> bytes:
    """A small file that decodes to 90 megapixels (a decompression bomb)."""
    out = BytesIO()
    Image.new("1", (10_000, 9_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"%PDF-", "invalid.file_unreadable_pdf"),  # five bytes that only look like a PDF
        (b"%PDF-1.7\n" + b"0" * 500, "invalid.file_unreadable_pdf"),
        (scans.pdf(pages=0), "invalid.file_unreadable_pdf"),
        (encrypted_pdf(), "invalid.file_unreadable_pdf"),
        (scans.png()[:60], "invalid.file_unreadable_image"),
        (scans.png()[:-20] + b"\x00" * 20, "invalid.file_unreadable_image"),  # broken IEND/CRC
        (scans.jpeg()[:200], "invalid.file_unreadable_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "invalid.file_unreadable_image"),
        (huge_png(), "invalid.file_unreadable_image"),
    ],
)
async def test_files_that_do_not_decode_are_refused(content: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        await check_file("passport.pdf", content)
    assert info.value.code == code


async def test_the_size_limit_is_checked_before_decoding() -> None:
    with pytest.raises(InvalidInput) as info:
        await check_file("scan.png", scans.png(), declared_size=MAX_UPLOAD_BYTES + 1)
    assert info.value.code == "invalid.file_too_big"
    with pytest.raises(InvalidInput) as info:
        await check_file("scan.pdf", scans.pdf() + b"%" * MAX_UPLOAD_BYTES)
    assert info.value.code == "invalid.file_too_big"


async def test_decoding_has_a_time_bound() -> None:
    with pytest.raises(InvalidInput) as info:
        await check_file("scan.pdf", scans.pdf(pages=50), time_limit=0)
    assert info.value.code == "invalid.file_check_slow"
