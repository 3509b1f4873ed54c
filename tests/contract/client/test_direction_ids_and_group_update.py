"""Direction ids travel as the API gives them (numbers, and text such as ``ru495``); groups/update."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.zadarma.errors import ZadarmaAPIError
from bot.zadarma.models import Direction, FreeNumber
from tests.contract.client.conftest import Peer

MOSCOW = "ru495"


async def test_a_text_direction_id_is_kept_and_used_for_every_call(peer: Peer) -> None:
    client = peer.client
    directions = await client.directions("RU")
    assert [d.id for d in directions] == [MOSCOW]
    moscow = directions[0]
    # the requirements outside the documented vocabulary arrive as they were given
    assert "proof_of_residence" in moscow.upload and "tax_id" in moscow.specify
    assert [d.id for d in await client.directions("RU", direction_id=MOSCOW)] == [MOSCOW]
    free = await client.available_numbers(MOSCOW)
    assert free and {n.direction_id for n in free} == {MOSCOW}
    validity = await client.group_validity(0, MOSCOW)
    assert not validity.address_match  # group 0 lives in Poland; the direction wants a Russian address
    # numeric ids stay numbers (the country list sends them as strings, the market as numbers)
    warsaw = (await client.directions("PL"))[0]
    assert warsaw.id == 3001
    assert {n.direction_id for n in await client.available_numbers(warsaw.id)} == {3001}


@pytest.mark.parametrize(
    ("wire", "kept"), [("ru495", "ru495"), (" ru495 ", "ru495"), ("3001", 3001), (3001, 3001), (3001.0, 3001)]
)
def test_the_reader_keeps_the_id_as_text_or_number(wire: object, kept: object) -> None:
    assert (
        FreeNumber.model_validate({"id": "x1", "direction_id": wire, "number": "74951234567"}).direction_id
        == kept
    )


@pytest.mark.parametrize("wire", ["", "  ", True, None])
def test_an_empty_or_boolean_direction_id_is_not_an_id(wire: object) -> None:
    with pytest.raises(ValidationError):
        Direction.model_validate(
            {
                "id": wire,
                "countryCode": "7",
                "areaCode": "495",
                "name": "Moscow",
                "connect_fee": "0",
                "monthly_fee": "9",
                "currency": "USD",
            }
        )


async def test_groups_update_needs_the_whole_record_as_create_does(peer: Peer) -> None:
    client = peer.client
    fields = {
        "email": "anna@example.com",
        "salutation": "MS",
        "first_name": "Anna",
        "last_name": "Nowak",
        "country": "RU",
        "city": "Moscow",
        "address": "Tverskaya 1, 101000 Moscow",
        "zip_code": "101000",
        "street": "Tverskaya",
        "building_number": "1",
        "phone": "74951234567",
    }
    group = await client.create_document_group(fields, direction_id=MOSCOW)
    with pytest.raises(ZadarmaAPIError) as refused:
        await client.update_document_group(group.id, {"city": "Tver"})
    assert "email is required" in str(refused.value)
    assert (await client.document_group(group.id)).city == "Moscow"
    updated = await client.update_document_group(group.id, {**fields, "city": "Tver"}, direction_id=MOSCOW)
    assert updated.city == "Tver"
    assert (await client.group_validity(group.id, MOSCOW)).complete is False  # the passport is missing
