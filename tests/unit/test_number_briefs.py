"""The compact reading of ``direct_numbers`` used by alert scans.

:class:`BriefReader` must read every item exactly as the full model
(:class:`DirectNumber`) does, only keeping fewer fields: the model is the
reference here. :func:`decode_streaming` must decode exactly what
``json.loads`` decodes, however the body is cut into chunks.
"""

from __future__ import annotations

import codecs
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.zadarma import ZadarmaClient
from bot.zadarma.brief import BriefReader, NumberBrief, StreamedList, StreamingReader, Unreadable
from bot.zadarma.models import DirectNumber
from tests.fakes.clock import FakeClock

ITEM: dict[str, Any] = {
    "number": "48221234567",
    "status": "on",
    "country": "Poland",
    "description": "Łódź",
    "number_name": None,
    "sip": "00002",
    "start_date": "2025-11-28 17:04:44",
    "stop_date": "2026-11-28 17:04:44",
    "monthly_fee": 4.5,
    "currency": "USD",
    "channels": 1,
    "autorenew": "true",
    "is_on_test": "false",
    "type": "common",
}

VARIANTS: list[dict[str, Any]] = [
    {},
    {"number": 48221234567, "monthly_fee": "4.50", "autorenew": 1},
    {"number": 4.8e10, "status": 5},
    {"description": None, "currency": None, "monthly_fee": None, "autorenew": None, "type": None},
    {"description": 12, "currency": 3.5, "type": ""},
    {"type": "  "},
    {"type": 7},
    {"start_date": "", "stop_date": "0000-00-00 00:00:00"},
    {"stop_date": "2026-1-2 3:4:5"},
    {"stop_date": "2026-02-30 00:00:00"},
    {"stop_date": "2026-W01-1 00:00:00"},
    {"stop_date": 1_800_000_000},
    {"stop_date": ["2026-11-28"]},
    {"monthly_fee": "abc"},
    {"monthly_fee": 25, "currency": "PLN"},
    {"monthly_fee": 25.0},
    {"monthly_fee": "25.00"},
    {"monthly_fee": True},
    {"monthly_fee": "NaN"},
    {"monthly_fee": {"amount": 1}},
    {"autorenew": "maybe"},
    {"autorenew": "yes"},
    {"autorenew": 1.0},
    {"autorenew": "off"},
    {"brand_new_field": {"number": 1}, "channels": "many"},
    {"number": None},
    {"number": True},
    {"status": None},
    {"number": ""},
]


def reference(item: Any) -> NumberBrief | None:
    """What the full model reads (``None``: the item is unreadable)."""
    try:
        return NumberBrief.of(DirectNumber.model_validate(item))
    except ValidationError:
        return None


def same(left: NumberBrief | None, right: NumberBrief | None) -> bool:
    """Equal, and amounts written the same way (``25`` and ``25.00`` are equal Decimals)."""
    if left is None or right is None:
        return left is right
    return left == right and str(left.monthly_fee) == str(right.monthly_fee)


@pytest.mark.parametrize("change", VARIANTS)
def test_an_item_reads_as_the_full_model_reads_it(change: dict[str, Any]) -> None:
    item = {**ITEM, **change}
    read = BriefReader()(item, 3)
    expected = reference(item)
    if expected is None:
        assert isinstance(read, Unreadable) and read.index == 3 and read.fields
    else:
        assert isinstance(read, NumberBrief) and same(read, expected), (read, expected)


@pytest.mark.parametrize("item", [None, [], "48221234567", 5, {"status": "on"}])
def test_items_that_are_not_records_are_unreadable(item: Any) -> None:
    assert reference(item) is None
    assert isinstance(BriefReader()(item, 0), Unreadable)


def test_one_reader_shares_repeated_values_without_changing_them() -> None:
    reader = BriefReader()
    first = reader({**ITEM, "number": "1", "monthly_fee": "25.00"}, 0)
    second = reader({**ITEM, "number": "2", "monthly_fee": "25.00"}, 1)
    third = reader({**ITEM, "number": "3", "monthly_fee": "25"}, 2)
    assert (
        isinstance(first, NumberBrief) and isinstance(second, NumberBrief) and isinstance(third, NumberBrief)
    )
    assert first.status is second.status and first.description is second.description
    assert first.monthly_fee is second.monthly_fee
    assert str(third.monthly_fee) == "25"  # an equal amount written otherwise stays as written
    assert first.stop_date == datetime(2026, 11, 28, 17, 4, 44)
    assert first.monthly_fee == Decimal("25.00")


# --------------------------------------------------------------------- the streaming decoder
def decode_streaming(parts: list[bytes], key: str, convert: Any) -> Any:
    """What a :class:`StreamingReader` makes of a body arriving in ``parts``."""
    reader = StreamingReader(key, convert)
    for part in parts:
        reader.feed(part)
    return reader.finish()


def tag(item: Any, index: int) -> tuple[str, int, Any]:
    return ("item", index, item)


def expected_of(value: Any, key: str) -> Any:
    """``json.loads``' result with the items of ``key`` tagged as :func:`tag` tags them."""
    if isinstance(value, dict) and isinstance(value.get(key), list):
        return {**value, key: [tag(item, i) for i, item in enumerate(value[key])]}
    return value


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)


def chunks(content: bytes, size: int) -> list[bytes]:
    """``content`` cut every ``size`` bytes (through UTF-8 sequences too)."""
    return [content[start : start + size] for start in range(0, len(content), size)]


@settings(max_examples=150, deadline=None, database=None)
@given(
    body=st.dictionaries(st.sampled_from(["status", "info", "x", "Ł"]), json_values, max_size=4),
    size=st.integers(1, 40),
    indent=st.sampled_from([None, 1]),
)
def test_streaming_decodes_what_json_decodes(body: dict[str, Any], size: int, indent: int | None) -> None:
    content = json.dumps(body, indent=indent, ensure_ascii=False).encode()
    decoded = decode_streaming(chunks(content, size), "info", tag)
    assert decoded == expected_of(json.loads(content), "info")
    assert isinstance(decoded.get("info"), StreamedList) == isinstance(body.get("info"), list)


@pytest.mark.parametrize(
    "text",
    [
        '{"info":[1,2,}',
        '{"info":[1] x',
        '{"a":1}x',
        "",
        "{",
        '{"info":[{"a":"Łó',
        '{"info":[0.]}',
        "{1:2}",
        "[1,2]",
        '"text"',
        "null",
        '\ufeff{"info":[1]}',
        ' \n {"info":[]} ',
    ],
)
@pytest.mark.parametrize("size", [1, 3, 1000])
def test_anything_else_decodes_or_fails_as_json_does(text: str, size: int) -> None:
    content = text.encode()
    try:
        expected: Any = json.loads(content)
    except ValueError:
        with pytest.raises(ValueError):
            decode_streaming(chunks(content, size), "info", tag)
        return
    if content.startswith(codecs.BOM_UTF8):  # decoded whole, as json.loads does, not streamed
        assert decode_streaming(chunks(content, size), "info", tag) == expected
    else:
        assert decode_streaming(chunks(content, size), "info", tag) == expected_of(expected, "info")


# --------------------------------------------------------------------- runs read by msgspec
def read_list(parts: list[bytes]) -> list[Any]:
    """The list as a scan reads it: streamed, with runs of items offered to ``BriefReader.run``."""
    reader = BriefReader()
    decoded = decode_streaming(parts, "info", reader)  # no runs: one by one
    assert isinstance(decoded["info"], StreamedList)
    streaming = StreamingReader("info", reader, reader.run)
    for part in parts:
        streaming.feed(part)
    with_runs = streaming.finish()["info"]
    assert isinstance(with_runs, StreamedList)
    assert len(with_runs) == len(decoded["info"])
    return list(with_runs)


def same_reading(left: NumberBrief | Unreadable, right: NumberBrief | Unreadable) -> bool:
    if isinstance(left, NumberBrief) and isinstance(right, NumberBrief):
        return same(left, right)
    return left == right


tricky_texts = st.sampled_from(
    ["}", "},{", '"}, {"number": "1"}', "]}", "\\", '\\"', "Łódź", "\U0001f600", "\ud800", " ", "", "true"]
)
field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(),  # NaN and infinities too: json reads them, msgspec refuses
    tricky_texts,
    st.text(max_size=6),
    st.sampled_from(["2026-11-28 17:04:44", "0000-00-00 00:00:00", "2026-02-30 00:00:00", "2026-1-2 3:4:5"]),
    st.just({"a": [1, {"b": "}"}]}),
)
items = st.one_of(
    st.sampled_from(VARIANTS).map(lambda change: {**ITEM, **change}),
    st.dictionaries(st.sampled_from([*ITEM, "extra"]), field_values, max_size=4).map(
        lambda change: {**ITEM, **change}
    ),
    json_values,
)


@settings(max_examples=200, deadline=None, database=None)
@given(
    listed=st.lists(items, max_size=30),
    size=st.integers(1, 3000),
    indent=st.sampled_from([None, 1]),
    ascii_only=st.booleans(),
)
def test_runs_read_every_item_as_one_by_one(
    listed: list[Any], size: int, indent: int | None, ascii_only: bool
) -> None:
    body = {"status": "success", "info": listed, "message": "}"}
    content = json.dumps(body, indent=indent, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    reference = BriefReader()
    expected = [reference(item, index) for index, item in enumerate(json.loads(content)["info"])]
    read = read_list(chunks(content, size))
    assert all(same_reading(a, b) for a, b in zip(read, expected, strict=True)), (read, expected)


def test_a_list_in_the_common_shape_is_read_in_runs() -> None:
    listed = [{**ITEM, "number": str(48221234567 + i), "description": "} Łódź"} for i in range(200)]
    content = json.dumps({"status": "success", "info": listed}).encode()
    offered: list[int] = []
    reader = BriefReader()

    def run(text: str) -> list[NumberBrief] | None:
        read = reader.run(text)
        offered.append(-1 if read is None else len(read))
        return read

    streaming = StreamingReader("info", reader, run)
    for part in chunks(content, 4096):
        streaming.feed(part)
    briefs = streaming.finish()["info"]
    assert [b.number for b in briefs] == [item["number"] for item in listed]
    assert sum(n for n in offered if n > 0) >= 190  # all but the items cut by a chunk's end
    assert len(offered) <= 2 * len(chunks(content, 4096))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (json.dumps(ITEM)[:-1], "cut inside the item"),
        (json.dumps({**ITEM, "description": "a}b"})[:-4], "cut inside a string"),
        (json.dumps(ITEM) + ", null", "not an object"),
        (json.dumps({**ITEM, "monthly_fee": float("nan")}), "NaN, which json reads"),
        (json.dumps({**ITEM, "extra": float("inf")}), "an infinity in a field not read"),
        (json.dumps({**ITEM, "description": "\ud800"}), "a lone surrogate, escaped"),
        (json.dumps({**ITEM, "description": "\ud800"}, ensure_ascii=False), "a raw lone surrogate"),
        (json.dumps({**ITEM, "stop_date": "2026-1-2"}), "not in the common shape"),
        (json.dumps(ITEM) + "]", "not a list of items"),
    ],
)
def test_a_run_is_refused_unless_read_exactly(text: str, why: str) -> None:
    assert BriefReader().run(text) is None, why


def test_a_run_reads_what_the_model_reads() -> None:
    listed = [{**ITEM, **change} for change in VARIANTS]
    regular = [item for item in listed if BriefReader().run(json.dumps(item)) is not None]
    assert len(regular) >= 10
    read = BriefReader().run(", ".join(json.dumps(item) for item in regular))
    assert read is not None
    assert all(same(brief, reference(item)) for brief, item in zip(read, regular, strict=True))


# --------------------------------------------------------------------- through the client
async def read_both(body: Any) -> tuple[list[DirectNumber], list[NumberBrief], int, int]:
    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(body).encode())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        full = ZadarmaClient(http, base_url="http://127.0.0.1:1", key="k", secret="s", sleep=FakeClock().skip)
        compact = ZadarmaClient(
            http, base_url="http://127.0.0.1:1", key="k", secret="s", sleep=FakeClock().skip
        )
        records = await full.direct_numbers()
        briefs = await compact.number_briefs()
        return records, briefs, full.skipped_items, compact.skipped_items


@pytest.mark.parametrize(
    "info",
    [
        [ITEM, {**ITEM, "number": None}, {**ITEM, "number": "48221234568", "monthly_fee": "x"}, []],
        {"3": ITEM, "7": {**ITEM, "number": "48221234569"}},
        None,
        {},
    ],
    ids=["list with bad items", "PHP object with gaps", "null", "empty object"],
)
async def test_number_briefs_keep_and_skip_what_direct_numbers_do(info: Any) -> None:
    records, briefs, skipped_full, skipped_compact = await read_both({"status": "success", "info": info})
    assert [NumberBrief.of(r) for r in records] == briefs
    assert skipped_compact == skipped_full


async def test_number_briefs_remember_each_numbers_type() -> None:
    body = {"status": "success", "info": [{**ITEM, "number": "+48221234567", "type": "order"}]}
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, content=json.dumps(body).encode())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = ZadarmaClient(http, base_url="http://127.0.0.1:1", key="k", secret="s")
        await client.number_briefs()
        assert await client.number_type("48221234567") == "order"
    assert calls == ["/v1/direct_numbers/"]  # the type came from the scan's list
