"""Property tests of the client's reader: every reply the bot reads, varied the way real APIs vary.

Replies are generated from the response schemas in Zadarma's OpenAPI file
(``tests/spec_support.py``), then varied: extra unknown fields, ``null`` or a
missing value in optional fields, numbers as strings and strings as numbers,
PHP's ``[]`` for an empty object. A scripted peer (``httpx.MockTransport``)
serves each reply to the real client.

* Benign variations must always read, and keep every item of a list.
* Arbitrary damage may only ever raise the one documented "unreadable reply"
  (:class:`ZadarmaMalformedResponse`), and damage inside list items never fails
  the list: the item is skipped and counted.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.zadarma import ZadarmaClient, ZadarmaMalformedResponse
from tests.fakes.clock import FakeClock
from tests.spec_support import response_schema

Json = Any
Call = Callable[[ZadarmaClient], Awaitable[object]]

FAST = settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Endpoint:
    """A call the bot makes, the spec operation whose reply it reads, and its list (if any)."""

    method: str
    path: str
    call: Call
    list_key: str | None = None
    # Keys (at any depth) that may be null or missing without the reply losing meaning.
    optional: frozenset[str] = frozenset()
    # Tells apart two readings of one reply in test ids.
    variant: str = ""


NUMBER_OPTIONAL = frozenset(
    {
        "description",
        "number_name",
        "monthly_fee",
        "currency",
        "country",
        "autorenew",
        "sip",
        "sip_name",
        "start_date",
        "stop_date",
        "channels",
        "minutes",
        "is_on_test",
        "receive_sms",
    }
)
GROUP_OPTIONAL = frozenset(
    {
        "email",
        "salutation",
        "nationality",
        "first_name",
        "middle_name",
        "last_name",
        "date_of_birth",
        "organization",
        "organization_description",
        "organization_reg_number",
        "country",
        "region",
        "city",
        "address",
        "zip_code",
        "street",
        "street_code",
        "municipality_code",
        "building_number",
        "building_letter",
        "phone",
        "type_of_id",
        "id_number",
        "issuing_authority",
        "issuing_date",
        "is_readonly",
    }
)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/v1/info/balance", lambda c: c.balance()),
    Endpoint("GET", "/v1/info/timezone", lambda c: c.account_clock()),
    Endpoint(
        "GET", "/v1/sip", lambda c: c.sip_logins(), "sips", frozenset({"display_name", "lines", "left"})
    ),
    Endpoint("GET", "/v1/direct_numbers/countries", lambda c: c.countries(), "info"),
    Endpoint(
        "GET",
        "/v1/direct_numbers/country",
        lambda c: c.directions("PL"),
        "info",
        frozenset({"restrictions", "upload", "specify", "receive_sms", "is_toll", "feature", "connect_time"}),
    ),
    Endpoint(
        "GET", "/v1/direct_numbers/available/{direction_id}", lambda c: c.available_numbers(3001), "numbers"
    ),
    Endpoint("GET", "/v1/direct_numbers", lambda c: c.direct_numbers(), "info", NUMBER_OPTIONAL | {"type"}),
    # the same reply read compactly for alert scans: the same tolerance
    Endpoint(
        "GET",
        "/v1/direct_numbers",
        lambda c: c.number_briefs(),
        "info",
        NUMBER_OPTIONAL | {"type"},
        " briefs",
    ),
    Endpoint(
        "GET",
        "/v1/direct_numbers/number",
        lambda c: c.direct_number("48221234567", type="common"),
        None,
        NUMBER_OPTIONAL,
    ),
    Endpoint(
        "GET", "/v1/direct_numbers/autoprolongation", lambda c: c.autoprolongation("4822123", type="common")
    ),
    Endpoint(
        "GET",
        "/v1/direct_numbers/checking-wrongs",
        lambda c: c.checking_wrongs(1),
        None,
        frozenset({"wrong_document", "wrong_address", "document_type", "message"}),
    ),
    Endpoint("GET", "/v1/documents/groups/list", lambda c: c.document_groups(), "groups", GROUP_OPTIONAL),
    Endpoint("GET", "/v1/documents/groups/get/{id}", lambda c: c.document_group(1), None, GROUP_OPTIONAL),
    Endpoint(
        "GET",
        "/v1/documents/files",
        lambda c: c.document_files(1),
        "documents",
        frozenset({"source", "name"}),
    ),
    Endpoint("GET", "/v1/documents/groups/valid/{id}", lambda c: c.group_validity(1, 3001)),
    Endpoint(
        "POST",
        "/v1/direct_numbers/order",
        lambda c: c.order_number(direction_id=3001, documents_group_id=0),
    ),
    Endpoint("POST", "/v1/direct_numbers/prolong", lambda c: c.prolong_number("48221234567", 1)),
    Endpoint(
        "PUT",
        "/v1/direct_numbers/autoprolongation",
        lambda c: c.set_autoprolongation("48221234567", True, type="common"),
    ),
    Endpoint(
        "PUT",
        "/v1/direct_numbers/set_caller_name",
        lambda c: c.set_caller_name("48221234567", "A", type="common"),
        None,
        frozenset({"caller_name"}),
    ),
    Endpoint(
        "PUT", "/v1/direct_numbers/set_sip_id", lambda c: c.set_sip_target("48221234567", "1", type="common")
    ),
    Endpoint(
        "PUT",
        "/v1/direct_numbers/receive_sms",
        lambda c: c.set_receive_sms("48221234567", True, type="common"),
    ),
    Endpoint(
        "POST",
        "/v1/documents/groups/create",
        lambda c: c.create_document_group({"email": "a@b.pl"}),
        None,
        GROUP_OPTIONAL,
    ),
    Endpoint(
        "PUT",
        "/v1/documents/groups/update/{groupid}",
        lambda c: c.update_document_group(1, {"email": "a@b.pl"}),
        None,
        GROUP_OPTIONAL,
    ),
    Endpoint(
        "POST",
        "/v1/documents/upload",
        lambda c: c.upload_document(1, "passport", "p.jpg", b"\xff\xd8\xff", "image/jpeg"),
    ),
)
IDS = [f"{e.method} {e.path}{e.variant}" for e in ENDPOINTS]


# --------------------------------------------------------------------- replies from the schema
def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Json]:
    """Values a correct server could send for ``schema`` (examples where the spec gives them)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        # Every field the spec lists is present: leaving fields out is a variation of its own.
        return st.fixed_dictionaries({k: from_schema(v) for k, v in schema.get("properties", {}).items()})
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=3)
    if kind == "string":
        if "example" in schema and schema["example"] is not None:
            return st.just(str(schema["example"]))
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.text(max_size=12)
    if kind == "integer":
        return st.integers(min_value=0, max_value=10**6)
    if kind == "number":
        return st.decimals(min_value=0, max_value=10**4, places=2).map(float)
    if kind == "boolean":
        return st.booleans()
    return st.none()


def reply(endpoint: Endpoint) -> st.SearchStrategy[Json]:
    """A reply whose lists have at least one item (so item-level damage has something to hit)."""
    schema = response_schema(endpoint.method, endpoint.path)
    top = from_schema(schema).map(lambda body: {**body, "status": "success"})
    if endpoint.list_key is None:
        return top
    items = from_schema(schema["properties"][endpoint.list_key]["items"])
    return st.tuples(top, st.lists(items, min_size=1, max_size=4)).map(
        lambda pair: {**pair[0], endpoint.list_key: pair[1]}
    )


# --------------------------------------------------------------------- variations
ANY_JSON: st.SearchStrategy[Json] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
EXTRA_KEYS = st.text(min_size=1, max_size=10).map(lambda k: "x_" + k)


def swap_type(value: Json) -> Json:
    """The same value in the other wire type: ``"12"`` <-> ``12``, ``"2.5"`` <-> ``2.5``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        if number.is_integer() and "." not in value and not value.startswith(("0", "+")):
            return int(number)
        return number if "." in value else value
    return value


@st.composite
def benign(draw: st.DrawFn, value: Json, optional: frozenset[str]) -> Json:
    """Variations a tolerant reader must take without losing anything."""
    if isinstance(value, dict):
        if not value and draw(st.booleans()):
            return []
        out: dict[str, Json] = {}
        for key, item in value.items():
            if key in optional and key != "status":
                choice = draw(st.sampled_from(["keep", "null", "drop", "swap"]))
                if choice == "null":
                    out[key] = None
                    continue
                if choice == "drop":
                    continue
                if choice == "swap":
                    item = swap_type(item)
            elif key != "status" and draw(st.booleans()):
                item = swap_type(item)
            out[key] = draw(benign(item, optional))
        for key in draw(st.lists(EXTRA_KEYS, max_size=2)):
            out.setdefault(key, draw(ANY_JSON))
        return out
    if isinstance(value, list):
        return [draw(benign(item, optional)) for item in value]
    return value


@st.composite
def damaged(draw: st.DrawFn, value: Json, depth: int = 0) -> Json:
    """Arbitrary damage: any value may become null, anything else, vanish or change type."""
    if depth > 0 and draw(st.integers(0, 5)) == 0:
        return draw(ANY_JSON)
    if isinstance(value, dict):
        out: dict[str, Json] = {}
        for key, item in value.items():
            if key == "status" and depth == 0:
                out[key] = item
                continue
            if draw(st.integers(0, 6)) == 0:
                continue
            out[key] = draw(damaged(swap_type(item) if draw(st.booleans()) else item, depth + 1))
        return out
    if isinstance(value, list):
        return [draw(damaged(item, depth + 1)) for item in value]
    return value


# --------------------------------------------------------------------- running the real client
def read(endpoint: Endpoint, body: Json) -> tuple[object, int]:
    """What the client makes of ``body`` (or the exception it raised), and how many items it skipped."""

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(body).encode())

    async def run() -> tuple[object, int]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            client = ZadarmaClient(
                http,
                base_url="http://127.0.0.1:1",
                key="k",
                secret="s",
                max_retries=0,
                sleep=FakeClock().skip,
            )
            try:
                result: object = await endpoint.call(client)
            except Exception as exc:  # the property inspects what was raised
                result = exc
            return result, client.skipped_items

    return asyncio.run(run())


def items_of(result: object) -> list[object] | None:
    if isinstance(result, list):
        return result
    sips = getattr(result, "sips", None)
    return list(sips) if sips is not None else None


@pytest.mark.spec
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@FAST
@given(data=st.data())
def test_benign_variations_always_read_and_keep_every_item(endpoint: Endpoint, data: st.DataObject) -> None:
    body = data.draw(reply(endpoint))
    varied = data.draw(benign(body, endpoint.optional))
    result, skipped = read(endpoint, varied)
    assert not isinstance(result, Exception), (varied, result)
    if endpoint.list_key is not None:
        items = items_of(result)
        assert items is not None and len(items) == len(body[endpoint.list_key]), (varied, result)
        assert skipped == 0


@pytest.mark.spec
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@FAST
@given(data=st.data())
def test_damage_raises_only_the_documented_unreadable_reply(endpoint: Endpoint, data: st.DataObject) -> None:
    body = data.draw(damaged(data.draw(reply(endpoint))))
    result, _ = read(endpoint, body)
    if isinstance(result, Exception):
        assert isinstance(result, ZadarmaMalformedResponse), (body, repr(result))


@pytest.mark.spec
@pytest.mark.parametrize(
    "endpoint",
    [e for e in ENDPOINTS if e.list_key],
    ids=[i for e, i in zip(ENDPOINTS, IDS, strict=True) if e.list_key],
)
@FAST
@given(data=st.data())
def test_damaged_items_are_skipped_and_counted_never_failing_the_list(
    endpoint: Endpoint, data: st.DataObject
) -> None:
    assert endpoint.list_key is not None
    body = data.draw(reply(endpoint))
    good = data.draw(benign(body, endpoint.optional))
    broken = [data.draw(damaged(item, 1)) for item in body[endpoint.list_key]]
    varied = {**good, endpoint.list_key: broken}
    result, skipped = read(endpoint, varied)
    assert not isinstance(result, Exception), (varied, repr(result))
    items = items_of(result)
    assert items is not None and len(items) + skipped == len(broken)


# --------------------------------------------------------------------- the cases found in the field
NUMBERS = Endpoint("GET", "/v1/direct_numbers", lambda c: c.direct_numbers(), "info")
RECORD = {
    "number": "442037691880",
    "status": "on",
    "country": "United Kingdom",
    "description": "London",
    "number_name": None,
    "sip": "00001",
    "sip_name": None,
    "start_date": "2025-01-01 00:00:00",
    "stop_date": "2025-02-01 00:00:00",
    "monthly_fee": 2,
    "currency": "USD",
    "channels": 2,
    "autorenew": "true",
    "is_on_test": "false",
    "type": "common",
}


@pytest.mark.parametrize(
    "change",
    [
        {"description": None, "number_name": None, "brand_new_field": {"x": 1}},
        {"monthly_fee": None},
        {"currency": None},
        {"country": None},
        {"autorenew": None},
        {"sip": 100},
        {"channels": "2", "monthly_fee": "2.50"},
    ],
)
def test_records_that_broke_the_numbers_screen_now_read(change: dict[str, Json]) -> None:
    result, skipped = read(NUMBERS, {"status": "success", "info": [{**RECORD, **change}, RECORD]})
    assert isinstance(result, list) and len(result) == 2 and skipped == 0
    first = result[0]
    assert first.number == "442037691880" and first.status == "on"
    if change.get("sip") == 100:
        assert first.sip == "100"
    if "brand_new_field" in change:
        assert first.description == ""


def test_a_record_without_its_number_is_skipped_alone(caplog: pytest.LogCaptureFixture) -> None:
    broken = {k: v for k, v in RECORD.items() if k != "number"}
    with caplog.at_level(logging.WARNING, logger="bot.zadarma"):
        result, skipped = read(NUMBERS, {"status": "success", "info": [broken, RECORD]})
    assert isinstance(result, list) and [r.number for r in result] == ["442037691880"] and skipped == 1
    [warning] = [r for r in caplog.records if r.getMessage() == "zadarma item skipped"]
    assert warning.levelno == logging.WARNING and getattr(warning, "fields", "") == "number"
    assert getattr(warning, "index", None) == 0 and getattr(warning, "path", "") == "/v1/direct_numbers/"


@pytest.mark.parametrize(("wire", "days"), [("", 0), (None, 0), ("1-3", 3), ("5", 5), (7, 7)])
def test_connect_time_variants(wire: Json, days: int) -> None:
    endpoint = Endpoint("GET", "/v1/direct_numbers/country", lambda c: c.directions("PL"), "info")
    direction = {
        "id": "3001",
        "countryCode": "48",
        "areaCode": "22",
        "name": "Warsaw",
        "connect_fee": 0,
        "monthly_fee": "3.5",
        "currency": "USD",
        "restrictions": [],
        "connect_time": wire,
    }
    result, _ = read(endpoint, {"status": "success", "info": [direction]})
    assert isinstance(result, list) and result[0].connect_time_days == days
    assert result[0].upload == () and result[0].specify == ()


def test_null_sip_display_name_and_list_valued_wrong_document() -> None:
    sips, _ = read(
        ENDPOINTS[2],
        {"status": "success", "sips": [{"id": "00001", "display_name": None, "lines": "3"}], "left": 2},
    )
    assert getattr(sips, "sips", None) and sips.sips[0].display_name == "" and sips.sips[0].lines == 3  # type: ignore[attr-defined]
    wrongs_endpoint = next(e for e in ENDPOINTS if e.path.endswith("checking-wrongs"))
    wrongs, _ = read(
        wrongs_endpoint,
        {
            "status": "success",
            "info": {
                "wrong_document": [{"document_type": "passport", "message": "Expired"}],
                "wrong_address": [],
            },
        },
    )
    assert getattr(wrongs, "document_message", None) == "Expired"
    assert getattr(wrongs, "address_message", "x") is None
