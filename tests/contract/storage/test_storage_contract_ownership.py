"""Contract: ownership of numbers and document groups (every storage implementation)."""

from __future__ import annotations

from datetime import UTC

from bot.storage import Storage, UserRef
from tests.fakes.clock import FakeClock

ALICE = UserRef("telegram", "501")
BOB = UserRef("telegram", "502")
SLACK_ALICE = UserRef("slack", "501")


async def test_unowned_number(storage: Storage) -> None:
    assert await storage.ownership.owner_of_number("48221234567") is None
    assert await storage.ownership.number_assignment("48221234567") is None
    assert await storage.ownership.numbers_of(ALICE) == []


async def test_assign_number(storage: Storage, clock: FakeClock) -> None:
    await storage.ownership.assign_number("48221234567", ALICE, "slack:U0TEAM")
    assert await storage.ownership.owner_of_number("48221234567") == ALICE
    assignment = await storage.ownership.number_assignment("48221234567")
    assert assignment is not None
    assert (assignment.number, assignment.owner, assignment.assigned_by) == (
        "48221234567",
        ALICE,
        "slack:U0TEAM",
    )
    assert assignment.assigned_at == clock.now
    assert assignment.assigned_at.tzinfo is UTC


async def test_numbers_of_lists_only_the_owners_numbers_sorted(storage: Storage) -> None:
    for number in ("48500000003", "48500000001", "48500000002"):
        await storage.ownership.assign_number(number, ALICE, "order")
    await storage.ownership.assign_number("48500000009", BOB, "order")
    await storage.ownership.assign_number("48500000008", SLACK_ALICE, "order")
    assert await storage.ownership.numbers_of(ALICE) == ["48500000001", "48500000002", "48500000003"]
    assert await storage.ownership.numbers_of(BOB) == ["48500000009"]
    assert await storage.ownership.numbers_of(SLACK_ALICE) == ["48500000008"]


async def test_owners_of_many_numbers_in_one_read(storage: Storage) -> None:
    await storage.ownership.assign_number("48500000001", ALICE, "order")
    await storage.ownership.assign_number("48500000002", SLACK_ALICE, "order")
    await storage.ownership.assign_number("48500000003", BOB, "order")
    await storage.ownership.assign_number("48500000009", BOB, "order")
    await storage.ownership.release_number("48500000009")
    asked = ["48500000002", "48500000001", "48500000404", "48500000009", "48500000001", "+48500000003"]
    assert await storage.ownership.owners_of_numbers(iter(asked)) == {
        "48500000001": ALICE,
        "48500000002": SLACK_ALICE,
    }
    assert await storage.ownership.owners_of_numbers([]) == {}
    many = [f"4860{i:07d}" for i in range(3000)]
    for number in many[::1000]:
        await storage.ownership.assign_number(number, BOB, "order")
    assert await storage.ownership.owners_of_numbers(many) == dict.fromkeys(many[::1000], BOB)


async def test_reassigning_a_number_moves_it(storage: Storage, clock: FakeClock) -> None:
    await storage.ownership.assign_number("48221234567", ALICE, "order")
    moved_at = clock.advance(30)
    await storage.ownership.assign_number("48221234567", BOB, "slack:U0TEAM")
    assert await storage.ownership.owner_of_number("48221234567") == BOB
    assert await storage.ownership.numbers_of(ALICE) == []
    assert await storage.ownership.numbers_of(BOB) == ["48221234567"]
    assignment = await storage.ownership.number_assignment("48221234567")
    assert assignment is not None
    assert (assignment.assigned_by, assignment.assigned_at) == ("slack:U0TEAM", moved_at)


async def test_release_number(storage: Storage) -> None:
    await storage.ownership.assign_number("48221234567", ALICE, "order")
    await storage.ownership.assign_number("48221234568", ALICE, "order")
    assert await storage.ownership.release_number("48221234567") is True
    assert await storage.ownership.release_number("48221234567") is False
    assert await storage.ownership.owner_of_number("48221234567") is None
    assert await storage.ownership.numbers_of(ALICE) == ["48221234568"]


async def test_groups(storage: Storage) -> None:
    assert await storage.ownership.owner_of_group(77) is None
    await storage.ownership.assign_group(77, ALICE)
    await storage.ownership.assign_group(12, ALICE)
    await storage.ownership.assign_group(5, BOB)
    assert await storage.ownership.owner_of_group(77) == ALICE
    assert await storage.ownership.groups_of(ALICE) == [12, 77]
    assert await storage.ownership.groups_of(BOB) == [5]


async def test_reassigning_and_releasing_groups(storage: Storage) -> None:
    await storage.ownership.assign_group(77, ALICE)
    await storage.ownership.assign_group(77, BOB)
    assert await storage.ownership.owner_of_group(77) == BOB
    assert await storage.ownership.groups_of(ALICE) == []
    assert await storage.ownership.release_group(77) is True
    assert await storage.ownership.release_group(77) is False
    assert await storage.ownership.owner_of_group(77) is None
    assert await storage.ownership.groups_of(BOB) == []


async def test_numbers_and_groups_are_separate(storage: Storage) -> None:
    await storage.ownership.assign_number("77", ALICE, "order")
    assert await storage.ownership.owner_of_group(77) is None
    await storage.ownership.assign_group(77, BOB)
    assert await storage.ownership.owner_of_number("77") == ALICE
