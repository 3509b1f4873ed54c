"""The multipart parser is binary-safe and matches what httpx sends."""

from __future__ import annotations

import httpx
import pytest

from bot.sandbox.multipart import MultipartError, header_params, parse_multipart


def test_parses_httpx_multipart_with_binary_content() -> None:
    tricky = b"\r\n--not-the-boundary\r\n\x00\xff" * 50 + b"\r\n"
    request = httpx.Request(
        "POST",
        "http://x/",
        data={"group_id": "3", "note": "zażółć"},
        files={"file": ("scan.pdf", tricky, "x/y")},
    )
    body = request.read()
    parts = parse_multipart(body, request.headers["content-type"])
    by_name = {p.name: p for p in parts}
    assert by_name["group_id"].data == b"3" and not by_name["group_id"].is_file
    assert by_name["note"].data.decode() == "zażółć"
    assert by_name["file"].is_file and by_name["file"].filename == "scan.pdf"
    assert by_name["file"].data == tricky
    assert by_name["file"].content_type == "x/y"


def test_handwritten_body_and_rfc5987_filename() -> None:
    body = (
        b"preamble\r\n--XyZ\r\n"
        b"Content-Disposition: form-data; name=\"file\"; filename*=utf-8''pa%C5%9Bport.png\r\n\r\n"
        b"\x89PNG\r\n--XyZ--\r\n"
    )
    (part,) = parse_multipart(body, "multipart/form-data; boundary=XyZ")
    assert part.filename == "paśport.png"
    assert part.data == b"\x89PNG"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "multipart/form-data", "boundary"),
        (b"abc", "multipart/form-data; boundary=B", "without its boundary"),
        (
            b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue",
            "multipart/form-data; boundary=B",
            "truncated",
        ),
        (b"--B\r\nX: y\r\n\r\nv\r\n--B--", "multipart/form-data; boundary=B", "Content-Disposition"),
        (b"x", "text/plain", "expected multipart"),
    ],
)
def test_malformed_bodies_are_refused(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(MultipartError, match=message):
        parse_multipart(body, content_type)


def test_header_params_handles_quotes_and_escapes() -> None:
    kind, params = header_params('form-data; name="a;b"; filename="x\\"y.pdf"')
    assert kind == "form-data"
    assert params == {"name": "a;b", "filename": 'x"y.pdf'}
