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


async def test_who_a_number_was_given_to_is_told_to_its_owner_and_operators_not_to_others(
    stack: Stack,
) -> None:
    number = await order_one(stack, ALICE)
    await stack.services.numbers.assign(OPERATOR, number, BOB.user)

    seen_by_operator = await stack.services.numbers.assignment(OPERATOR, number)
    assert seen_by_operator is not None
    assert (seen_by_operator.owner, seen_by_operator.assigned_by) == (BOB.user, OPERATOR.label)
    assert await stack.services.numbers.assignment(BOB, number) == seen_by_operator
    with pytest.raises(NotYours):
        await stack.services.numbers.assignment(ALICE, number)


async def test_the_audit_trail_is_for_operators_only_and_newest_first(stack: Stack) -> None:
    number = await order_one(stack, ALICE)
    await stack.services.numbers.set_autorenew(ALICE, number, True)
    await stack.services.numbers.set_autorenew(ALICE, number, False)

    trail = await stack.services.numbers.audit_trail(OPERATOR, number, 2)
    assert [(e.action, e.details) for e in trail] == [
        ("autorenew", {"value": "off"}),
        ("autorenew", {"value": "on"}),
    ]
    with pytest.raises(NotYours) as refused:
        await stack.services.numbers.audit_trail(ALICE, number, 2)
    assert refused.value.params == {"number": number}  # the refusal names what was asked for
    with pytest.raises(NotYours) as refused_all:
        await stack.services.numbers.audit_trail(ALICE, None, 2)
    assert refused_all.value.params == {"number": ""}


async def test_the_audit_trail_of_one_number_leaves_out_the_others(stack: Stack) -> None:
    first = await order_one(stack, ALICE, "first")
    second = await order_one(stack, ALICE, "second")
    assert first != second
    await stack.services.numbers.set_autorenew(ALICE, first, False)
    await stack.services.numbers.set_autorenew(ALICE, second, False)

    trail = await stack.services.numbers.audit_trail(OPERATOR, second, 10)
    assert trail and {e.target for e in trail} == {second.lstrip("+")}
    everything = await stack.services.numbers.audit_trail(OPERATOR, None, 10)
    assert {first.lstrip("+"), second.lstrip("+")} <= {e.target for e in everything}
