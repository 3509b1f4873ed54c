"""Ordering and prolonging numbers: statuses, charges, validation, no change on refusal."""

from __future__ import annotations

from decimal import Decimal

from bot.sandbox import Sandbox
from tests.unit.sandbox.sandbox_helpers import COMPLETE_GROUP, JPEG, SignedClient

ORDER = "/v1/direct_numbers/order/"
PROLONG = "/v1/direct_numbers/prolong/"
LONDON, WARSAW, LODZ, PL_MOBILE, PL_TOLL, NEW_YORK, BERLIN = 3201, 3001, 3003, 3006, 3007, 3301, 3101


async def _free(client: SignedClient, direction_id: int) -> list[dict[str, object]]:
    body = await client.ok("GET", f"/v1/direct_numbers/available/{direction_id}/")
    numbers: list[dict[str, object]] = body["numbers"]
    return numbers


async def test_order_without_requirements_is_on_and_charges_in_account_currency(
    sandbox: Sandbox, client: SignedClient
) -> None:
    free = await _free(client, LONDON)
    chosen = free[3]
    body = await client.ok(
        "POST", ORDER, {"direction_id": LONDON, "documents_group_id": 0, "number_id": chosen["id"]}
    )
    assert body == {
        "status": "success",
        "number": chosen["number"],
        "is_reserved": "false",
        "is_activated": "true",
    }
    # London: 0 GBP connect + 2 GBP monthly = 2.54 USD
    assert sandbox.state.balance == Decimal("97.46")
    owned = sandbox.state.numbers[str(chosen["number"])]
    assert owned.status == "on" and owned.kind == "order" and owned.sip == "" and owned.channels == 2
    assert sandbox.clock.format(owned.start_date) == "2025-01-15 09:30:00"
    assert sandbox.clock.format(owned.stop_date) == "2025-02-15 09:30:00"
    assert chosen["id"] not in {n["id"] for n in await _free(client, LONDON)}
    info = (
        await client.ok(
            "GET", "/v1/direct_numbers/number/", {"number": str(chosen["number"]), "type": "order"}
        )
    )["info"]
    assert info["status"] == "on" and info["autorenew"] == "true" and info["is_on_test"] == "false"
    assert info["country"] == "United Kingdom" and info["description"] == "London"


async def test_ordering_the_same_number_twice_fails_readably(client: SignedClient) -> None:
    chosen = (await _free(client, LODZ))[0]
    params = {"direction_id": LODZ, "documents_group_id": 0, "number_id": chosen["id"]}
    await client.ok("POST", ORDER, params)
    message = await client.error("POST", ORDER, params)
    assert "no longer available" in message


async def test_order_without_number_id_takes_any_free_number(sandbox: Sandbox, client: SignedClient) -> None:
    before = len(await _free(client, NEW_YORK))
    body = await client.ok(
        "POST", ORDER, {"direction_id": NEW_YORK, "documents_group_id": 0, "receive_sms": 1}
    )
    assert body["number"].startswith("1212")
    assert len(await _free(client, NEW_YORK)) == before - 1
    assert sandbox.state.numbers[body["number"]].receive_sms is True


async def test_three_month_period_charges_three_months(sandbox: Sandbox, client: SignedClient) -> None:
    body = await client.ok(
        "POST",
        ORDER,
        {"direction_id": NEW_YORK, "documents_group_id": 0, "period": "3month", "autorenew_period": "year"},
    )
    assert sandbox.state.balance == Decimal("85.00")
    owned = sandbox.state.numbers[body["number"]]
    assert sandbox.clock.format(owned.stop_date) == "2025-04-15 09:30:00"
    assert owned.autorenew_period == "year"


async def test_order_validation_messages(client: SignedClient) -> None:
    cases: list[tuple[dict[str, str | int], str]] = [
        ({"documents_group_id": 0}, "direction_id is required"),
        ({"direction_id": 3201}, "documents_group_id is required"),
        ({"direction_id": "abc", "documents_group_id": 0}, "Direction abc does not exist"),
        ({"direction_id": "a b", "documents_group_id": 0}, "direction_id must be a direction id"),
        ({"direction_id": 9999, "documents_group_id": 0}, "Direction 9999 does not exist"),
        ({"direction_id": LONDON, "documents_group_id": 42}, "Document group 42 does not exist"),
        (
            {"direction_id": LONDON, "documents_group_id": 0, "period": "week"},
            "period must be one of month, 3month",
        ),
        (
            {"direction_id": LONDON, "documents_group_id": 0, "autorenew_period": "day"},
            "autorenew_period must be",
        ),
        ({"direction_id": LONDON, "documents_group_id": 0, "receive_sms": 1}, "cannot receive SMS"),
        ({"direction_id": LONDON, "documents_group_id": 0, "receive_sms": 2}, "receive_sms must be 0 or 1"),
        ({"direction_id": PL_TOLL, "documents_group_id": 0}, "purpose is required"),
        ({"direction_id": LONDON, "documents_group_id": 0, "number_id": "nope"}, "no longer available"),
    ]
    for params, expected in cases:
        message = await client.error("POST", ORDER, params)
        assert expected in message, (params, message)


async def test_insufficient_balance_refuses_without_any_change(
    sandbox: Sandbox, client: SignedClient
) -> None:
    sandbox.set_balance("1.00")
    free_before = len(await _free(client, LONDON))
    message = await client.error("POST", ORDER, {"direction_id": LONDON, "documents_group_id": 0})
    assert message.startswith("Insufficient funds")
    assert "2.54 USD" in message and "1.00 USD" in message
    assert sandbox.state.balance == Decimal("1.00")
    assert sandbox.state.numbers == {}
    assert len(await _free(client, LONDON)) == free_before


async def test_direction_needing_documents_waits_for_uploads_then_checking(
    sandbox: Sandbox, client: SignedClient
) -> None:
    body = await client.ok("POST", ORDER, {"direction_id": WARSAW, "documents_group_id": 0})
    assert body["is_activated"] == "false"
    number = body["number"]
    assert sandbox.state.numbers[number].status == "checking_upload"
    group = (await client.ok("POST", "/v1/documents/groups/create/", COMPLETE_GROUP))["group"]
    # a second order with a complete group but no passport uploaded yet
    second = await client.ok("POST", ORDER, {"direction_id": WARSAW, "documents_group_id": group["id"]})
    assert sandbox.state.numbers[second["number"]].status == "checking_upload"
    assert (await client.upload(group["id"], "passport", "passport.jpg", JPEG)).status_code == 200
    assert sandbox.state.numbers[second["number"]].status == "checking"
    sandbox.advance_days(1)
    assert sandbox.state.numbers[second["number"]].status == "on"
    # the first number's group 0 has no address in Poland: still waiting
    assert sandbox.state.numbers[number].status == "checking_upload"


async def test_order_is_on_immediately_when_the_group_already_qualifies(
    sandbox: Sandbox, client: SignedClient
) -> None:
    group = (await client.ok("POST", "/v1/documents/groups/create/", COMPLETE_GROUP))["group"]
    await client.upload(group["id"], "passport", "p.jpg", JPEG)
    await client.upload(group["id"], "photo_with_passport", "selfie.jpg", JPEG)
    sandbox.advance_days(1)
    body = await client.ok(
        "POST", ORDER, {"direction_id": PL_MOBILE, "documents_group_id": group["id"], "receive_sms": 1}
    )
    assert body["is_activated"] == "true"


async def test_specify_only_direction_depends_on_group_data(sandbox: Sandbox, client: SignedClient) -> None:
    german = {
        **COMPLETE_GROUP,
        "country": "DE",
        "city": "Berlin",
        "address": "Unter den Linden 1, 10117 Berlin",
    }
    group = (await client.ok("POST", "/v1/documents/groups/create/", german))["group"]
    body = await client.ok("POST", ORDER, {"direction_id": BERLIN, "documents_group_id": group["id"]})
    assert body["is_activated"] == "true"
    polish = await client.ok("POST", "/v1/documents/groups/create/", COMPLETE_GROUP)
    body = await client.ok(
        "POST", ORDER, {"direction_id": BERLIN, "documents_group_id": polish["group"]["id"]}
    )
    assert body["is_activated"] == "false"
    assert sandbox.state.numbers[body["number"]].status == "checking_upload"
    # moving the group to Germany activates the waiting number
    await client.ok("PUT", f"/v1/documents/groups/update/{polish['group']['id']}/", german)
    assert sandbox.state.numbers[body["number"]].status == "on"


async def test_prolong_charges_and_moves_stop_date(sandbox: Sandbox, client: SignedClient) -> None:
    number = (await client.ok("POST", ORDER, {"direction_id": LODZ, "documents_group_id": 0}))["number"]
    balance = sandbox.state.balance
    body = await client.ok("POST", PROLONG, {"number": number, "months": 3})
    # Łódź: 18 PLN a month -> 54 PLN = 13.50 USD
    assert body == {
        "status": "success",
        "number": number,
        "stop_date": "2025-05-15 09:30:00",
        "total_paid": {"amount": 13.5, "currency": "USD"},
    }
    assert sandbox.state.balance == balance - Decimal("13.50")
    with_plus = await client.ok("POST", PROLONG, {"number": "+" + number, "months": 1})
    assert with_plus["stop_date"] == "2025-06-15 09:30:00"


async def test_prolong_validation(sandbox: Sandbox, client: SignedClient) -> None:
    number = (await client.ok("POST", ORDER, {"direction_id": LODZ, "documents_group_id": 0}))["number"]
    assert "is not yours" in await client.error("POST", PROLONG, {"number": "48221111111", "months": 1})
    assert "from 1 to 12" in await client.error("POST", PROLONG, {"number": number, "months": 13})
    assert "from 1 to 12" in await client.error("POST", PROLONG, {"number": number, "months": 0})
    assert "whole number" in await client.error("POST", PROLONG, {"number": number, "months": "1.5"})
    assert "number must be 7 to 15 digits" in await client.error(
        "POST", PROLONG, {"number": "12ab", "months": 1}
    )
    sandbox.set_balance("0.10")
    stop = sandbox.state.numbers[number].stop_date
    assert "Insufficient funds" in await client.error("POST", PROLONG, {"number": number, "months": 1})
    assert sandbox.state.numbers[number].stop_date == stop
    assert sandbox.state.balance == Decimal("0.10")


async def test_prolonging_a_parked_number_brings_it_back_on(sandbox: Sandbox, client: SignedClient) -> None:
    number = (await client.ok("POST", ORDER, {"direction_id": LONDON, "documents_group_id": 0}))["number"]
    await client.ok(
        "PUT", "/v1/direct_numbers/autoprolongation/", {"number": number, "type": "order", "value": "off"}
    )
    sandbox.advance_days(32)
    assert sandbox.state.numbers[number].status == "parking"
    body = await client.ok("POST", PROLONG, {"number": number, "months": 1})
    assert body["stop_date"] == "2025-03-15 09:30:00"
    assert sandbox.state.numbers[number].status == "on"
