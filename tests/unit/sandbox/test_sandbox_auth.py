"""Signature verification: the canonical string is rebuilt from the parameters received."""

from __future__ import annotations

import httpx

from bot.sandbox import Sandbox
from bot.sandbox.auth import expected_signature, verify
from bot.zadarma.signing import build_query, encode_pairs, sign
from tests.unit.sandbox.sandbox_helpers import JPEG, KEY, SECRET, SignedClient, auth_header


async def test_correctly_signed_get_succeeds(client: SignedClient) -> None:
    body = await client.ok("GET", "/v1/info/balance/")
    assert body == {"status": "success", "balance": 100.0, "currency": "USD"}


async def test_wrong_secret_is_401(client: SignedClient) -> None:
    wrong = SignedClient(client.http, KEY, "not-the-secret")
    response = await wrong.get("/v1/info/balance/")
    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "Invalid signature"}


async def test_unknown_key_and_missing_header_are_401(client: SignedClient) -> None:
    response = await SignedClient(client.http, "someone-else", SECRET).get("/v1/info/balance/")
    assert response.status_code == 401 and response.json()["message"] == "Unknown API key"
    response = await client.http.get("/v1/info/balance/?format=json")
    assert response.status_code == 401
    assert "Authorization" in response.json()["message"]
    response = await client.http.get("/v1/info/balance/?format=json", headers={"Authorization": "garbage"})
    assert response.status_code == 401


async def test_post_body_in_caller_order_still_verifies(client: SignedClient) -> None:
    params = {"number": "0", "direction_id": 3201, "documents_group_id": 0}
    response = await client.post(
        "/v1/direct_numbers/order/",
        {"direction_id": 3201, "documents_group_id": 0},
        order=["format", "documents_group_id", "direction_id"],
    )
    assert response.status_code == 200, response.text
    # a tampered body (a value changed after signing) fails
    body = encode_pairs([("direction_id", "3202"), ("documents_group_id", "0"), ("format", "json")])
    tampered = await client.http.post(
        "/v1/direct_numbers/order/",
        content=body.encode(),
        headers={
            "Authorization": auth_header("/v1/direct_numbers/order/", params),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert tampered.status_code == 401


async def test_signature_covers_the_exact_path(client: SignedClient) -> None:
    path = "/v1/info/balance"
    query = build_query({})
    ok = await client.http.get(f"{path}?{query}", headers={"Authorization": auth_header(path, {})})
    assert ok.status_code == 200
    mismatched = await client.http.get(
        f"{path}?{query}", headers={"Authorization": auth_header(path + "/", {})}
    )
    assert mismatched.status_code == 401


async def test_php_encoding_of_tilde_spaces_and_non_ascii(client: SignedClient) -> None:
    # `~` is %7E and space is + in the canonical form; the server decodes and re-encodes.
    response = await client.get("/v1/direct_numbers/countries/", {"language": "p~l ż"})
    assert response.status_code == 200
    raw = "format=json&language=p%7El+%C5%BC"
    response = await client.http.get(
        f"/v1/direct_numbers/countries/?{raw}",
        headers={"Authorization": auth_header("/v1/direct_numbers/countries/", {"language": "p~l ż"})},
    )
    assert response.status_code == 200


async def test_a_bare_request_is_verified_over_nothing_not_over_an_added_format(
    client: SignedClient,
) -> None:
    path = "/v1/info/timezone/"
    # md5("") = d41d8cd98f00b204e9800998ecf8427e; the server must not add format=json of its own.
    bare = sign(path, "", SECRET)
    response = await client.http.get(path, headers={"Authorization": f"{KEY}:{bare}"})
    assert response.status_code == 200, response.text
    response = await client.http.get(path, headers={"Authorization": auth_header(path, {})})
    assert response.status_code == 401


async def test_multipart_signs_form_fields_only(client: SignedClient) -> None:
    response = await client.upload(0, "passport", "passport.jpg", JPEG)
    assert response.status_code == 200, response.text
    path = "/v1/documents/upload/"
    fields = {"group_id": "0", "document_type": "passport", "format": "json"}
    wrong = await client.http.post(
        path,
        data=fields,
        files={"file": ("p.jpg", JPEG)},
        headers={"Authorization": auth_header(path, {**fields, "group_id": "1"})},
    )
    assert wrong.status_code == 401


async def test_rejected_requests_do_not_change_state(sandbox: Sandbox, client: SignedClient) -> None:
    wrong = SignedClient(client.http, KEY, "nope")
    response = await wrong.post("/v1/direct_numbers/order/", {"direction_id": 3201, "documents_group_id": 0})
    assert response.status_code == 401
    assert sandbox.state.numbers == {}
    assert sandbox.call_count("direct_numbers.order") == 1


async def test_undecodable_body_is_400(client: SignedClient) -> None:
    response = await client.http.post(
        "/v1/direct_numbers/order/",
        content=b"direction_id=%FF",
        headers={"Authorization": f"{KEY}:x", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["message"]
    response = await client.http.post(
        "/v1/direct_numbers/order/",
        content=b"{}",
        headers={"Authorization": f"{KEY}:x", "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and "Content-Type" in response.json()["message"]


async def test_in_process_transport_is_a_real_httpx_transport(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://any") as http:
        response = await SignedClient(http).get("/v1/sip/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


async def test_a_header_missing_its_key_or_its_signature_is_malformed(client: SignedClient) -> None:
    signature = auth_header("/v1/info/balance/", {"format": "json"}).partition(":")[2]
    for header in (f"{KEY}:", f":{signature}", ":"):
        response = await client.http.get("/v1/info/balance/?format=json", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert "Authorization" in response.json()["message"], header


def test_a_signature_that_is_not_text_is_refused_not_raised() -> None:
    params = {"format": "json"}
    good = expected_signature("/v1/info/balance/", params, SECRET)
    assert verify("/v1/info/balance/", params, good, SECRET)
    assert not verify("/v1/info/balance/", params, good[:-1] + "\udcff", SECRET)
