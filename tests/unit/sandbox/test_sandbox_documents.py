"""Document groups, uploads, verification, rejection and groups/valid."""

from __future__ import annotations

import pytest

from bot.sandbox import Sandbox
from tests.unit.sandbox.sandbox_helpers import COMPLETE_GROUP, JPEG, PDF, PNG, SignedClient

CREATE = "/v1/documents/groups/create/"
ORDER = "/v1/direct_numbers/order/"
WARSAW, KRAKOW, PARIS, LONDON = 3001, 3002, 3501, 3201


async def _group(client: SignedClient, **changes: str) -> int:
    body = await client.ok("POST", CREATE, {**COMPLETE_GROUP, **changes})
    group_id: int = body["group"]["id"]
    return group_id


async def _valid(client: SignedClient, group_id: int, direction_id: int) -> dict[str, str]:
    body = await client.ok("GET", f"/v1/documents/groups/valid/{group_id}/", {"direction_id": direction_id})
    body.pop("status")
    return body


async def test_create_group_returns_the_stored_record(client: SignedClient) -> None:
    body = await client.ok("POST", CREATE, COMPLETE_GROUP)
    group = body["group"]
    assert group["id"] == 1
    assert group["first_name"] == "Anna" and group["country"] == "PL" and group["is_readonly"] is False
    assert group["middle_name"] is None and group["region"] == ""
    listed = (await client.ok("GET", "/v1/documents/groups/list/"))["groups"]
    assert [g["id"] for g in listed] == [0, 1]
    fetched = (await client.ok("GET", "/v1/documents/groups/get/1/"))["group"]
    assert fetched == group


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"email": "not-an-email"}, "email must be a valid e-mail address"),
        ({"email": ""}, "email is required"),
        ({"salutation": "DR"}, "salutation must be one of MR, MS, COMPANY"),
        ({"country": "pl"}, "country must be an ISO 3166-1 alpha-2 code"),
        ({"country": "POL"}, "country must be an ISO 3166-1 alpha-2 code"),
        ({"phone": "call me"}, "phone must be digits with an optional leading +"),
        ({"nationality": "Polish"}, "nationality must be an ISO 3166-1 alpha-2 code"),
        ({"date_of_birth": "12.04.1985"}, "date_of_birth must be a date in the format YYYY-MM-DD"),
        ({"issuing_date": "2020-02-30"}, "issuing_date must be a real calendar date"),
        ({"type_of_id": "LICENSE"}, "type_of_id must be one of PASSPORT, DNI"),
        ({"city": " "}, "city is required"),
    ],
)
async def test_create_group_validation_names_the_field(
    client: SignedClient, changes: dict[str, str], expected: str
) -> None:
    message = await client.error("POST", CREATE, {**COMPLETE_GROUP, **changes})
    assert expected in message


async def test_missing_required_fields_are_all_listed(client: SignedClient) -> None:
    message = await client.error("POST", CREATE, {"email": "a@b.co"})
    for field in (
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
    ):
        assert f"{field} is required" in message


async def test_update_requires_the_spec_fields_and_keeps_unsent_optional_ones(client: SignedClient) -> None:
    group_id = await _group(client, middle_name="Maria")
    url = f"/v1/documents/groups/update/{group_id}/"
    # a partial update is refused as the real API does: the spec requires the same fields as create
    message = await client.error("PUT", url, {"city": "Kraków"})
    assert "email is required" in message and "phone is required" in message
    assert "city is required" not in message
    assert (await client.ok("GET", f"/v1/documents/groups/get/{group_id}/"))["group"]["city"] != "Kraków"
    body = await client.ok("PUT", url, {**COMPLETE_GROUP, "city": "Kraków"})
    assert body["group"]["city"] == "Kraków" and body["group"]["middle_name"] == "Maria"
    # an optional field sent empty is cleared
    body = await client.ok("PUT", url, {**COMPLETE_GROUP, "middle_name": ""})
    assert body["group"]["middle_name"] is None
    assert "email must be" in await client.error("PUT", url, {**COMPLETE_GROUP, "email": "x"})
    assert "does not exist" in await client.error("PUT", "/v1/documents/groups/update/77/", COMPLETE_GROUP)
    assert "city is required" in await client.error(
        "PUT", "/v1/documents/groups/update/0/", {"first_name": "Jan"}
    )
    body = await client.ok("PUT", "/v1/documents/groups/update/0/", COMPLETE_GROUP)
    assert body["group"]["id"] == 0


async def test_unknown_group_is_an_error(client: SignedClient) -> None:
    assert "Document group 9 does not exist" in await client.error("GET", "/v1/documents/groups/get/9/")
    assert "whole number" in await client.error("GET", "/v1/documents/groups/get/abc/")
    assert "does not exist" in await client.error("GET", "/v1/documents/files/", {"group_id": 9})


@pytest.mark.parametrize(
    ("document_type", "filename", "content", "expected"),
    [
        ("passport", "notes.txt", b"just text", "JPEG or PNG image or a PDF"),
        ("passport", "empty.jpg", b"", "file is empty"),
        ("selfie", "p.jpg", JPEG, "document_type must be one of"),
        ("passport", "huge.pdf", b"%PDF-" + bytes(20 * 1024 * 1024), "too large"),
    ],
)
async def test_upload_validation(
    client: SignedClient, document_type: str, filename: str, content: bytes, expected: str
) -> None:
    response = await client.upload(0, document_type, filename, content)
    assert response.status_code == 400
    assert expected in response.json()["message"]


async def test_upload_requires_a_file_part(client: SignedClient) -> None:
    message = await client.error(
        "POST", "/v1/documents/upload/", {"group_id": 0, "document_type": "passport"}
    )
    assert "file is required" in message


async def test_uploads_are_listed_and_verified_after_the_delay(
    sandbox: Sandbox, client: SignedClient
) -> None:
    group_id = await _group(client)
    for name, content in (("passport.jpg", JPEG), ("bill.png", PNG), ("c:\\scans\\receipt.pdf", PDF)):
        doc_type = {"passport.jpg": "passport", "bill.png": "phone_bill"}.get(name, "receipt")
        response = await client.upload(group_id, doc_type, name, content)
        assert response.status_code == 200, response.text
    body = response.json()
    assert body["doc_name"] == "receipt.pdf"
    assert body["message"] == "The File receipt.pdf has been successfully uploaded to the website."
    files = (await client.ok("GET", "/v1/documents/files/", {"group_id": group_id}))["documents"]
    assert [(f["type"], f["is_verified"], f["source"]) for f in files] == [
        ("passport", "false", "upload"),
        ("phone_bill", "false", "upload"),
        ("receipt", "false", "upload"),
    ]
    assert (await client.ok("GET", "/v1/documents/files/"))["documents"] == []  # group 0
    events = sandbox.advance_days(1)
    assert sorted(e.subject for e in events if e.kind == "document_verified") == [
        "bill.png",
        "passport.jpg",
        "receipt.pdf",
    ]
    files = (await client.ok("GET", "/v1/documents/files/", {"group_id": group_id}))["documents"]
    assert {f["is_verified"] for f in files} == {"true"}


async def test_verification_delay_is_configurable() -> None:
    from tests.unit.sandbox.sandbox_helpers import make_sandbox

    sandbox = make_sandbox(verification_days=3)
    sandbox.state.upload(0, "passport", "p.jpg", JPEG)
    sandbox.advance_days(2)
    assert sandbox.state.files[0].state == "pending"
    sandbox.advance_days(1)
    assert sandbox.state.files[0].state == "verified"


async def test_groups_valid_progression_for_a_direction(sandbox: Sandbox, client: SignedClient) -> None:
    group_id = await _group(client, id_number="")
    assert await _valid(client, group_id, KRAKOW) == {
        "is_information_match": "false",
        "is_documents_uploaded": "false",
        "is_documents_verified": "false",
        "is_address_match": "true",
    }
    await client.ok("PUT", f"/v1/documents/groups/update/{group_id}/", {**COMPLETE_GROUP, "id_number": "AB1"})
    await client.upload(group_id, "passport", "p.jpg", JPEG)
    assert (await _valid(client, group_id, KRAKOW))["is_documents_uploaded"] == "false"  # receipt missing
    await client.upload(group_id, "receipt", "r.pdf", PDF)
    assert await _valid(client, group_id, KRAKOW) == {
        "is_information_match": "true",
        "is_documents_uploaded": "true",
        "is_documents_verified": "false",
        "is_address_match": "true",
    }
    sandbox.advance_days(1)
    assert set((await _valid(client, group_id, KRAKOW)).values()) == {"true"}
    # a Polish address does not match a French direction
    assert (await _valid(client, group_id, PARIS))["is_address_match"] == "false"
    # a direction with no requirements is always fine
    assert set((await _valid(client, 0, LONDON)).values()) == {"true"}
    assert "direction_id is required" in await client.error("GET", f"/v1/documents/groups/valid/{group_id}/")
    assert "Direction 1 does not exist" in await client.error(
        "GET", f"/v1/documents/groups/valid/{group_id}/", {"direction_id": 1}
    )


async def test_rejected_document_sends_the_number_back_and_explains_why(
    sandbox: Sandbox, client: SignedClient
) -> None:
    group_id = await _group(client)
    number = (await client.ok("POST", ORDER, {"direction_id": WARSAW, "documents_group_id": group_id}))[
        "number"
    ]
    assert sandbox.state.numbers[number].status == "checking_upload"
    assert (await client.ok("GET", "/v1/direct_numbers/checking-wrongs/", {"group_id": group_id}))[
        "info"
    ] == {}
    await client.upload(group_id, "passport", "Passport_REJECT_me.jpg", JPEG)
    assert sandbox.state.numbers[number].status == "checking"
    events = sandbox.advance_days(1)
    assert [e.kind for e in events if e.subject in (number, "Passport_REJECT_me.jpg")] == [
        "document_rejected",
        "status_changed",
    ]
    assert sandbox.state.numbers[number].status == "checking_upload"
    wrongs = (await client.ok("GET", "/v1/direct_numbers/checking-wrongs/", {"group_id": group_id}))["info"]
    assert wrongs["wrong_document"]["document_type"] == "passport"
    assert "valid document" in wrongs["wrong_document"]["message"]
    assert "wrong_address" not in wrongs
    # a good passport fixes it
    await client.upload(group_id, "passport", "passport-ok.jpg", JPEG)
    assert sandbox.state.numbers[number].status == "checking"
    sandbox.advance_days(1)
    assert sandbox.state.numbers[number].status == "on"
    assert (await client.ok("GET", "/v1/direct_numbers/checking-wrongs/", {"group_id": group_id}))[
        "info"
    ] == {}


async def test_wrong_address_is_reported_for_a_mismatched_country(
    sandbox: Sandbox, client: SignedClient
) -> None:
    group_id = await _group(client)  # Polish address
    number = (await client.ok("POST", ORDER, {"direction_id": PARIS, "documents_group_id": group_id}))[
        "number"
    ]
    wrongs = (await client.ok("GET", "/v1/direct_numbers/checking-wrongs/", {"group_id": group_id}))["info"]
    assert "France" in wrongs["wrong_address"]["message"] and number in wrongs["wrong_address"]["message"]
    assert "group_id is required" in await client.error("GET", "/v1/direct_numbers/checking-wrongs/")
