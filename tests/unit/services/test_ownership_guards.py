"""Ownership checks as a customer or an operator writes a number: with or without its ``+``."""

from __future__ import annotations

import pytest

from bot.services.errors import NotFound, NotYours
from tests.unit.services.conftest import ALICE, BOB, OPERATOR, Stack
from tests.unit.services.test_numbers_documents import order_one


async def test_a_number_written_with_a_plus_is_still_the_owners_and_still_not_anyone_elses(
    stack: Stack,
) -> None:
    number = await order_one(stack, ALICE)
    assert not number.startswith("+")

    assert (await stack.services.numbers.get(ALICE, f"+{number}")).number.lstrip("+") == number
    with pytest.raises(NotYours) as refused:
        await stack.services.numbers.get(BOB, f"+{number}")
    assert refused.value.params == {"number": f"+{number}"}


async def test_an_operator_assigning_a_number_written_with_a_plus_hands_over_that_number(
    stack: Stack,
) -> None:
    number = await order_one(stack, ALICE)
    with pytest.raises(NotYours) as refused:
        await stack.services.numbers.assign(ALICE, f"+{number}", BOB.user)
    assert refused.value.params == {"number": f"+{number}"}

    await stack.services.numbers.assign(OPERATOR, f"+{number}", BOB.user)

    assert await stack.storage.ownership.owner_of_number(number) == BOB.user
    assert [r.number for r in await stack.services.numbers.list_for(BOB)] == [number]
    assert (await stack.services.numbers.get(BOB, number)).number == number
    [entry, *_] = await stack.storage.audit.list(number)
    assert (entry.action, entry.actor, entry.details) == ("assign", OPERATOR.label, {"to": "telegram:1002"})


async def test_assigning_a_number_outside_the_account_names_it(stack: Stack) -> None:
    with pytest.raises(NotFound) as missing:
        await stack.services.numbers.assign(OPERATOR, "+15550000000", BOB.user)
    assert "15550000000" in str(missing.value)
    assert await stack.storage.ownership.owner_of_number("15550000000") is None


async def test_another_customers_document_group_is_refused_by_its_id(stack: Stack) -> None:
    groups = await stack.services.documents.groups_for(OPERATOR)
    assert groups, "the emulator seeds document groups"
    with pytest.raises(NotYours) as refused:
        await stack.services.documents.group(BOB, groups[0].id)
    assert refused.value.params == {"group": groups[0].id}
