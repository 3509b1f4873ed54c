"""The order of a numbers list: soonest paid-until date first, numbers the account gives no date for last."""

from __future__ import annotations

import json

import httpx

from bot.sandbox import Sandbox
from tests.stack import services_over
from tests.unit.services.conftest import ALICE, OPERATOR, Stack
from tests.unit.services.test_numbers_documents import order_one


class UndatedNumber(httpx.AsyncBaseTransport):
    """A proxy in front of the emulator whose account list gives one number the API's empty date."""

    def __init__(self, sandbox: Sandbox, number: str) -> None:
        self._inner = sandbox.transport()
        self._number = number

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.url.path != "/v1/direct_numbers/":
            return response
        body = json.loads(await response.aread())
        for item in body["info"]:
            if item["number"] == self._number:
                item["stop_date"] = "0000-00-00 00:00:00"
        return httpx.Response(
            response.status_code,
            headers={"Content-Type": "application/json"},
            content=json.dumps(body).encode(),
        )


async def test_a_number_without_a_paid_until_date_comes_after_the_dated_ones(stack: Stack) -> None:
    numbers = sorted([await order_one(stack, ALICE, key) for key in ("a", "b", "c")])
    prolonged = numbers[1]
    await stack.services.ordering.prolong(ALICE, "p", prolonged, 1)
    undated = numbers[0]  # the lowest number, so sorting by number alone would put it first

    async with services_over(stack, UndatedNumber(stack.sandbox, undated)) as services:
        numbers_service = services.numbers
        listed = await numbers_service.list_for(ALICE)
        operator_listed = await numbers_service.list_for(OPERATOR)

    assert [r.number for r in listed] == [numbers[2], prolonged, undated]
    assert [r.stop_date is None for r in listed] == [False, False, True]
    assert listed[0].stop_date is not None and listed[1].stop_date is not None
    assert listed[0].stop_date < listed[1].stop_date
    assert [r.number for r in operator_listed][-1] == undated
