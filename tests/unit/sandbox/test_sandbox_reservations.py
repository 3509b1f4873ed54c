"""Reserved orders in the emulator: a short balance reserves the number; a top-up activates it."""

from __future__ import annotations

from decimal import Decimal

import httpx

from bot.sandbox import Sandbox
from tests.unit.sandbox.sandbox_helpers import COMPLETE_GROUP, JPEG, SignedClient, make_sandbox

ORDER = "/v1/direct_numbers/order/"
LONDON, WARSAW = 3201, 3001  # London: 2.54 USD a month; Warsaw: 5.00 + 6.25 USD, documents needed


async def _status(client: SignedClient, number: str) -> str:
    info = (await client.ok("GET", "/v1/direct_numbers/"))["info"]
    status: str = next(item["status"] for item in info if item["number"] == number)
    return status


async def test_without_the_switch_a_short_balance_is_refused(sandbox: Sandbox, client: SignedClient) -> None:
    sandbox.set_balance("1.00")
    message = await client.error("POST", ORDER, {"direction_id": LONDON, "documents_group_id": 0})
    assert message.startswith("Insufficient funds") and sandbox.state.numbers == {}


async def test_a_short_balance_reserves_without_charging_and_a_top_up_activates() -> None:
    sandbox = make_sandbox(reserve_when_short=True)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox.test") as http:
        client = SignedClient(http)
        sandbox.set_balance("1.00")
        body = await client.ok("POST", ORDER, {"direction_id": LONDON, "documents_group_id": 0})
        number = body["number"]
        assert (body["is_reserved"], body["is_activated"]) == ("true", "false")
        assert await _status(client, number) == "reserved_on"
        assert sandbox.state.balance == Decimal("1.00") and sandbox.state.charges == []
        market = (await client.ok("GET", f"/v1/direct_numbers/available/{LONDON}/"))["numbers"]
        assert number not in {n["number"] for n in market}
        refused = await client.error("POST", "/v1/direct_numbers/prolong/", {"number": number, "months": 1})
        assert "reserved" in refused
        # a top-up that still does not cover it changes nothing
        assert sandbox.set_balance("2.00") == [] and await _status(client, number) == "reserved_on"
        events = sandbox.set_balance("10.00")
        assert [(e.subject, e.details["to"]) for e in events] == [(number, "on")]
        assert await _status(client, number) == "on"
        assert sandbox.state.balance == Decimal("7.46")
        assert [(c.kind, c.number, c.amount) for c in sandbox.state.charges] == [
            ("order", number, Decimal("2.54"))
        ]


async def test_a_reserved_number_keeps_its_document_status_and_activates_into_it() -> None:
    sandbox = make_sandbox(reserve_when_short=True, balance=Decimal("0"))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox.test") as http:
        client = SignedClient(http)
        group = (await client.ok("POST", "/v1/documents/groups/create/", COMPLETE_GROUP))["group"]
        body = await client.ok("POST", ORDER, {"direction_id": WARSAW, "documents_group_id": group["id"]})
        number = body["number"]
        assert await _status(client, number) == "reserved_checking_upload"
        assert (await client.upload(group["id"], "passport", "passport.jpg", JPEG)).status_code == 200
        assert await _status(client, number) == "reserved_checking"
        response = await http.post("/_sandbox/balance", params={"amount": "50"})
        assert [e["details"]["to"] for e in response.json()["events"]] == ["checking"]
        assert await _status(client, number) == "checking"


async def test_the_switch_over_the_control_endpoint(sandbox: Sandbox, client: SignedClient) -> None:
    assert (await client.http.get("/_sandbox/reservations")).json()["reserve_when_short"] is False
    bad = await client.http.post("/_sandbox/reservations", json={"reserve_when_short": "maybe"})
    assert bad.status_code == 400 and "true or false" in bad.json()["message"]
    on = await client.http.post("/_sandbox/reservations", json={"reserve_when_short": True})
    assert on.json()["reserve_when_short"] is True
    sandbox.set_balance("0")
    body = await client.ok("POST", ORDER, {"direction_id": LONDON, "documents_group_id": 0})
    listed = (await client.http.get("/_sandbox/reservations")).json()
    assert listed["reserved"] == [body["number"]]
    off = await client.http.post("/_sandbox/reservations", params={"reserve_when_short": "off"})
    assert off.json()["reserve_when_short"] is False
    assert "Insufficient funds" in await client.error(
        "POST", ORDER, {"direction_id": LONDON, "documents_group_id": 0}
    )
