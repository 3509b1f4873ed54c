"""Every success response of the emulator matches Zadarma's OpenAPI description.

A scenario drives the emulator through varied states (numbers in every
status, SIPs set, SMS on and off, verified and rejected documents, address
mismatches, both languages) and validates each success body against the 200
schema of its spec path. The scenario must reach every (method, route) the
emulator serves.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.sandbox import ROUTES, Sandbox, match_route
from tests.spec_support import load_spec, response_schema, spec_template, validate_response
from tests.unit.sandbox.sandbox_helpers import COMPLETE_GROUP, JPEG, PDF, PNG, SignedClient, make_sandbox

pytestmark = pytest.mark.spec


@pytest.fixture
def sandbox() -> Sandbox:
    """The scenario makes a few hundred calls: lift the rate limit."""
    return make_sandbox(rate_limit=10_000)


def echo_app() -> web.Application:
    """A notification receiver that passes Zadarma's ``zd_echo`` check."""

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=request.query.get("zd_echo", ""))

    app = web.Application()
    app.router.add_get("/zadarma/events", echo)
    return app


class SpecChecker:
    """Calls the emulator, validates success bodies and records which routes were covered."""

    def __init__(self, client: SignedClient) -> None:
        self.client = client
        self.covered: set[tuple[str, str]] = set()
        self.validated = 0

    def check(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        found = match_route(path)
        assert found is not None, path
        route, _ = found
        validate_response(method, route.spec_path, body)
        self.covered.add((method, route.name))
        self.validated += 1
        return body

    async def call(self, method: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.check(method, path, await self.client.ok(method, path, params))

    async def upload(self, group_id: int, document_type: str, name: str, content: bytes) -> dict[str, Any]:
        response = await self.client.upload(group_id, document_type, name, content)
        assert response.status_code == 200, response.text
        return self.check("POST", "/v1/documents/upload/", response.json())


async def test_every_success_response_matches_the_spec(sandbox: Sandbox, client: SignedClient) -> None:
    load_spec()
    spec = SpecChecker(client)
    # catalogue, in both languages and for every country and direction
    for language in ("en", "pl"):
        countries = (await spec.call("GET", "/v1/direct_numbers/countries/", {"language": language}))["info"]
        for country in countries:
            directions = await spec.call(
                "GET",
                "/v1/direct_numbers/country/",
                {"country": country["countryCodeIso"], "language": language},
            )
            if language == "en":
                for direction in directions["info"]:
                    path = f"/v1/direct_numbers/available/{direction['id']}/"
                    if str(direction["id"]).isdigit():
                        await spec.call("GET", path)
                    else:
                        # The seed guide allows text ids (``ru495``) where the spec types an integer.
                        numbers = (await client.ok("GET", path))["numbers"]
                        assert numbers and {n["direction_id"] for n in numbers} == {direction["id"]}
    await spec.call("GET", "/v1/direct_numbers/country/", {"country": "GB", "direction_id": 3201})
    await spec.call("GET", "/v1/direct_numbers/available/3201", {"mask": "20"})
    await spec.call("GET", "/v1/info/balance/")
    await spec.call("GET", "/v1/info/timezone/")
    await spec.call("GET", "/v1/sip/")

    # documents: a complete group, a minimal one, uploads verified and rejected
    group = (await spec.call("POST", "/v1/documents/groups/create/", COMPLETE_GROUP))["group"]
    minimal = {
        k: COMPLETE_GROUP[k]
        for k in (
            "email",
            "salutation",
            "first_name",
            "last_name",
            "country",
            "city",
            "address",
            "zip_code",
            "street",
            "building_number",
            "phone",
        )
    }
    other = (await spec.call("POST", "/v1/documents/groups/create/", {**minimal, "direction_id": 3001}))[
        "group"
    ]
    await spec.call(
        "PUT",
        f"/v1/documents/groups/update/{other['id']}/",
        {**minimal, "middle_name": "Maria", "organization": "Acme"},
    )
    await spec.upload(group["id"], "passport", "passport.jpg", JPEG)
    await spec.upload(group["id"], "photo_with_passport", "selfie.png", PNG)
    await spec.upload(group["id"], "receipt", "receipt.pdf", PDF)
    await spec.upload(other["id"], "passport", "reject-this.jpg", JPEG)
    await spec.call("GET", "/v1/documents/files/", {"group_id": group["id"]})
    await spec.call("GET", "/v1/documents/files/")
    await spec.call("GET", f"/v1/documents/groups/valid/{group['id']}/", {"direction_id": 3001})

    # numbers in several states
    order = "/v1/direct_numbers/order/"
    london = (await spec.call("POST", order, {"direction_id": 3201, "documents_group_id": 0}))["number"]
    new_york = (
        await spec.call(
            "POST",
            order,
            {
                "direction_id": 3301,
                "documents_group_id": 0,
                "receive_sms": 1,
                "period": "3month",
                "autorenew_period": "year",
            },
        )
    )["number"]
    warsaw = (await spec.call("POST", order, {"direction_id": 3001, "documents_group_id": group["id"]}))[
        "number"
    ]
    paris = (await spec.call("POST", order, {"direction_id": 3501, "documents_group_id": other["id"]}))[
        "number"
    ]
    await spec.call("POST", order, {"direction_id": 3007, "documents_group_id": 0, "purpose": "Support line"})
    await spec.call("POST", "/v1/direct_numbers/prolong/", {"number": london, "months": 2})
    await spec.call(
        "PUT",
        "/v1/direct_numbers/set_sip_id/",
        {"number": london, "type": "order", "sip_id": "00001", "test_mode": "on"},
    )
    await spec.call(
        "PUT",
        "/v1/direct_numbers/set_sip_id/",
        {"number": warsaw, "type": "order", "sip_id": "me@pbx.example.com:5060"},
    )
    await spec.call(
        "PUT",
        "/v1/direct_numbers/set_caller_name/",
        {"number": london, "type": "order", "caller_name": "Acme 1"},
    )
    await spec.call("PUT", "/v1/direct_numbers/receive_sms/", {"number": new_york, "value": "on"})
    await spec.call("GET", "/v1/direct_numbers/autoprolongation/", {"number": london, "type": "order"})
    await spec.call(
        "PUT", "/v1/direct_numbers/autoprolongation/", {"number": new_york, "type": "order", "value": "off"}
    )
    await spec.call("GET", "/v1/direct_numbers/incoming_channels/", {"number": london})
    await spec.call("GET", "/v1/direct_numbers/incoming_channels/", {"direction_id": 3201})
    await spec.call("PUT", "/v1/direct_numbers/incoming_channels/", {"number": london, "channels": 4})
    await spec.call("GET", "/v1/direct_numbers/checking-wrongs/", {"group_id": group["id"]})
    sandbox.advance_days(1)  # verifies passport/selfie/receipt, rejects reject-this.jpg
    wrongs = await spec.call("GET", "/v1/direct_numbers/checking-wrongs/", {"group_id": other["id"]})
    assert set(wrongs["info"]) == {"wrong_document", "wrong_address"}
    sandbox.set_balance("6.00")
    sandbox.advance_days(40)  # a renewal, then parking for lack of money
    sandbox.seed_owned_numbers(300, seed=5)
    listed = await spec.call("GET", "/v1/direct_numbers/")
    assert {n["status"] for n in listed["info"]} >= {"on", "parking", "checking", "checking_upload"}
    for number in [london, new_york, warsaw, paris] + [n["number"] for n in listed["info"][:40]]:
        if number in sandbox.state.numbers:
            kind = sandbox.state.numbers[number].kind
            await spec.call("GET", "/v1/direct_numbers/number/", {"number": number, "type": kind})
    await spec.call("GET", "/v1/documents/groups/list/")
    await spec.call("GET", f"/v1/documents/groups/get/{group['id']}/")
    await spec.call("GET", "/v1/documents/groups/get/0/")
    await spec.call("GET", f"/v1/documents/groups/valid/{other['id']}/", {"direction_id": 3501})
    await spec.call("GET", "/v1/documents/files/", {"group_id": group["id"]})

    async with TestServer(echo_app(), host="127.0.0.1") as receiver:
        url = str(receiver.make_url("/zadarma/events"))
        for reads in range(2):
            await spec.call("GET", "/v1/pbx/webhooks/")
            await spec.call("GET", "/v1/pbx/callinfo/")
            if reads:
                break
            await spec.call("POST", "/v1/pbx/webhooks/url/", {"url": url})
            await spec.call("POST", "/v1/pbx/webhooks/hooks/", {"sms": "true", "number_lookup": "false"})
            await spec.call("POST", "/v1/pbx/callinfo/url/", {"url": url})
            await spec.call(
                "POST", "/v1/pbx/callinfo/notifications/", {"notify_start": "true", "notify_end": "true"}
            )
        await spec.call("DELETE", "/v1/pbx/webhooks/url/")
        await spec.call("DELETE", "/v1/pbx/callinfo/url/")

    served = {(method, route.name) for route in ROUTES for method in route.handlers}
    assert spec.covered == served, served - spec.covered
    assert spec.validated > 100


async def test_error_responses_have_the_error_shape(client: SignedClient) -> None:
    for method, path, params in (
        ("GET", "/v1/direct_numbers/number/", {"number": "4420000000", "type": "order"}),
        ("POST", "/v1/direct_numbers/order/", {"direction_id": 1, "documents_group_id": 0}),
        ("GET", "/v1/direct_numbers/country/", {"country": "xx"}),
        ("GET", "/v1/documents/groups/get/99/", {}),
    ):
        response = await (client.get(path, params) if method == "GET" else client.send(method, path, params))
        assert response.status_code == 400
        body = response.json()
        assert set(body) == {"status", "message"} and body["status"] == "error" and body["message"]


def test_every_route_is_a_spec_path_with_that_method() -> None:
    spec = load_spec()
    for route in ROUTES:
        assert spec_template(route.spec_path) in spec["paths"], route.spec_path
        for method in route.handlers:
            assert method.lower() in spec["paths"][route.spec_path], (method, route.spec_path)
            assert response_schema(method, route.spec_path + "/")["type"] == "object"


def test_the_validator_really_rejects_wrong_shapes() -> None:
    load_spec()
    with pytest.raises(Exception, match="is not of type"):
        validate_response(
            "GET",
            "/v1/direct_numbers/available/{direction_id}/",
            {"status": "success", "numbers": [{"id": "x", "direction_id": "3201", "number": "4420"}]},
        )
    with pytest.raises(Exception, match="is not of type"):
        validate_response("GET", "/v1/direct_numbers/", {"status": "success", "info": [{"autorenew": True}]})


def test_the_kept_spec_is_the_shared_one_wherever_the_shared_one_is_present() -> None:
    import tests.spec_support as spec_support

    kept = spec_support.SPEC_FILE.read_bytes()
    assert json.loads(kept)["paths"], "the kept spec has no paths"
    if spec_support.SHARED_SPEC_FILE.is_file():  # beside the team's shared docs: they must agree
        assert kept == spec_support.SHARED_SPEC_FILE.read_bytes(), (
            "refresh tests/contract/zadarma_openapi.json"
        )
