"""Contract: exactly-once intents (runs against every storage implementation)."""

from __future__ import annotations

import asyncio
from datetime import UTC

import pytest

from bot.storage import IntentKind, IntentStatus, NotFoundError, Storage, UserRef
from tests.fakes.clock import FakeClock

ALICE = UserRef("telegram", "501")
BOB = UserRef("slack", "U0BOB")
PARAMS: dict[str, str | int] = {"direction_id": "pl-warsaw", "number": "48221234567", "months": 1}


async def test_create_stores_a_pending_intent(storage: Storage, clock: FakeClock) -> None:
    intent, created = await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    assert created is True
    assert intent == await storage.intents.get("order-1")
    assert intent.key == "order-1"
    assert intent.kind is IntentKind.ORDER
    assert intent.owner == ALICE
    assert intent.params == PARAMS
    assert intent.status is IntentStatus.PENDING
    assert (intent.result, intent.error, intent.attempts) == (None, None, 0)
    assert intent.created_at == intent.updated_at == clock.now
    assert intent.created_at.tzinfo is UTC


async def test_get_unknown_intent_returns_none(storage: Storage) -> None:
    assert await storage.intents.get("nope") is None


async def test_create_with_existing_key_returns_the_existing_intent(
    storage: Storage, clock: FakeClock
) -> None:
    first, _ = await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    clock.advance(10)
    again, created = await storage.intents.create("order-1", IntentKind.PROLONG, BOB, {"months": 12})
    assert created is False
    assert again == first
    assert await storage.intents.list_for_owner(BOB) == []


async def test_concurrent_creates_with_one_key_create_once(storage: Storage) -> None:
    results = await asyncio.gather(
        *(storage.intents.create("tap-tap", IntentKind.ORDER, ALICE, {"attempt": i}) for i in range(20))
    )
    created_flags = [created for _, created in results]
    assert created_flags.count(True) == 1
    winner = results[created_flags.index(True)][0]
    assert all(intent == winner for intent, _ in results)
    assert len(await storage.intents.list_for_owner(ALICE)) == 1


async def test_create_accepts_plain_string_kinds_and_rejects_unknown_ones(storage: Storage) -> None:
    intent, _ = await storage.intents.create("p-1", "prolong", ALICE, {})  # type: ignore[arg-type]
    assert intent.kind is IntentKind.PROLONG
    with pytest.raises(ValueError, match="order, prolong"):
        await storage.intents.create("x-1", "refund", ALICE, {})  # type: ignore[arg-type]
    assert await storage.intents.get("x-1") is None


async def test_create_rejects_params_that_are_not_json(storage: Storage) -> None:
    with pytest.raises(TypeError):
        await storage.intents.create("x-1", IntentKind.ORDER, ALICE, {"bad": object()})  # type: ignore[dict-item]
    assert await storage.intents.get("x-1") is None


async def test_arguments_are_checked_even_when_the_key_exists(storage: Storage) -> None:
    await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    with pytest.raises(ValueError):
        await storage.intents.create("order-1", "refund", ALICE, PARAMS)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await storage.intents.create("order-1", IntentKind.ORDER, ALICE, {"bad": object()})  # type: ignore[dict-item]


async def test_returned_params_are_copies(storage: Storage) -> None:
    intent, _ = await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    intent.params["months"] = 99
    stored = await storage.intents.get("order-1")
    assert stored is not None
    assert stored.params == PARAMS


async def test_happy_path_pending_sending_succeeded(storage: Storage, clock: FakeClock) -> None:
    await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    sent_at = clock.advance(1)
    assert await storage.intents.mark_sending("order-1") is True
    intent = await storage.intents.get("order-1")
    assert intent is not None
    assert (intent.status, intent.attempts, intent.updated_at) == (IntentStatus.SENDING, 1, sent_at)

    done_at = clock.advance(1)
    assert await storage.intents.mark_succeeded("order-1", {"number": "48221234567", "cost": 5.5}) is True
    intent = await storage.intents.get("order-1")
    assert intent is not None
    assert intent.status is IntentStatus.SUCCEEDED
    assert intent.result == {"number": "48221234567", "cost": 5.5}
    assert (intent.error, intent.attempts, intent.updated_at) == (None, 1, done_at)
    assert intent.created_at < intent.updated_at


async def test_mark_sending_only_once(storage: Storage) -> None:
    await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    assert await storage.intents.mark_sending("order-1") is True
    assert await storage.intents.mark_sending("order-1") is False
    intent = await storage.intents.get("order-1")
    assert intent is not None
    assert intent.attempts == 1


async def test_concurrent_mark_sending_exactly_one_wins(storage: Storage) -> None:
    await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    results = await asyncio.gather(*(storage.intents.mark_sending("order-1") for _ in range(20)))
    assert results.count(True) == 1
    intent = await storage.intents.get("order-1")
    assert intent is not None
    assert (intent.status, intent.attempts) == (IntentStatus.SENDING, 1)


async def test_unknown_then_reconciled_to_succeeded(storage: Storage) -> None:
    await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    await storage.intents.mark_sending("order-1")
    assert await storage.intents.mark_unknown("order-1", "read timeout") is True
    intent = await storage.intents.get("order-1")
    assert intent is not None
    assert (intent.status, intent.error) == (IntentStatus.UNKNOWN, "read timeout")
    assert await storage.intents.mark_sending("order-1") is False
    assert await storage.intents.mark_succeeded("order-1", {"found": True}) is True
    intent = await storage.intents.get("order-1")
    assert intent is not None
    assert (intent.status, intent.result, intent.error) == (IntentStatus.SUCCEEDED, {"found": True}, None)


async def test_unknown_then_reconciled_to_failed(storage: Storage) -> None:
    await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    await storage.intents.mark_sending("order-1")
    await storage.intents.mark_unknown("order-1", "connection dropped")
    assert await storage.intents.mark_failed("order-1", "not on the account") is True
    intent = await storage.intents.get("order-1")
    assert intent is not None
    assert (intent.status, intent.error) == (IntentStatus.FAILED, "not on the account")


async def test_pending_may_fail_before_sending(storage: Storage) -> None:
    await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    assert await storage.intents.mark_failed("order-1", "balance too low") is True
    intent = await storage.intents.get("order-1")
    assert intent is not None
    assert (intent.status, intent.error, intent.attempts) == (IntentStatus.FAILED, "balance too low", 0)


async def test_transitions_from_the_wrong_state_are_refused(storage: Storage) -> None:
    await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    assert await storage.intents.mark_succeeded("order-1", {}) is False  # still pending
    assert await storage.intents.mark_unknown("order-1", "?") is False  # still pending
    intent = await storage.intents.get("order-1")
    assert intent is not None
    assert intent.status is IntentStatus.PENDING


@pytest.mark.parametrize("final", ["succeeded", "failed"])
async def test_final_states_are_final(storage: Storage, final: str) -> None:
    await storage.intents.create("order-1", IntentKind.ORDER, ALICE, PARAMS)
    await storage.intents.mark_sending("order-1")
    if final == "succeeded":
        await storage.intents.mark_succeeded("order-1", {"ok": 1})
    else:
        await storage.intents.mark_failed("order-1", "rejected")
    before = await storage.intents.get("order-1")
    assert await storage.intents.mark_sending("order-1") is False
    assert await storage.intents.mark_succeeded("order-1", {"ok": 2}) is False
    assert await storage.intents.mark_failed("order-1", "late") is False
    assert await storage.intents.mark_unknown("order-1", "late") is False
    assert await storage.intents.get("order-1") == before


async def test_transitions_on_unknown_keys_raise(storage: Storage) -> None:
    with pytest.raises(NotFoundError):
        await storage.intents.mark_sending("nope")
    with pytest.raises(NotFoundError):
        await storage.intents.mark_succeeded("nope", {})
    with pytest.raises(NotFoundError):
        await storage.intents.mark_failed("nope", "x")
    with pytest.raises(NotFoundError):
        await storage.intents.mark_unknown("nope", "x")


async def test_list_by_status_oldest_first(storage: Storage, clock: FakeClock) -> None:
    for key in ("c", "a", "b"):
        await storage.intents.create(key, IntentKind.PROLONG, ALICE, {"months": 1})
        clock.advance(1)
    await storage.intents.mark_sending("a")
    await storage.intents.mark_sending("b")
    await storage.intents.mark_unknown("b", "timeout")
    assert [i.key for i in await storage.intents.list_by_status(IntentStatus.PENDING)] == ["c"]
    assert [i.key for i in await storage.intents.list_by_status(IntentStatus.SENDING)] == ["a"]
    assert [i.key for i in await storage.intents.list_by_status(IntentStatus.UNKNOWN)] == ["b"]
    assert await storage.intents.list_by_status(IntentStatus.SUCCEEDED) == []


async def test_list_by_status_keeps_creation_order_within_one_instant(storage: Storage) -> None:
    keys = [f"k{i}" for i in (3, 1, 4, 0, 2)]
    for key in keys:
        await storage.intents.create(key, IntentKind.ORDER, ALICE, {})
    assert [i.key for i in await storage.intents.list_by_status(IntentStatus.PENDING)] == keys


async def test_list_for_owner_newest_first_and_only_theirs(storage: Storage, clock: FakeClock) -> None:
    await storage.intents.create("old", IntentKind.ORDER, ALICE, {})
    clock.advance(1)
    await storage.intents.create("bobs", IntentKind.ORDER, BOB, {})
    clock.advance(1)
    await storage.intents.create("new", IntentKind.PROLONG, ALICE, {})
    assert [i.key for i in await storage.intents.list_for_owner(ALICE)] == ["new", "old"]
    assert [i.key for i in await storage.intents.list_for_owner(BOB)] == ["bobs"]
    assert await storage.intents.list_for_owner(UserRef("slack", ALICE.user_id)) == []
