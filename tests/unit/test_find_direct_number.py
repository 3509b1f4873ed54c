"""``ZadarmaClient.find_direct_number``: the account check before an order reads one number, not the list.

The reply is the real list call's (signed ``GET /v1/direct_numbers/``), served
by an httpx mock transport so the items can be odd; the answer must be what
reading the whole list with :meth:`direct_numbers` and comparing would give.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from bot.zadarma import ZadarmaAPIError, ZadarmaClient, ZadarmaMalformedResponse
from bot.zadarma.client import _list_of
from tests.fakes.clock import FakeClock


def client_answering(*bodies: Any) -> tuple[ZadarmaClient, list[str]]:
    replies = list(bodies)
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        # a signed GET: the parameters in the query, nothing in the body
        assert request.method == "GET" and b"format=json" in request.url.query and not request.content
        paths.append(request.url.path)
        body = replies.pop(0) if len(replies) > 1 else replies[0]  # the last one, to every retry
        return httpx.Response(200, content=body if isinstance(body, bytes) else json.dumps(body).encode())

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ZadarmaClient(
        http, base_url="http://127.0.0.1:1", key="k", secret="s", sleep=FakeClock().skip
    ), paths


def item(number: object, **extra: object) -> dict[str, object]:
    return {"number": number, "status": "on", "sip": "100", "type": "order", **extra}


LIST = [item("+48221234567"), item("48229876543", sip="200"), item(48225550000, type="common")]


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        ("+48229876543", "48229876543"),  # "+" does not count, either way
        ("48221234567", "+48221234567"),
        (" 48221234567 ", "+48221234567"),
        ("48225550000", "48225550000"),  # listed as a JSON number
        ("4822123456", None),  # a prefix of a listed number is another number
        ("482212345678", None),
        ("48220000000", None),
    ],
)
async def test_the_answer_is_the_whole_lists_answer(asked: str, found: str | None) -> None:
    client, paths = client_answering({"status": "success", "info": LIST}, {"status": "success", "info": LIST})
    record = await client.find_direct_number(asked)
    everything = await client.direct_numbers()
    wanted = asked.strip().lstrip("+")
    expected = next((r for r in everything if r.number.strip().lstrip("+") == wanted), None)
    assert record == expected
    assert (record.number if record else None) == found
    assert paths == ["/v1/direct_numbers/", "/v1/direct_numbers/"]


async def test_only_an_item_that_may_be_the_number_is_read(caplog: pytest.LogCaptureFixture) -> None:
    broken = {"number": "+48221234567", "status": {"not": "a status"}}
    other_broken = {"number": "+48227777777", "status": ["nor", "this"]}
    other_as_int = {"number": 48227777778, "status": ["nor", "this"]}
    good = item("+48229876543")
    listed = [other_broken, broken, other_as_int, good]
    client, _ = client_answering(*[{"status": "success", "info": listed}] * 3)
    # The unreadable item that may be the number is skipped, logged and counted, as a full read does.
    with caplog.at_level(logging.WARNING, logger="bot.zadarma"):
        assert await client.find_direct_number("48221234567") is None
    assert client.skipped_items == 1
    [skipped] = [r for r in caplog.records if r.getMessage() == "zadarma item skipped"]
    assert (skipped.path, skipped.list, skipped.index, skipped.fields) == (  # type: ignore[attr-defined]
        "/v1/direct_numbers/",
        "info",
        1,
        "status",
    )
    # Unreadable items that cannot be the number (a string, a JSON number) are not looked at.
    found = await client.find_direct_number("48229876543")
    assert found is not None and found.sip == "100"
    assert client.skipped_items == 1
    await client.direct_numbers()
    assert client.skipped_items == 4


async def test_an_item_that_is_not_an_object_is_logged_as_the_item(caplog: pytest.LogCaptureFixture) -> None:
    client, _ = client_answering({"status": "success", "info": ["48221234567", item("48221234567")]})
    with caplog.at_level(logging.WARNING, logger="bot.zadarma"):
        found = await client.find_direct_number("48221234567")
    assert found is not None and found.number == "48221234567"
    [skipped] = [r for r in caplog.records if r.getMessage() == "zadarma item skipped"]
    assert (skipped.index, skipped.fields) == (0, "(item)")  # type: ignore[attr-defined]


@pytest.mark.parametrize(("asked", "kind"), [("48225550000", "common"), ("48221234567", "order")])
async def test_a_found_record_teaches_the_numbers_type(asked: str, kind: str) -> None:
    client, paths = client_answering(
        {"status": "success", "info": LIST},
        {"status": "success", "info": {"number": asked, "status": "on", "sip": "7"}},
    )
    await client.find_direct_number(asked)
    record = await client.direct_number(asked)  # no second list read for the type
    assert record.type == kind
    assert paths == ["/v1/direct_numbers/", "/v1/direct_numbers/number/"]


@pytest.mark.parametrize(
    ("info", "found"),
    [(None, None), ({}, None), ([], None), ({"7": item("48221234567")}, "48221234567")],
)
async def test_empty_and_php_shaped_lists(info: object, found: str | None) -> None:
    client, _ = client_answering({"status": "success", "info": info})
    record = await client.find_direct_number("48221234567")
    assert (record.number if record else None) == found


async def test_an_error_or_a_list_that_is_not_one_is_never_taken_for_absence() -> None:
    client, _ = client_answering(
        {"status": "error", "message": "temporarily unavailable"},
        {"status": "success", "info": "48221234567"},
        b"not json",
    )
    with pytest.raises(ZadarmaAPIError):
        await client.find_direct_number("48221234567")
    with pytest.raises(ZadarmaMalformedResponse) as not_a_list:
        await client.find_direct_number("48221234567")
    error = not_a_list.value
    assert (error.message, error.method, error.path) == ("'info' is not a list", "GET", "/v1/direct_numbers/")
    assert error.outcome_unknown is False  # a read: nothing happened at Zadarma
    with pytest.raises(ZadarmaMalformedResponse):
        await client.find_direct_number("48221234567")


def test_a_write_answering_a_list_that_is_not_one_leaves_its_outcome_unknown() -> None:
    with pytest.raises(ZadarmaMalformedResponse) as raised:
        _list_of("not a list", "info", "POST", "/v1/x/")
    assert (raised.value.method, raised.value.path, raised.value.outcome_unknown) == ("POST", "/v1/x/", True)


async def test_a_skipped_items_fields_are_named_by_their_whole_path(caplog: pytest.LogCaptureFixture) -> None:
    # A direction id must be a number or a text: a list fails both kinds, each named in full.
    odd = {"id": [1], "countryCode": "48", "areaCode": "22", "name": "Warsaw"}
    good = {**odd, "id": 3753, "connect_fee": 0, "monthly_fee": "5", "currency": "USD"}
    client, _ = client_answering({"status": "success", "info": [{**good, **odd}, good]})
    with caplog.at_level(logging.WARNING, logger="bot.zadarma"):
        [direction] = await client.directions("PL")
    assert direction.id == 3753
    [skipped] = [r for r in caplog.records if r.getMessage() == "zadarma item skipped"]
    assert skipped.fields == "id.int, id.str"  # type: ignore[attr-defined]
