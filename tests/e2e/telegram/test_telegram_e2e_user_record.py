"""The sender's user record is written only when an update brings something new.

The real stack over a real SQLite file; the statements the bot runs are
traced on its connection, so "no write" means no statement touched ``users``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from adapters.telegram import texts
from bot.storage import RememberedUsers, SqliteStorage, User, UserRef
from tests.e2e.telegram.telegram_helpers import TelegramHarness
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_api import FakeUser


class Statements:
    """The SQL statements the bot's connection ran since the last :meth:`clear`."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, statement: str) -> None:
        self.sql.append(statement)

    def clear(self) -> None:
        self.sql.clear()

    def user_writes(self) -> list[str]:
        return [s for s in self.sql if "INTO users" in s or s.lstrip().startswith("UPDATE users")]


@pytest.fixture
async def traced(polling: TelegramHarness) -> Statements:
    storage = polling.storage
    assert isinstance(storage, SqliteStorage)
    statements = Statements()
    await storage._db._conn.set_trace_callback(statements)  # the statements on the wire
    return statements


def remembered(h: TelegramHarness) -> RememberedUsers:
    users = h.storage.users
    assert isinstance(users, RememberedUsers), "the composition root wraps the store's users"
    return users


async def stored(h: TelegramHarness, user: FakeUser) -> User:
    record = await remembered(h).inner.get(UserRef("telegram", str(user.id)))
    assert record is not None
    return record


async def written_by(h: TelegramHarness, traced: Statements, act: Callable[[], Any]) -> int:
    traced.clear()
    await h.settle(act())
    return len(traced.user_writes())


async def test_a_second_update_bringing_the_same_writes_no_user_row(
    polling: TelegramHarness, traced: Statements
) -> None:
    h = polling
    ann = h.fake.user(first_name="Ann", language_code="pl")
    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/start")) == 1
    first = await stored(h, ann)
    assert (first.chat_id, first.display_name, first.language) == (str(ann.id), "Ann", "pl")

    for text in ("/help", "/numbers", "hello"):
        assert await written_by(h, traced, lambda t=text: h.fake.send_text(ann, t)) == 0  # type: ignore[misc]
    label = h.fake.menu(ann.chat_id).buttons[0][0].text
    assert await written_by(h, traced, lambda: h.fake.press(ann, label)) == 0
    assert (await stored(h, ann)).updated_at == first.updated_at


async def test_the_handler_gets_the_remembered_user_in_their_language(
    polling: TelegramHarness, traced: Statements
) -> None:
    h = polling
    ann = h.fake.user(language_code="pl")
    await h.say(ann, "/start")
    traced.clear()
    [hint] = await h.say(ann, "/nosuchcommand")
    assert traced.user_writes() == []
    assert hint.text == texts.message(
        "pl", "unknown_command", name="nosuchcommand", commands=texts.command_list()
    )


async def test_a_new_name_language_or_private_chat_is_written(
    polling: TelegramHarness, traced: Statements
) -> None:
    h = polling
    ann = h.fake.user(first_name="Ann", language_code=None)
    group = {"id": -100_200_300, "type": "supergroup", "title": "Team"}
    assert await written_by(h, traced, lambda: h.fake.send_message(ann, chat=group, text="hi all")) == 1
    assert (await stored(h, ann)).chat_id is None  # a group is not the private chat

    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/help")) == 1
    assert (await stored(h, ann)).chat_id == str(ann.id)

    renamed = dataclasses.replace(ann, first_name="Anna", last_name="Nowak")
    assert await written_by(h, traced, lambda: h.fake.send_text(renamed, "/help")) == 1
    assert (await stored(h, ann)).display_name == "Anna Nowak"

    polish = dataclasses.replace(renamed, language_code="pl")
    assert await written_by(h, traced, lambda: h.fake.send_text(polish, "/help")) == 1
    assert (await stored(h, ann)).language == "pl"
    assert await written_by(h, traced, lambda: h.fake.send_text(polish, "/help")) == 0


async def test_a_language_chosen_in_the_chat_reaches_the_next_update(
    polling: TelegramHarness, traced: Statements
) -> None:
    h = polling
    ann = h.fake.user(language_code="en")
    await h.say(ann, "/start")
    await h.say(ann, "/language pl")
    assert (await stored(h, ann)).language == "pl"
    traced.clear()
    [hint] = await h.say(ann, "/nosuchcommand")
    assert len(traced.user_writes()) == 1  # the choice made the bot forget what it had remembered
    assert hint.text == texts.message(
        "pl", "unknown_command", name="nosuchcommand", commands=texts.command_list()
    )


async def test_a_user_who_blocked_the_bot_and_writes_again_is_unblocked(
    polling: TelegramHarness, traced: Statements
) -> None:
    h = polling
    ann = h.fake.user()
    await h.say(ann, "/start")
    await h.settle(h.fake.block_bot(ann))
    assert (await stored(h, ann)).blocked
    h.fake.unblock(ann)  # she just writes (no my_chat_member update seen): the gate unblocks her
    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/help")) == 2  # upsert, unblock
    assert not (await stored(h, ann)).blocked
    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/help")) == 1  # remembered again
    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/help")) == 0


async def test_a_user_found_unreachable_by_a_reply_is_forgotten(
    polling: TelegramHarness, traced: Statements
) -> None:
    h = polling
    ann = h.fake.user()
    await h.say(ann, "/start")
    h.fake.block(ann)  # no my_chat_member update: the bot finds out when its reply fails
    await h.say(ann, "/help")
    assert (await stored(h, ann)).blocked
    h.fake.unblock(ann)
    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/help")) == 2
    assert not (await stored(h, ann)).blocked


async def test_after_the_time_to_live_the_user_is_written_again(
    polling: TelegramHarness, traced: Statements
) -> None:
    h = polling
    clock = FakeClock()
    users = remembered(h)
    users.clock = clock.monotonic
    ann = h.fake.user()
    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/help")) == 1
    clock.advance(users.ttl_seconds - 1)
    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/help")) == 0
    clock.advance(1)
    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/help")) == 1
    # Another replica blocked her meanwhile: seen once the entry expires, and she is unblocked.
    await users.inner.mark_blocked(UserRef("telegram", str(ann.id)))
    clock.advance(users.ttl_seconds)
    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/help")) == 2
    assert not (await stored(h, ann)).blocked


async def test_the_least_recently_seen_users_are_dropped_beyond_the_bound(
    polling: TelegramHarness, traced: Statements
) -> None:
    h = polling
    users = remembered(h)
    users.capacity = 2
    ann, bob, cyd = h.fake.user(), h.fake.user(first_name="Bob"), h.fake.user(first_name="Cyd")
    for user in (ann, bob, ann, cyd):  # Ann seen again before Cyd: Bob is the oldest
        await h.say(user, "/help")
    assert len(users) == 2
    assert await written_by(h, traced, lambda: h.fake.send_text(ann, "/help")) == 0
    assert await written_by(h, traced, lambda: h.fake.send_text(cyd, "/help")) == 0
    assert await written_by(h, traced, lambda: h.fake.send_text(bob, "/help")) == 1
    assert len(users) == 2
