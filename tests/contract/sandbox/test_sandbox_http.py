"""The aiohttp app over a real socket on 127.0.0.1, including the control endpoints."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from bot.sandbox import Sandbox
from tests.unit.sandbox.sandbox_helpers import JPEG, KEY, SignedClient

ORDER = "/v1/direct_numbers/order/"


async def test_signed_calls_and_headers_over_a_socket(socket_client: SignedClient) -> None:
    response = await socket_client.get("/v1/info/balance/")
    assert response.status_code == 200
    assert response.json() == {"status": "success", "balance": 100.0, "currency": "USD"}
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["x-ratelimit-limit"] == "100"
    assert response.headers["x-ratelimit-remaining"] == "99"
    assert int(response.headers["x-ratelimit-reset"]) > 0
    wrong = await SignedClient(socket_client.http, KEY, "bad").get("/v1/info/balance/")
    assert wrong.status_code == 401 and wrong.json()["status"] == "error"
    missing = await socket_client.get("/v1/no/such/thing/")
    assert missing.status_code == 404 and missing.json()["status"] == "error"


async def test_post_in_caller_order_over_a_socket(sandbox: Sandbox, socket_client: SignedClient) -> None:
    response = await socket_client.post(
        ORDER,
        {"direction_id": 3201, "documents_group_id": 0},
        order=["documents_group_id", "format", "direction_id"],
    )
    assert response.status_code == 200, response.text
    assert len(sandbox.state.numbers) == 1


async def test_multipart_upload_over_a_socket(sandbox: Sandbox, socket_client: SignedClient) -> None:
    content = JPEG + bytes(range(256)) * 4000
    response = await socket_client.upload(0, "passport", "scan.jpg", content)
    assert response.status_code == 200, response.text
    assert response.json()["doc_name"] == "scan.jpg"
    assert sandbox.state.files[0].size == len(content)
    too_big = await socket_client.upload(0, "passport", "big.jpg", JPEG + bytes(20 * 1024 * 1024))
    assert too_big.status_code == 400 and "too large" in too_big.json()["message"]


async def test_dropped_connection_after_handling(sandbox: Sandbox, socket_client: SignedClient) -> None:
    sandbox.set_faults(drop_rate=1.0, paths=[ORDER])
    with pytest.raises(httpx.RemoteProtocolError):
        await socket_client.post(ORDER, {"direction_id": 3201, "documents_group_id": 0})
    assert len(sandbox.state.numbers) == 1  # the order went through; the client cannot know
    ok = await socket_client.get("/v1/direct_numbers/")
    assert ok.status_code == 200 and len(ok.json()["info"]) == 1


async def test_malformed_and_error_faults_over_a_socket(
    sandbox: Sandbox, socket_client: SignedClient
) -> None:
    sandbox.set_faults(malformed_rate=1.0)
    response = await socket_client.get("/v1/info/balance/")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    sandbox.set_faults(error_rate=1.0)
    response = await socket_client.get("/v1/info/balance/")
    assert response.status_code == 503 and response.json()["status"] == "error"


async def test_control_endpoints_over_a_socket(sandbox: Sandbox, socket_client: SignedClient) -> None:
    http = socket_client.http
    number = (await socket_client.post(ORDER, {"direction_id": 3301, "documents_group_id": 0})).json()[
        "number"
    ]

    advanced = (await http.post("/_sandbox/clock/advance", params={"days": 31})).json()
    assert advanced["status"] == "success" and advanced["datetime"] == "2025-02-15 09:30:00"
    assert [(e["type"], e["subject"]) for e in advanced["events"]] == [("renewed", number)]
    assert advanced["events"][0]["details"]["stop_date"] == "2025-03-15 09:30:00"

    faults = {"latency_ms": 5, "error_rate": 0.0, "malformed_rate": 0.0, "drop_rate": 0.0, "paths": None}
    assert (await http.post("/_sandbox/faults", json=faults)).json()["faults"] == faults
    assert sandbox.faults.latency_ms == 5
    assert (await http.delete("/_sandbox/faults")).status_code == 200
    assert not sandbox.faults.active

    stats = (await http.get("/_sandbox/stats")).json()
    assert stats["by_route"] == {"direct_numbers.order": 1}

    assert (await http.post("/_sandbox/balance", params={"amount": "3"})).json()["balance"] == 3.0
    assert sandbox.state.balance == Decimal("3.00")
    assert (await http.post("/_sandbox/numbers/seed", params={"count": 20})).json()["total"] == 21

    reset = (await http.post("/_sandbox/reset")).json()
    assert reset["status"] == "success" and reset["datetime"] == "2025-01-15 09:30:00"
    assert sandbox.state.numbers == {} and sandbox.state.balance == Decimal("100.00")
    assert (await http.get("/_sandbox/stats")).json() == {
        "status": "success",
        "calls": [],
        "by_route": {},
        "total": 0,
    }
    wrong_method = await http.get("/_sandbox/reset")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"


async def test_trailing_slash_is_optional(socket_client: SignedClient) -> None:
    for path in ("/v1/sip", "/v1/sip/", "/v1/documents/groups/get/0", "/v1/documents/groups/get/0/"):
        response = await socket_client.get(path)
        assert response.status_code == 200, (path, response.text)
