"""Clock-driven changes: auto-renewal, parking, removal and the advance report."""

from __future__ import annotations

from decimal import Decimal

import httpx

from bot.sandbox import Sandbox, SandboxConfig
from tests.fakes.clock import FakeClock
from tests.unit.sandbox.sandbox_helpers import KEY, SECRET, START, SignedClient

ORDER = "/v1/direct_numbers/order/"
LONDON, NEW_YORK = 3201, 3301


async def _order(client: SignedClient, direction_id: int = NEW_YORK, **extra: str) -> str:
    body = await client.ok("POST", ORDER, {"direction_id": direction_id, "documents_group_id": 0, **extra})
    number: str = body["number"]
    return number


async def test_autorenew_charges_and_moves_stop_date_when_due(sandbox: Sandbox, client: SignedClient) -> None:
    number = await _order(client)  # 5 USD a month, stop 2025-02-15 09:30
    assert sandbox.state.balance == Decimal("95.00")
    assert [e for e in sandbox.advance_days(30) if e.subject == number] == []
    events = sandbox.advance_days(1)  # now 2025-02-15 09:30: due
    renewed = [e for e in events if e.kind == "renewed"]
    assert len(renewed) == 1 and renewed[0].subject == number
    assert renewed[0].details["stop_date"] == "2025-03-15 09:30:00"
    assert sandbox.state.balance == Decimal("90.00")
    assert sandbox.state.numbers[number].status == "on"


async def test_yearly_autorenew_charges_twelve_months(sandbox: Sandbox, client: SignedClient) -> None:
    number = await _order(client, autorenew_period="year")
    sandbox.advance_days(31)
    assert sandbox.state.balance == Decimal("35.00")  # 100 - 5 - 60
    assert sandbox.clock.format(sandbox.state.numbers[number].stop_date) == "2026-02-15 09:30:00"


async def test_insufficient_funds_parks_then_removes_after_seven_days(
    sandbox: Sandbox, client: SignedClient
) -> None:
    number = await _order(client)
    sandbox.set_balance("4.99")
    events = sandbox.advance_days(31)
    parked = [e for e in events if e.kind == "parked"]
    assert [(e.subject, e.details["reason"]) for e in parked] == [(number, "insufficient funds")]
    info = (await client.ok("GET", "/v1/direct_numbers/number/", {"number": number, "type": "order"}))["info"]
    assert info["status"] == "parking"
    assert sandbox.state.balance == Decimal("4.99")
    # still kept 6 days later
    assert not [e for e in sandbox.advance_days(6) if e.kind == "removed"]
    assert number in sandbox.state.numbers
    removed = [e for e in sandbox.advance_days(1) if e.kind == "removed"]
    assert [e.subject for e in removed] == [number]
    assert number not in sandbox.state.numbers
    assert "is not yours" in await client.error(
        "GET", "/v1/direct_numbers/number/", {"number": number, "type": "order"}
    )
    # back on the market, under a new opaque id
    free = (await client.ok("GET", f"/v1/direct_numbers/available/{NEW_YORK}/", {"mask": number[-7:]}))[
        "numbers"
    ]
    assert [n["number"] for n in free] == [number]


async def test_autorenew_off_parks_even_with_money(sandbox: Sandbox, client: SignedClient) -> None:
    number = await _order(client)
    await client.ok(
        "PUT", "/v1/direct_numbers/autoprolongation/", {"number": number, "type": "order", "value": "off"}
    )
    events = sandbox.advance_days(31)
    assert [(e.kind, e.details.get("reason")) for e in events if e.subject == number] == [
        ("parked", "autorenew is off")
    ]
    assert sandbox.state.balance == Decimal("95.00")


async def test_renewal_order_is_by_stop_date_until_money_runs_out(
    sandbox: Sandbox, client: SignedClient
) -> None:
    first = await _order(client)
    sandbox.advance_days(1)
    second = await _order(client)
    sandbox.set_balance("7.00")
    sandbox.advance_days(31)
    assert sandbox.state.numbers[first].status == "on"
    assert sandbox.state.numbers[second].status == "parking"
    assert sandbox.state.balance == Decimal("2.00")


async def test_api_requests_run_what_fell_due_as_real_time_passes() -> None:
    # Without a frozen start, the emulated clock follows the base time (here a fake "real" clock).
    clock = FakeClock(START)
    sandbox = Sandbox(SandboxConfig(key=KEY, secret=SECRET), now=clock)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox.test") as http:
        client = SignedClient(http)
        number = await _order(client)
        await client.ok(
            "PUT", "/v1/direct_numbers/autoprolongation/", {"number": number, "type": "order", "value": "off"}
        )
        clock.advance(days=31)
        info = (await client.ok("GET", "/v1/direct_numbers/number/", {"number": number, "type": "order"}))[
            "info"
        ]
    assert info["status"] == "parking"


async def test_advance_control_endpoint_reports_time_and_events(
    sandbox: Sandbox, client: SignedClient
) -> None:
    number = await _order(client)
    response = await client.http.post("/_sandbox/clock/advance", params={"days": 31})
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success"
    assert body["datetime"] == "2025-02-15 09:30:00" and body["timezone"] == "UTC+0"
    assert body["unixtime"] == int(sandbox.clock.now().timestamp())
    assert {"type": "renewed", "subject": number}.items() <= body["events"][0].items()
    timezone = await client.ok("GET", "/v1/info/timezone/")
    assert timezone["datetime"] == "2025-02-15 09:30:00"
    bad = await client.http.post("/_sandbox/clock/advance", params={"days": "-1"})
    assert bad.status_code == 400
    missing = await client.http.post("/_sandbox/clock/advance")
    assert missing.status_code == 400 and "days is required" in missing.json()["message"]
    via_json = await client.http.post("/_sandbox/clock/advance", json={"days": 1})
    assert via_json.json()["datetime"] == "2025-02-16 09:30:00"


async def test_reset_returns_to_the_seeded_state(sandbox: Sandbox, client: SignedClient) -> None:
    market_before = {d: list(m) for d, m in sandbox.state.market.items()}
    await _order(client)
    sandbox.advance_days(3)
    sandbox.set_faults(latency_ms=1)
    response = await client.http.post("/_sandbox/reset")
    assert response.status_code == 200
    assert sandbox.state.numbers == {} and sandbox.state.balance == Decimal("100.00")
    assert {d: list(m) for d, m in sandbox.state.market.items()} == market_before
    assert sandbox.clock.format(sandbox.clock.now()) == "2025-01-15 09:30:00"
    assert not sandbox.faults.active
    assert sandbox.stats()["total"] == 0
