"""Ownership, validation and document checks in the numbers and documents services."""

from __future__ import annotations

import pytest

from bot.services import Actor
from bot.services.documents import group_form
from bot.services.errors import InvalidInput, NotYours
from bot.services.file_check import check_file
from bot.services.ordering import OrderRequest
from bot.storage import UserRef
from tests.fakes import scans
from tests.unit.services.conftest import ALICE, BOB, OPERATOR, Stack

PNG = scans.png()
PDF = scans.pdf()
JPEG = scans.jpeg()


async def order_one(stack: Stack, actor: Actor = ALICE, key: str = "k") -> str:
    direction = next(d for d in await stack.services.catalog.directions("GB", "en") if not d.needs_documents)
    free = await stack.services.catalog.free_numbers(direction.id)
    request = OrderRequest(direction_id=direction.id, number_id=free[0].id, number=free[0].number)
    return (await stack.services.ordering.place_order(actor, key, request, direction)).number


async def test_customers_see_and_touch_only_their_numbers(stack: Stack) -> None:
    alices = await order_one(stack, ALICE, "a")
    bobs = await order_one(stack, BOB, "b")
    assert [r.number for r in await stack.services.numbers.list_for(ALICE)] == [alices]
    assert {r.number for r in await stack.services.numbers.list_for(OPERATOR)} >= {alices, bobs}
    for call in (
        stack.services.numbers.get(BOB, alices),
        stack.services.numbers.set_autorenew(BOB, alices, False),
        stack.services.numbers.set_caller_name(BOB, alices, "Bob"),
        stack.services.numbers.set_sip_target(BOB, alices, "00001"),
        stack.services.numbers.set_receive_sms(BOB, alices, True),
    ):
        with pytest.raises(NotYours):
            await call
    assert await stack.services.numbers.set_autorenew(ALICE, alices, False) is False
    assert (await stack.services.numbers.get(ALICE, alices)).autorenew is False


async def test_operator_assigns_a_number(stack: Stack) -> None:
    number = await order_one(stack, ALICE)
    with pytest.raises(NotYours):
        await stack.services.numbers.assign(ALICE, number, BOB.user)
    await stack.services.numbers.assign(OPERATOR, number, BOB.user)
    assert await stack.storage.ownership.owner_of_number(number) == BOB.user
    assert [r.number for r in await stack.services.numbers.list_for(BOB)] == [number]


@pytest.mark.parametrize(
    ("name", "stored"), [("Acme 24", "Acme 24"), ("  Jan  ", "Jan"), ("-", ""), ("", "")]
)
async def test_caller_name_accepted(stack: Stack, name: str, stored: str) -> None:
    number = await order_one(stack)
    assert await stack.services.numbers.set_caller_name(ALICE, number, name) == stored


@pytest.mark.parametrize("name", ["Zażółć", "a" * 31, "semi;colon"])
async def test_caller_name_refused(stack: Stack, name: str) -> None:
    number = await order_one(stack)
    with pytest.raises(InvalidInput) as info:
        await stack.services.numbers.set_caller_name(ALICE, number, name)
    assert info.value.code == "invalid.caller_name"


@pytest.mark.parametrize(
    ("target", "ok"),
    [
        ("00001", True),
        ("sip:100@pbx.example.com", True),
        ("100@193.0.2.1:5060", True),
        ("sips:100@pbx.example.com;transport=tls", True),
        ("100@10.0.0.1:5060", False),
        ("100@localhost", False),
        ("99999", False),
        ("no-at-sign", False),
        ("a@b:99999", False),
    ],
)
async def test_sip_targets(stack: Stack, target: str, ok: bool) -> None:
    number = await order_one(stack)
    if ok:
        assert await stack.services.numbers.set_sip_target(ALICE, number, target, test_mode=True)
    else:
        with pytest.raises(InvalidInput):
            await stack.services.numbers.set_sip_target(ALICE, number, target)


@pytest.mark.parametrize(("content", "suffix"), [(PNG, "png"), (PDF, "pdf"), (JPEG, "jpg")])
async def test_files_are_judged_by_content(content: bytes, suffix: str) -> None:
    checked = await check_file("scan.txt", content)
    assert checked.filename == f"scan.{suffix}"


@pytest.mark.parametrize(
    ("content", "declared", "code"),
    [
        (b"just text, renamed", None, "invalid.file_type"),
        (b"", None, "invalid.file_empty"),
        (PNG, 21 * 1024 * 1024, "invalid.file_too_big"),
    ],
)
async def test_bad_files_are_refused(content: bytes, declared: int | None, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        await check_file("passport.jpg", content, declared)
    assert info.value.code == code


async def test_groups_belong_to_their_creator(stack: Stack) -> None:
    direction = next(d for d in await stack.services.catalog.directions("PL", "en") if d.upload)
    form = group_form(direction)
    assert [f.name for f in form if f.required][:3] == ["salutation", "first_name", "last_name"]
    answers = {
        "salutation": "mr",
        "first_name": "Jan",
        "last_name": "Nowak",
        "email": "jan@example.com",
        "phone": "+48 22 123 45 67",
        "country": "pl",
        "city": "Warszawa",
        "zip_code": "00-001",
        "street": "Marszałkowska",
        "building_number": "10",
        "address": "Marszałkowska 10, 00-001 Warszawa",
    }
    for field in form:
        if field.name not in answers:
            answers[field.name] = {
                "nationality": "PL",
                "date_of_birth": "1990-02-28",
                "issuing_date": "2020-01-01",
                "type_of_id": "PASSPORT",
                "middle_name": "Maria",
            }.get(field.name, "X123")
    group = await stack.services.documents.create_group(ALICE, answers, direction.id)
    assert group.phone == "48221234567" and group.country == "PL" and group.salutation == "MR"
    assert [g.id for g in await stack.services.documents.groups_for(ALICE)] == [group.id]
    assert await stack.services.documents.groups_for(BOB) == []
    with pytest.raises(NotYours):
        await stack.services.documents.files(BOB, group.id)
    missing = await stack.services.documents.missing_uploads(ALICE, group.id, direction)
    assert missing == list(direction.upload)
    await stack.services.documents.upload(ALICE, group.id, missing[0], await check_file("p.png", PNG))
    assert missing[0] not in await stack.services.documents.missing_uploads(ALICE, group.id, direction)
    with pytest.raises(NotYours):
        await stack.services.documents.upload(BOB, group.id, missing[0], await check_file("p.png", PNG))


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("email", "jan@", "invalid.email"),
        ("country", "Poland", "invalid.country"),
        ("phone", "12ab", "invalid.phone"),
        ("date_of_birth", "31.01.1980", "invalid.date"),
        ("date_of_birth", "2999-01-01", "invalid.date_range"),
        ("first_name", "12345", "invalid.name"),
        ("salutation", "DR", "invalid.choice"),
        ("city", "   ", "invalid.empty"),
    ],
)
async def test_group_answers_are_validated(stack: Stack, field: str, value: str, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        await stack.services.documents.create_group(ALICE, {field: value})
    assert info.value.code == code
    assert await stack.storage.ownership.groups_of(UserRef("telegram", "1001")) == []
