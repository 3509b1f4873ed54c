"""``bot.zadarma.jsontext.loads`` reads every text exactly as ``json.loads`` does.

Compared value by value: same types, same float bits, same key order; where
``json.loads`` raises, ``loads`` raises the same error.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.zadarma.jsontext import loads


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def outcome(read: Any, text: bytes) -> tuple[str, Any]:
    try:
        return "value", read(text)
    except ValueError as exc:
        return "error", (type(exc), str(exc))


def assert_read_alike(text: bytes) -> None:
    ours, theirs = outcome(loads, text), outcome(json.loads, text)
    assert ours[0] == theirs[0], (text, ours, theirs)
    if ours[0] == "value":
        assert same(ours[1], theirs[1]), (text, ours[1], theirs[1])
    else:
        assert ours == theirs


EDGES = [
    # integers around and beyond 64 bits (orjson turns those beyond into floats)
    b"[9223372036854775807, -9223372036854775808, 18446744073709551615]",
    b"[18446744073709551617]",
    b"[-9223372036854775809]",
    b'{"minutes": 123456789012345678901234567890}',
    b"[1234567890123456789.5]",
    # what orjson refuses and json reads
    b"[NaN, Infinity, -Infinity]",
    b"[1e400, -1e400]",
    b'["\\ud800", "x\\udfff"]',
    b'{"a": "\\ud83d"}',
    # the same in both, written unusually
    b'{"a": 1, "b": 2, "a": 3}',
    b"-0",
    b"[-0.0, 1E2, 1.0e+2, 5e-324, 2.4703282292062328e-324, 1e-400]",
    b"[0.30000000000000004, 9007199254740993, 9007199254740993.0]",
    b'"\\u00e9\\ud83d\\ude00"',
    b'{"\\u0000": null}',
    b' \t\r\n{"a" : [ ] }\n',
    "\ufeff{}".encode(),
    '{"a": "é"}'.encode("utf-16"),
    '{"a": "é"}'.encode("utf-32"),
    # not JSON
    b"",
    b"  ",
    b"[1,]",
    b'{"a": 1}x',
    b'"\x01"',
    b"[tru]",
    b"\xff\xfe\xfd",
    b"[" * 3000 + b"]" * 3000,
]


@pytest.mark.parametrize("text", EDGES)
def test_edge_texts_read_as_json_reads_them(text: bytes) -> None:
    try:
        expected = outcome(json.loads, text)
    except RecursionError:
        with pytest.raises(RecursionError):
            loads(text)
        return
    assert_read_alike(text)
    assert outcome(loads, text)[0] == expected[0]


def test_an_integer_beyond_64_bits_stays_exact() -> None:
    # 2**64 + 1 has no float of its own: read as a float it would lose the 1.
    assert loads(b"[18446744073709551617]") == [2**64 + 1]
    assert type(loads(b"[-9223372036854775809]")[0]) is int


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.text(st.characters(categories=["Cs", "Lu", "Nd", "Zs", "Cc"]))
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=5), inner, max_size=6),
)


@settings(max_examples=400, deadline=None)
@given(documents, st.booleans(), st.sampled_from([None, 1]), st.sampled_from([(",", ":"), (", ", ": ")]))
def test_any_document_as_json_writes_it(
    value: Any, ascii_only: bool, indent: int | None, separators: tuple[str, str]
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent, separators=separators)
    assert_read_alike(text.encode("utf-8", "surrogatepass"))


def test_a_plain_text_is_read_without_json(monkeypatch: pytest.MonkeyPatch) -> None:
    # The point of the module: json is left for the texts orjson would read differently.
    def refuse(_: object) -> object:
        raise AssertionError("read by json")

    monkeypatch.setattr(json, "loads", refuse)
    assert loads(b'{"status": "success", "info": [{"number": "+48221234567", "fee": 2.5}]}') == {
        "status": "success",
        "info": [{"number": "+48221234567", "fee": 2.5}],
    }


def test_a_document_too_deep_for_json_but_not_for_orjson_is_read() -> None:
    # The one difference, chosen: json hits Python's recursion limit at about 1,000 levels
    # (on Python 3.11; later versions may read deeper).
    text = b"[" * 1010 + b"]" * 1010
    value = loads(text)
    for _ in range(1009):
        [value] = value
    assert value == []
