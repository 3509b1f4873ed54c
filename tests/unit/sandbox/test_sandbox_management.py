"""Managing owned numbers and the read-only catalogue, info and routing endpoints."""

from __future__ import annotations

import pytest

from bot.sandbox import Sandbox
from tests.unit.sandbox.sandbox_helpers import SignedClient, make_sandbox

ORDER = "/v1/direct_numbers/order/"
LONDON, NEW_YORK = 3201, 3301


@pytest.fixture
async def number(client: SignedClient) -> str:
    body = await client.ok("POST", ORDER, {"direction_id": LONDON, "documents_group_id": 0})
    value: str = body["number"]
    return value


async def test_list_and_detail(client: SignedClient, number: str) -> None:
    info = (await client.ok("GET", "/v1/direct_numbers/"))["info"]
    assert len(info) == 1
    item = info[0]
    assert item["number"] == number and item["channels"] == 2 and item["type"] == "order"
    assert item["monthly_fee"] == 2.54 and item["currency"] == "USD"  # 2 GBP in the account's USD
    assert item["start_date"] == "2025-01-15 09:30:00" and item["stop_date"] == "2025-02-15 09:30:00"
    detail = (await client.ok("GET", "/v1/direct_numbers/number/", {"number": number, "type": "order"}))[
        "info"
    ]
    assert detail["channels"] == "2" and detail["receive_sms"] is None and detail["sip_name"] is None
    assert "is not yours" in await client.error(
        "GET", "/v1/direct_numbers/number/", {"number": "442000000000", "type": "order"}
    )
    assert "number is required" in await client.error("GET", "/v1/direct_numbers/number/")


async def test_autoprolongation(client: SignedClient, number: str) -> None:
    path = "/v1/direct_numbers/autoprolongation/"
    assert (await client.ok("GET", path, {"number": number, "type": "order"}))["autoprolongation"] == "on"
    body = await client.ok("PUT", path, {"number": number, "type": "order", "value": "off"})
    assert body == {"status": "success", "number": number, "autoprolongation": "off"}
    assert (await client.ok("GET", path, {"number": number, "type": "order"}))["autoprolongation"] == "off"
    assert "value must be one of on, off" in await client.error(
        "PUT", path, {"number": number, "type": "order", "value": "yes"}
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Acme Support 24", None),
        ("", None),
        ("x" * 30, None),
        ("x" * 31, "at most 30"),
        ("Zażółć", "only Latin letters, digits and spaces"),
        ("acme-support", "only Latin letters, digits and spaces"),
    ],
)
async def test_set_caller_name(client: SignedClient, number: str, name: str, expected: str | None) -> None:
    path = "/v1/direct_numbers/set_caller_name/"
    if expected is None:
        body = await client.ok("PUT", path, {"number": number, "type": "order", "caller_name": name})
        assert body == {"status": "success", "number": number, "caller_name": name}
    else:
        assert expected in await client.error(
            "PUT", path, {"number": number, "type": "order", "caller_name": name}
        )


async def test_set_caller_name_needs_the_parameter(client: SignedClient, number: str) -> None:
    message = await client.error(
        "PUT", "/v1/direct_numbers/set_caller_name/", {"number": number, "type": "order"}
    )
    assert "caller_name is required" in message


async def test_set_sip_id(sandbox: Sandbox, client: SignedClient, number: str) -> None:
    path = "/v1/direct_numbers/set_sip_id/"
    body = await client.ok(
        "PUT", path, {"number": number, "type": "order", "sip_id": "00002", "test_mode": "on"}
    )
    assert body == {"status": "success", "number": number, "sip_id": "00002"}
    detail = (await client.ok("GET", "/v1/direct_numbers/number/", {"number": number, "type": "order"}))[
        "info"
    ]
    assert detail["sip"] == "00002" and detail["sip_name"] == "Reception" and detail["is_on_test"] == "true"
    for uri in ("1234567890@myserver.com", "office@pbx.example.org:5060"):
        assert (await client.ok("PUT", path, {"number": number, "type": "order", "sip_id": uri}))[
            "sip_id"
        ] == uri
    assert sandbox.state.numbers[number].test_mode is True  # unchanged when test_mode is not sent
    for bad in ("00009", "not a uri", "user@", "user@host:port"):
        assert "sip_id must be one of your SIP logins" in await client.error(
            "PUT", path, {"number": number, "type": "order", "sip_id": bad}
        )
    assert "test_mode must be one of on, off" in await client.error(
        "PUT", path, {"number": number, "type": "order", "sip_id": "00001", "test_mode": "maybe"}
    )


async def test_receive_sms(client: SignedClient, number: str) -> None:
    path = "/v1/direct_numbers/receive_sms/"
    assert "cannot receive SMS" in await client.error("PUT", path, {"number": number, "value": "on"})
    sms_number = (await client.ok("POST", ORDER, {"direction_id": NEW_YORK, "documents_group_id": 0}))[
        "number"
    ]
    body = await client.ok("PUT", path, {"number": sms_number, "value": "on"})
    assert body == {"status": "success", "number": sms_number, "receive_sms": "on"}
    detail = (await client.ok("GET", "/v1/direct_numbers/number/", {"number": sms_number, "type": "order"}))[
        "info"
    ]
    assert detail["receive_sms"] == "on"


async def test_incoming_channels(client: SignedClient, number: str) -> None:
    path = "/v1/direct_numbers/incoming_channels/"
    body = await client.ok("GET", path, {"number": number})
    assert body["channels"] == 2 and body["max_channels"] == 30 and body["can_increase"] == "true"
    assert (await client.ok("GET", path, {"direction_id": LONDON}))["direction_id"] == LONDON
    assert "number or direction_id is required" in await client.error("GET", path)
    assert (await client.ok("PUT", path, {"number": number, "channels": 30}))["channels"] == 30
    for bad in (0, 31):
        assert "from 1 to 30" in await client.error("PUT", path, {"number": number, "channels": bad})


async def test_countries_in_english_and_polish(client: SignedClient) -> None:
    english = (await client.ok("GET", "/v1/direct_numbers/countries/"))["info"]
    assert {"countryCode": "48", "countryCodeIso": "PL", "name": "Poland"} in english
    polish = (await client.ok("GET", "/v1/direct_numbers/countries/", {"language": "pl"}))["info"]
    assert {c["name"] for c in polish} >= {"Polska", "Niemcy"}
    other = (await client.ok("GET", "/v1/direct_numbers/countries/", {"language": "de"}))["info"]
    assert other == english


async def test_country_directions(client: SignedClient) -> None:
    info = (await client.ok("GET", "/v1/direct_numbers/country/", {"country": "PL", "language": "pl"}))[
        "info"
    ]
    warsaw = next(d for d in info if d["areaCode"] == "22")
    assert warsaw["id"] == "3001" and warsaw["name"] == "Warszawa" and warsaw["countryCode"] == "48"
    assert warsaw["restrictions"] == {"upload": ["passport"], "specify": ["address"]}
    assert warsaw["receive_sms"] == "false" and warsaw["is_toll"] == "false" and warsaw["connect_time"] == "1"
    assert warsaw["monthly_fee"] == 6.25 and warsaw["currency"] == "USD"  # 25 PLN in the account's USD
    one = (await client.ok("GET", "/v1/direct_numbers/country/", {"country": "GB", "direction_id": LONDON}))[
        "info"
    ]
    assert [d["name"] for d in one] == ["London"]
    for params, expected in (
        ({}, "country is required"),
        ({"country": "pl"}, "ISO 3166-1 alpha-2"),
        ({"country": "JP"}, "not available"),
        ({"country": "PL", "direction_id": LONDON}, "does not exist in country PL"),
        ({"country": "PL", "direction_id": "x"}, "Direction x does not exist in country PL"),
        ({"country": "PL", "direction_id": "3 1"}, "direction_id must be a direction id"),
    ):
        assert expected in await client.error("GET", "/v1/direct_numbers/country/", params)


async def test_available_numbers_and_mask(client: SignedClient) -> None:
    numbers = (await client.ok("GET", f"/v1/direct_numbers/available/{LONDON}/"))["numbers"]
    assert all(n["direction_id"] == LONDON and n["number"].startswith("4420") for n in numbers)
    mask = numbers[5]["number"][-5:]
    masked = (await client.ok("GET", f"/v1/direct_numbers/available/{LONDON}", {"mask": mask}))["numbers"]
    assert numbers[5] in masked and all(mask in n["number"] for n in masked)
    assert "mask must contain digits only" in await client.error(
        "GET", f"/v1/direct_numbers/available/{LONDON}/", {"mask": "44x"}
    )
    assert "Direction 1 does not exist" in await client.error("GET", "/v1/direct_numbers/available/1/")
    assert "Direction abc does not exist" in await client.error("GET", "/v1/direct_numbers/available/abc/")
    assert "must be a direction id" in await client.error("GET", "/v1/direct_numbers/available/ru.495/")
    moscow = (await client.ok("GET", "/v1/direct_numbers/available/ru495/"))["numbers"]
    assert moscow and all(n["direction_id"] == "ru495" and n["number"].startswith("7495") for n in moscow)


async def test_info_and_sip(client: SignedClient) -> None:
    timezone = await client.ok("GET", "/v1/info/timezone/")
    assert timezone == {
        "status": "success",
        "unixtime": 1736933400,
        "datetime": "2025-01-15 09:30:00",
        "timezone": "UTC+0",
    }
    sip = await client.ok("GET", "/v1/sip/")
    assert [s["id"] for s in sip["sips"]] == ["00001", "00002", "00003"] and sip["left"] == 7


async def test_account_zone_is_configurable() -> None:
    import httpx

    sandbox = make_sandbox(timezone_hours=3)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as http:
        timezone = await SignedClient(http).ok("GET", "/v1/info/timezone/")
    assert timezone["datetime"] == "2025-01-15 12:30:00" and timezone["timezone"] == "UTC+3"


async def test_unknown_path_is_404_and_wrong_method_405(client: SignedClient) -> None:
    response = await client.get("/v1/nothing/here/")
    assert response.status_code == 404 and response.json()["status"] == "error"
    assert "x-ratelimit-limit" in response.headers
    response = await client.post("/v1/info/balance/")
    assert response.status_code == 405 and response.headers["allow"] == "GET"
    response = await client.get("/v1/direct_numbers/order/")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


async def test_call_counters(sandbox: Sandbox, client: SignedClient) -> None:
    await client.ok("POST", ORDER, {"direction_id": LONDON, "documents_group_id": 0})
    await client.error("POST", ORDER, {"direction_id": 1, "documents_group_id": 0})
    await client.ok("GET", "/v1/info/balance/")
    assert sandbox.call_count("direct_numbers.order") == 2
    assert sandbox.call_count("order", "POST") == 2 and sandbox.call_count("order", "GET") == 0
    stats = (await client.http.get("/_sandbox/stats")).json()
    assert stats["by_route"] == {"direct_numbers.order": 2, "info.balance": 1} and stats["total"] == 3
    assert {"method": "POST", "route": "direct_numbers.order", "count": 2} in stats["calls"]
    with pytest.raises(ValueError, match="unknown or ambiguous"):
        sandbox.call_count("nope")


async def test_the_four_typed_calls_need_the_records_own_type(client: SignedClient, number: str) -> None:
    for method, path, extra in (
        ("GET", "/v1/direct_numbers/number/", {}),
        ("GET", "/v1/direct_numbers/autoprolongation/", {}),
        ("PUT", "/v1/direct_numbers/autoprolongation/", {"value": "off"}),
        ("PUT", "/v1/direct_numbers/set_caller_name/", {"caller_name": "Acme"}),
        ("PUT", "/v1/direct_numbers/set_sip_id/", {"sip_id": "00001"}),
    ):
        missing = await client.error(method, path, {"number": number, **extra})
        assert "type is required" in missing, (method, path)
        wrong = await client.error(method, path, {"number": number, "type": "common", **extra})
        assert "does not match" in wrong and "'order'" in wrong, (method, path)
        unknown = await client.error(method, path, {"number": number, "type": "vip", **extra})
        assert "type must be one of common, order" in unknown, (method, path)
        await client.ok(method, path, {"number": number, "type": "order", **extra})
