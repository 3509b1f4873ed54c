"""Contract: users (runs against every storage implementation)."""

from __future__ import annotations

from datetime import UTC

from bot.storage import Storage, UserRef
from tests.fakes.clock import FakeClock

ALICE = UserRef("telegram", "501")


async def test_get_unknown_user_returns_none(storage: Storage) -> None:
    assert await storage.users.get(ALICE) is None


async def test_upsert_creates_user(storage: Storage, clock: FakeClock) -> None:
    user = await storage.users.upsert(ALICE, chat_id="501", display_name="Alice", default_language="pl")
    assert user == await storage.users.get(ALICE)
    assert user.ref == ALICE
    assert (user.chat_id, user.display_name, user.language) == ("501", "Alice", "pl")
    assert (user.blocked, user.blocked_at) == (False, None)
    assert user.created_at == user.updated_at == clock.now
    assert user.created_at.tzinfo is UTC


async def test_upsert_updates_given_fields_and_keeps_the_rest(storage: Storage, clock: FakeClock) -> None:
    created = await storage.users.upsert(ALICE, chat_id="501", display_name="Alice")
    later = clock.advance(60)
    kept = await storage.users.upsert(ALICE)
    assert (kept.chat_id, kept.display_name) == ("501", "Alice")
    changed = await storage.users.upsert(ALICE, chat_id="9001", display_name="Alice B.")
    assert (changed.chat_id, changed.display_name) == ("9001", "Alice B.")
    assert changed.created_at == created.created_at
    assert changed.updated_at == later


async def test_default_language_fills_a_missing_language_only(storage: Storage) -> None:
    user = await storage.users.upsert(ALICE)
    assert user.language is None
    user = await storage.users.upsert(ALICE, default_language="pl")
    assert user.language == "pl"
    user = await storage.users.upsert(ALICE, default_language="en")
    assert user.language == "pl"


async def test_set_language_wins_over_later_default(storage: Storage) -> None:
    await storage.users.upsert(ALICE, default_language="pl")
    assert await storage.users.set_language(ALICE, "en") is True
    await storage.users.upsert(ALICE, default_language="pl")
    user = await storage.users.get(ALICE)
    assert user is not None
    assert user.language == "en"


async def test_set_language_on_unknown_user_returns_false(storage: Storage) -> None:
    assert await storage.users.set_language(ALICE, "en") is False
    assert await storage.users.get(ALICE) is None


async def test_mark_blocked_and_unblocked(storage: Storage, clock: FakeClock) -> None:
    await storage.users.upsert(ALICE, chat_id="501")
    blocked_at = clock.advance(10)
    assert await storage.users.mark_blocked(ALICE) is True
    user = await storage.users.get(ALICE)
    assert user is not None
    assert (user.blocked, user.blocked_at, user.updated_at) == (True, blocked_at, blocked_at)
    assert user.blocked_at is not None and user.blocked_at.tzinfo is UTC

    user = await storage.users.upsert(ALICE, display_name="still blocked")
    assert user.blocked is True

    assert await storage.users.mark_unblocked(ALICE) is True
    user = await storage.users.get(ALICE)
    assert user is not None
    assert user.blocked is False


async def test_block_flags_on_unknown_user_return_false(storage: Storage) -> None:
    assert await storage.users.mark_blocked(ALICE) is False
    assert await storage.users.mark_unblocked(ALICE) is False
    assert await storage.users.get(ALICE) is None


async def test_users_are_distinct_per_platform(storage: Storage) -> None:
    await storage.users.upsert(ALICE, display_name="telegram one")
    await storage.users.upsert(UserRef("slack", ALICE.user_id), display_name="slack one")
    await storage.users.mark_blocked(ALICE)
    slack_user = await storage.users.get(UserRef("slack", ALICE.user_id))
    assert slack_user is not None
    assert (slack_user.display_name, slack_user.blocked) == ("slack one", False)
