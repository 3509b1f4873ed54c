"""The seed's mandatory ``type`` on four calls: the client sends the record's own, the emulator checks it.

The requests that left the client are observed on the wire (an httpx event
hook), not inferred from the client's code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import httpx
import pytest

from bot.sandbox import Sandbox, SandboxConfig
from bot.zadarma import ZadarmaAPIError, ZadarmaClient

TYPED = {
    "/v1/direct_numbers/number/",
    "/v1/direct_numbers/autoprolongation/",
    "/v1/direct_numbers/set_caller_name/",
    "/v1/direct_numbers/set_sip_id/",
}


class Wire:
    """Every request's path and decoded parameters, as sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str]]] = []

    async def record(self, request: httpx.Request) -> None:
        raw = request.url.query.decode() if request.method == "GET" else request.content.decode()
        self.sent.append((request.method, request.url.path, dict(parse_qsl(raw, keep_blank_values=True))))

    def typed(self) -> list[tuple[str, str, dict[str, str]]]:
        return [s for s in self.sent if s[1] in TYPED]


@pytest.fixture(params=[False, True], ids=["exact", "realistic"])
async def world(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Sandbox, ZadarmaClient, Wire]]:
    sandbox = Sandbox(SandboxConfig(rate_limit=10_000, realistic=request.param))
    wire = Wire()
    async with httpx.AsyncClient(
        transport=sandbox.transport(), event_hooks={"request": [wire.record]}
    ) as http:
        yield (
            sandbox,
            ZadarmaClient(http, base_url="http://127.0.0.1", key="sandbox-key", secret=sandbox.secret),
            wire,
        )


async def _ordered(client: ZadarmaClient) -> str:
    directions = await client.directions("GB")
    direction = next(d for d in directions if not d.needs_documents)
    free = await client.available_numbers(direction.id)
    return (
        await client.order_number(direction_id=direction.id, documents_group_id=0, number_id=free[0].id)
    ).number


async def test_every_typed_call_carries_the_records_own_type(
    world: tuple[Sandbox, ZadarmaClient, Wire],
) -> None:
    sandbox, client, wire = world
    ordered = await _ordered(client)  # the emulator records ordered numbers as type "order"
    [seeded] = sandbox.seed_owned_numbers(1)  # and bulk-seeded ones as "common"
    for number, kind in ((ordered, "order"), (seeded, "common")):
        assert (await client.direct_number(number)).type == kind
        assert (await client.set_autoprolongation(number, False)).enabled is False
        assert (await client.autoprolongation(number)).enabled is False
        assert (await client.set_caller_name(number, "Acme 1")).caller_name == "Acme 1"
        assert (await client.set_sip_target(number, "00002")).sip_id == "00002"
    typed = wire.typed()
    assert len(typed) == 10
    for _, _, params in typed:
        expected = "order" if params["number"] == ordered else "common"
        assert params.get("type") == expected, params
    # One list call learned both types; the other eight calls cost nothing extra.
    assert sandbox.call_count("direct_numbers") == 1


async def test_a_wrong_type_is_refused_and_a_given_type_is_sent_as_is(
    world: tuple[Sandbox, ZadarmaClient, Wire],
) -> None:
    sandbox, client, wire = world
    number = await _ordered(client)
    with pytest.raises(ZadarmaAPIError) as refused:
        await client.set_caller_name(number, "Acme", type="common")
    assert refused.value.status_code == 400 and "does not match" in refused.value.message
    assert (await client.direct_number(number, type="order")).number == number
    assert [p["type"] for _, _, p in wire.typed()] == ["common", "order"]
    assert sandbox.call_count("direct_numbers") == 0  # given types need no look-up


async def test_a_number_not_on_the_account_gets_the_apis_own_answer(
    world: tuple[Sandbox, ZadarmaClient, Wire],
) -> None:
    _, client, wire = world
    with pytest.raises(ZadarmaAPIError) as refused:
        await client.direct_number("442000000000")
    assert "is not yours" in refused.value.message
    assert wire.typed()[0][2]["type"] == "common"
