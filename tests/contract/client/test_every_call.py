"""Every client call against the emulator: typed results that agree with the emulator's state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.zadarma import ZadarmaAPIError
from bot.zadarma.models import Direction
from tests.contract.client.conftest import Peer


async def free_direction(peer: Peer, *, needs_docs: bool = False) -> Direction:
    for country in await peer.client.countries():
        for direction in await peer.client.directions(country.iso):
            if direction.needs_documents == needs_docs and (not needs_docs or direction.upload):
                return direction
    raise AssertionError("the seeded catalog has no such direction")


async def test_account_calls(peer: Peer) -> None:
    balance = await peer.client.balance()
    assert balance.balance == Decimal("100.00") and balance.currency == "USD"
    clock = await peer.client.account_clock()
    assert clock.zone.startswith("UTC") and clock.local is not None
    assert abs((clock.to_utc(clock.local) - clock.now).total_seconds()) < 2
    sips = await peer.client.sip_logins()
    assert [s.id for s in sips.sips][:1] == ["00001"]


async def test_catalog_calls(peer: Peer) -> None:
    countries = await peer.client.countries()
    isos = {c.iso for c in countries}
    assert {"PL", "DE", "GB", "US", "ES"} <= isos
    polish = {c.iso: c.name for c in await peer.client.countries(language="pl")}
    assert polish["DE"] != next(c.name for c in countries if c.iso == "DE")
    directions = await peer.client.directions("PL")
    assert directions and all(isinstance(d.id, int) for d in directions)
    one = await peer.client.directions("PL", direction_id=directions[0].id)
    assert [d.id for d in one] == [directions[0].id]
    free = await peer.client.available_numbers(directions[0].id)
    assert free and all(n.direction_id == directions[0].id for n in free)
    mask = free[0].number[-4:]
    masked = await peer.client.available_numbers(directions[0].id, mask=mask)
    assert masked and all(mask in n.number for n in masked)
    with pytest.raises(ZadarmaAPIError):
        await peer.client.directions("XX")


async def test_order_manage_and_prolong(peer: Peer) -> None:
    direction = await free_direction(peer)
    [first, *_] = await peer.client.available_numbers(direction.id)
    order = await peer.client.order_number(
        direction_id=direction.id, documents_group_id=0, number_id=first.id
    )
    assert order.number.lstrip("+") == first.number.lstrip("+") and order.is_activated
    assert peer.sandbox.call_count("order") == 1
    still_free = {n.id for n in await peer.client.available_numbers(direction.id)}
    assert first.id not in still_free

    record = await peer.client.direct_number(order.number)
    assert record.status == "on" and record.stop_date is not None
    assert any(r.number == record.number for r in await peer.client.direct_numbers())

    assert (await peer.client.set_autoprolongation(order.number, False)).enabled is False
    assert (await peer.client.autoprolongation(order.number)).enabled is False
    assert (await peer.client.set_caller_name(order.number, "Acme 24")).caller_name == "Acme 24"
    with pytest.raises(ZadarmaAPIError):
        await peer.client.set_caller_name(order.number, "Zażółć")
    assert (await peer.client.set_sip_target(order.number, "00001", test_mode=True)).sip_id == "00001"
    assert (
        await peer.client.set_sip_target(order.number, "100@pbx.example.com")
    ).sip_id == "100@pbx.example.com"
    await peer.client.set_incoming_channels(order.number, 4)
    assert isinstance(await peer.client.incoming_channels(number=order.number), dict)

    before = await peer.client.balance()
    prolonged = await peer.client.prolong_number(order.number, 2)
    after = await peer.client.balance()
    assert prolonged.stop_date is not None and record.stop_date is not None
    assert prolonged.stop_date > record.stop_date
    assert after.balance < before.balance
    assert prolonged.total_paid.amount > 0


async def test_sms_toggle_where_supported(peer: Peer) -> None:
    for country in await peer.client.countries():
        sms = [
            d for d in await peer.client.directions(country.iso) if d.receive_sms and not d.needs_documents
        ]
        if sms:
            break
    else:
        pytest.fail("the seeded catalog has no SMS direction without documents")
    free = await peer.client.available_numbers(sms[0].id)
    order = await peer.client.order_number(direction_id=sms[0].id, documents_group_id=0, number_id=free[0].id)
    assert (await peer.client.set_receive_sms(order.number, True)).enabled is True


async def test_documents_flow(peer: Peer) -> None:
    direction = await free_direction(peer, needs_docs=True)
    fields = {
        "email": "jan@example.com",
        "salutation": "MR",
        "first_name": "Jan",
        "last_name": "Kowalski",
        "country": "PL",
        "city": "Łódź",
        "address": "ul. Piotrkowska 1, 90-001 Łódź",
        "zip_code": "90-001",
        "street": "Piotrkowska",
        "building_number": "1",
        "phone": "48221234567",
        "id_number": "ABC123456",
        "nationality": "PL",
        "date_of_birth": "1980-01-31",
        "type_of_id": "PASSPORT",
        "issuing_date": "2020-01-01",
        "purpose": "Business",
    }
    allowed = {k: v for k, v in fields.items() if k != "purpose"}
    group = await peer.client.create_document_group(allowed)
    assert group.id > 0 and group.first_name == "Jan" and group.city == "Łódź"
    assert any(g.id == group.id for g in await peer.client.document_groups())
    assert (await peer.client.document_group(group.id)).email == "jan@example.com"
    updated = await peer.client.update_document_group(group.id, {**allowed, "city": "Kraków"})
    assert updated.city == "Kraków"

    validity = await peer.client.group_validity(group.id, direction.id)
    assert validity.documents_uploaded is False
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    for document_type in direction.upload:
        result = await peer.client.upload_document(
            group.id, document_type, f"{document_type}.png", png, "image/png"
        )
        assert result.doc_name
    files = await peer.client.document_files(group.id)
    assert {f.type for f in files} >= set(direction.upload)
    assert all(f.is_verified is False for f in files)
    assert (await peer.client.group_validity(group.id, direction.id)).documents_uploaded is True
    wrongs = await peer.client.checking_wrongs(group.id)
    assert not wrongs.any
    with pytest.raises(ZadarmaAPIError):
        await peer.client.upload_document(group.id, "passport", "notes.png", b"plain text", "image/png")
