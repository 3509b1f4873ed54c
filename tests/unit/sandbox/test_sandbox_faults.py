"""Injected faults: latency, 503 before handling, malformed and dropped replies after handling."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from bot.sandbox import Faults, Sandbox
from tests.unit.sandbox.sandbox_helpers import SignedClient

ORDER = "/v1/direct_numbers/order/"
PARAMS = {"direction_id": 3201, "documents_group_id": 0}


async def test_error_rate_answers_503_before_handling(sandbox: Sandbox, client: SignedClient) -> None:
    sandbox.set_faults(error_rate=1.0)
    response = await client.post(ORDER, PARAMS)
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert "x-ratelimit-limit" in response.headers
    assert sandbox.state.numbers == {}
    assert sandbox.call_count("order") == 1
    assert response.headers["x-ratelimit-remaining"] == "100"  # never reached the rate limiter


async def test_malformed_reply_after_the_order_was_placed(sandbox: Sandbox, client: SignedClient) -> None:
    sandbox.set_faults(malformed_rate=1.0)
    response = await client.post(ORDER, PARAMS)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert len(sandbox.state.numbers) == 1


async def test_dropped_reply_after_the_order_was_placed(sandbox: Sandbox, client: SignedClient) -> None:
    sandbox.set_faults(drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(ORDER, PARAMS)
    assert len(sandbox.state.numbers) == 1
    sandbox.clear_faults()
    assert (await client.get("/v1/direct_numbers/")).json()["info"][0]["status"] == "on"


async def test_latency_delays_the_answer(sandbox: Sandbox, client: SignedClient) -> None:
    sandbox.set_faults(latency_ms=80)
    started = time.perf_counter()
    assert (await client.get("/v1/info/balance/")).status_code == 200
    assert time.perf_counter() - started >= 0.075


async def test_paths_limit_faults_to_prefixes(sandbox: Sandbox, client: SignedClient) -> None:
    sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/order/"])
    assert (await client.get("/v1/info/balance/")).status_code == 200
    assert (await client.post(ORDER, PARAMS)).status_code == 503
    assert (await client.post(ORDER.rstrip("/"), PARAMS)).status_code == 503  # no trailing slash
    assert (await client.get("/v1/direct_numbers/")).status_code == 200
    # control endpoints are never affected
    sandbox.set_faults(error_rate=1.0, drop_rate=1.0)
    assert (await client.http.get("/_sandbox/stats")).status_code == 200


async def test_partial_rates_are_seeded_and_reproducible(sandbox: Sandbox, client: SignedClient) -> None:
    async def pattern() -> list[int]:
        sandbox.set_faults(error_rate=0.5)
        return [(await client.get("/v1/info/timezone/")).status_code for _ in range(20)]

    first = await pattern()
    assert set(first) == {200, 503}
    assert await pattern() == first


async def test_faults_over_the_control_endpoint(sandbox: Sandbox, client: SignedClient) -> None:
    settings = {
        "latency_ms": 0,
        "error_rate": 0.0,
        "malformed_rate": 0.0,
        "drop_rate": 1.0,
        "paths": ["/v1/direct_numbers/prolong/"],
    }
    response = await client.http.post("/_sandbox/faults", json=settings)
    assert response.status_code == 200 and response.json()["faults"] == settings
    assert sandbox.faults == Faults(drop_rate=1.0, paths=("/v1/direct_numbers/prolong/",))
    assert (await client.http.get("/_sandbox/faults")).json()["faults"] == settings
    response = await client.http.delete("/_sandbox/faults")
    assert response.json()["faults"]["drop_rate"] == 0.0 and not sandbox.faults.active
    for bad in ({"error_rate": 2}, {"latency_ms": -1}, {"paths": "/v1/"}, {"paths": ["v1"]}, {"surprise": 1}):
        response = await client.http.post("/_sandbox/faults", json=bad)
        assert response.status_code == 400, bad
    response = await client.http.post("/_sandbox/faults", content=b"[1]")
    assert response.status_code == 400
    response = await client.http.put("/_sandbox/faults")
    assert response.status_code == 405
    assert (await client.http.get("/_sandbox/nothing")).status_code == 404


def test_faults_validation() -> None:
    assert not Faults().active
    assert Faults(paths=("/v1/sip",)).applies_to("/v1/sip/")
    assert not Faults(paths=("/v1/sip/",)).applies_to("/v1/info/balance/")
    with pytest.raises(ValueError, match="error_rate"):
        Faults(error_rate=True)
    with pytest.raises(ValueError, match="latency_ms"):
        Faults(latency_ms=1.5)  # type: ignore[arg-type]
