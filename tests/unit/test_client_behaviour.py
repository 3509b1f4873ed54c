"""Client behaviour against scripted peers (httpx.MockTransport): retries, errors, secrecy."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

from bot.zadarma import (
    RateLimiter,
    ZadarmaAPIError,
    ZadarmaAuthError,
    ZadarmaClient,
    ZadarmaMalformedResponse,
    ZadarmaRateLimited,
    ZadarmaTransportError,
)
from bot.zadarma.signing import build_query, sign
from tests.fakes.clock import FakeClock

SECRET = "very-secret-value"
KEY = "key123"


def make_client(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[ZadarmaClient, list[float]]:
    clock = FakeClock()
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = ZadarmaClient(http, base_url="http://127.0.0.1:1", key=KEY, secret=SECRET, sleep=clock.skip)
    return client, clock.sleeps


def ok(
    body: Mapping[str, object], status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


async def test_get_sends_exactly_the_signed_query() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok({"status": "success", "numbers": []})

    client, _ = make_client(handler)
    await client.available_numbers(3001, mask="22~3")
    request = seen[0]
    raw_query = request.url.query.decode()
    assert raw_query == "format=json&mask=22%7E3"
    path = request.url.path
    assert path == "/v1/direct_numbers/available/3001/"
    expected = sign(path, raw_query, SECRET)
    assert request.headers["Authorization"] == f"{KEY}:{expected}"


async def test_post_body_is_the_canonical_form() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok({"status": "success", "number": "48221112233", "caller_name": "Acme 1"})

    client, _ = make_client(handler)
    await client.set_caller_name("48221112233", "Acme 1", type="common")
    body = seen[0].content.decode()
    assert body == build_query({"number": "48221112233", "caller_name": "Acme 1", "type": "common"})
    assert seen[0].method == "PUT"
    assert seen[0].headers["content-type"] == "application/x-www-form-urlencoded"


async def test_http_200_with_status_error_is_an_error() -> None:
    client, _ = make_client(lambda r: ok({"status": "error", "message": "Wrong parameters"}))
    with pytest.raises(ZadarmaAPIError) as info:
        await client.balance()
    assert info.value.message == "Wrong parameters"
    assert info.value.status_code == 200


async def test_get_retries_5xx_then_succeeds() -> None:
    calls = iter(
        [
            ok({"status": "error", "message": "down"}, 503),
            ok({"status": "success", "balance": "1.5", "currency": "USD"}),
        ]
    )
    client, sleeps = make_client(lambda r: next(calls))
    balance = await client.balance()
    assert balance.balance == Decimal("1.5")
    assert len(sleeps) == 1


async def test_post_is_never_repeated() -> None:
    count = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        return ok({"status": "error", "message": "temporarily unavailable"}, 503)

    client, sleeps = make_client(handler)
    with pytest.raises(ZadarmaAPIError):
        await client.prolong_number("48221112233", 1)
    assert count == 1
    assert sleeps == []


async def test_dropped_post_is_an_unknown_outcome() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    client, _ = make_client(handler)
    with pytest.raises(ZadarmaTransportError) as info:
        await client.order_number(direction_id=1, documents_group_id=0, number_id="x")
    assert info.value.outcome_unknown


async def test_refused_connection_is_not_an_unknown_outcome() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, _ = make_client(handler)
    with pytest.raises(ZadarmaTransportError) as info:
        await client.order_number(direction_id=1, documents_group_id=0, number_id="x")
    assert not info.value.outcome_unknown


async def test_malformed_reply_and_missing_fields() -> None:
    replies = iter([httpx.Response(200, content=b"{not json"), ok({"status": "success", "currency": "USD"})])
    client, _ = make_client(lambda r: next(replies))
    client._max_retries = 0
    with pytest.raises(ZadarmaMalformedResponse):
        await client.balance()
    with pytest.raises(ZadarmaMalformedResponse) as info:
        await client.balance()
    assert "balance" in str(info.value)


async def test_401_and_429_are_typed() -> None:
    replies = iter(
        [
            ok({"status": "error", "message": "Not authorized"}, 401),
            ok({"status": "error", "message": "Too many"}, 429, {"X-RateLimit-Reset": "2"}),
        ]
    )
    client, _ = make_client(lambda r: next(replies))
    with pytest.raises(ZadarmaAuthError):
        await client.balance()
    with pytest.raises(ZadarmaRateLimited) as info:
        await client.prolong_number("4822", 1)
    assert info.value.reset_at is not None


async def test_secret_never_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    replies = iter([ok({"status": "error", "message": "bad"}, 500)] * 4)
    client, _ = make_client(lambda r: next(replies))
    with pytest.raises(ZadarmaAPIError) as info:
        await client.balance()
    signature = sign("/v1/info/balance/", "format=json", SECRET)
    text = str(info.value) + repr(info.value) + repr(client) + caplog.text
    for record in caplog.records:
        text += json.dumps(record.__dict__, default=str)
    assert SECRET not in text
    assert signature not in text


async def test_lenient_parsing_at_the_boundary() -> None:
    body = {
        "status": "success",
        "info": [
            {
                "id": "3753",
                "countryCode": "49",
                "areaCode": "800",
                "name": "Toll-free",
                "connect_fee": 0,
                "monthly_fee": "15.5",
                "currency": "USD",
                "restrictions": {"upload": ["passport"], "specify": ["address"]},
                "receive_sms": "false",
                "is_toll": "true",
                "connect_time": "3",
            }
        ],
    }
    client, _ = make_client(lambda r: ok(body))
    [direction] = await client.directions("DE")
    assert direction.id == 3753
    assert direction.is_toll is True and direction.receive_sms is False
    assert direction.monthly_fee == Decimal("15.5")
    assert direction.upload == ("passport",) and direction.connect_time_days == 3


def test_query_parameters_survive_httpx_untouched() -> None:
    query = build_query({"name": "a b~c", "city": "Łódź"})
    url = httpx.URL("http://127.0.0.1/").copy_with(raw_path=b"/v1/x/?" + query.encode())
    assert url.query.decode() == query
    assert dict(parse_qsl(url.query.decode())) == {"name": "a b~c", "city": "Łódź", "format": "json"}


async def test_a_number_listed_again_unchanged_is_not_read_again_and_a_changed_one_is() -> None:
    first = {"number": "+48221234567", "status": "on", "sip": "100", "channels": 1, "autorenew": "true"}
    replies = [
        [first, {**first, "number": "+48227654321"}],
        [first, {**first, "number": "+48227654321", "sip": "200"}],
        [{**first, "channels": 1.0}, {**first, "autorenew": True}, {**first, "channels": "1", "extra": [1]}],
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return ok({"status": "success", "info": replies.pop(0)})

    client, _ = make_client(handler)
    a, b = await client.direct_numbers()
    again_a, again_b = await client.direct_numbers()
    assert again_a is a  # the very record: the item was not read again
    assert again_b is not b and (again_b.number, again_b.sip) == ("+48227654321", "200")
    # Equal in Python but not the same JSON (1 == 1.0 == True): read anew, and a nested value too.
    records = await client.direct_numbers()
    assert [r is a for r in records] == [False, False, False]
    assert [(r.channels, r.autorenew) for r in records] == [(1, True)] * 3


async def test_a_number_orjson_cannot_write_back_is_read_every_time() -> None:
    # An integer beyond 64 bits, a lone surrogate and NaN: json.loads reads them, orjson cannot write them.
    text = (
        '{"status": "success", "info": [{"number": "+48221234567", "status": "on",'
        ' "minutes": 1180591620717411303424, "description": "\\ud800"},'
        ' {"number": "+48227654321", "status": "on", "description": NaN}]}'
    )
    client, _ = make_client(lambda r: httpx.Response(200, content=text.encode()))
    big, nan = await client.direct_numbers()
    assert big.minutes == 2**70 and big.description == "\ud800"
    assert nan.number == "+48227654321" and nan.description == "nan"
    again_big, again_nan = await client.direct_numbers()
    # Neither has a JSON text to be kept by: both are read anew (NaN must not pass for null).
    assert again_big == big and again_big is not big
    assert again_nan.description == "nan" and again_nan is not nan


async def test_nan_and_null_are_not_the_same_item() -> None:
    # orjson writes NaN as null: a NaN item must not be taken for the null one read before it.
    plain_item = '[{"number": "+48221234567", "status": "on", "description": null}]'
    replies = [plain_item, plain_item.replace("null", "NaN")]

    def handler(request: httpx.Request) -> httpx.Response:
        body = '{"status": "success", "info": ' + str(replies.pop(0)) + "}"
        return httpx.Response(200, content=body.encode())

    client, _ = make_client(handler)
    [plain] = await client.direct_numbers()
    [odd] = await client.direct_numbers()
    assert plain.description == "" and odd.description == "nan"


async def test_each_call_goes_to_its_own_url_however_many_were_kept() -> None:
    """URLs are kept built for reuse; a call never goes to another call's URL, before or after eviction."""
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return ok({"status": "success", "numbers": [], "info": []})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = ZadarmaClient(
        http, base_url="http://127.0.0.1:1", key=KEY, secret=SECRET, limiter=RateLimiter(10**9)
    )
    cities = [3001, 3002, *range(4000, 4100), 3001, 3002]  # more than are kept, then the first again
    for city in cities:
        await client.available_numbers(city)
        await client.available_numbers(city, mask="22~3")
    await client.direct_numbers()
    await client.direct_numbers()

    expected = [
        f"/v1/direct_numbers/available/{city}/?format=json{mask}".encode()
        for city in cities
        for mask in ("", "&mask=22%7E3")
    ] + [b"/v1/direct_numbers/?format=json"] * 2
    assert seen == expected
