"""The update inbox: what a crash left unfinished comes back once, a poison update is given up."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from aiogram import Bot
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import Update

from adapters.telegram.inbox import MAX_ATTEMPTS, UpdateInbox
from adapters.telegram.received import ReceivedUpdates
from bot.coord.in_hand import WorkView, update_key
from bot.services.ports import PlatformRecords
from bot.storage import InboxEntry, MemoryStorage, Storage, open_storage, utc_now

TOKEN = "123456789:AAH-test-token-for-unit-tests-only_x"


def text_update(update_id: int, text: str = "hello") -> str:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_700_000_000,
                "chat": {"id": 7, "type": "private"},
                "from": {"id": 7, "is_bot": False, "first_name": "Ann"},
                "text": text,
            },
        }
    )


@pytest.fixture
def bot() -> Bot:
    return Bot(TOKEN)


async def test_unfinished_updates_come_back_in_order_and_finished_ones_do_not(bot: Bot) -> None:
    storage = MemoryStorage()
    inbox = UpdateInbox(storage, bot.id)
    for update_id in (11, 12, 13):
        await storage.inbox.receive(inbox.key(update_id), text_update(update_id), utc_now())
    assert await inbox.begin(12) == 1
    await inbox.finish(12)
    assert await inbox.begin(13) == 1  # begun, then the process died
    again = await inbox.left_over(bot)
    assert [u.update_id for u in again] == [11, 13]
    assert again[0].message is not None and again[0].message.text == "hello"
    assert await inbox.begin(12) is None  # a re-delivery of a finished update is a duplicate


async def test_a_takeover_hands_back_only_updates_received_strictly_before_its_cutoff(bot: Bot) -> None:
    storage = MemoryStorage()
    inbox = UpdateInbox(storage, bot.id)
    cutoff = utc_now()
    await storage.inbox.receive(inbox.key(21), text_update(21), cutoff - timedelta(seconds=30))
    await storage.inbox.receive(inbox.key(22), text_update(22), cutoff)  # exactly at the cutoff
    await storage.inbox.receive(inbox.key(23), text_update(23), cutoff + timedelta(microseconds=1))
    assert [u.update_id for u in await inbox.left_over(bot, received_before=cutoff)] == [21]
    later = cutoff + timedelta(microseconds=2)
    # 21 was taken over just now: received now, as far as another look by age can tell
    assert [u.update_id for u in await inbox.left_over(bot, received_before=later)] == [22, 23]
    assert [u.update_id for u in await inbox.left_over(bot)] == [21, 22, 23]  # a restart takes them all


async def test_with_the_replicas_view_a_young_update_nobody_holds_is_handed_back_after_one_still_held(
    bot: Bot,
) -> None:
    storage = MemoryStorage()
    inbox = UpdateInbox(storage, bot.id)
    now = utc_now()
    cutoff = now - timedelta(seconds=120)  # ORPHAN_AFTER ago: all three are younger
    for update_id, ago in ((31, 30), (32, 20), (33, 1)):
        received = now - timedelta(seconds=ago)
        await storage.inbox.receive(inbox.key(update_id), text_update(update_id), received)
    # A live replica holds 31; every live replica listed its work 10 s ago.
    view = WorkView(frozenset({update_key(inbox.key(31))}), now - timedelta(seconds=10))
    again = await inbox.left_over(bot, received_before=cutoff, view=view)
    # 32 was left by a replica that is gone; 33 is younger than the lists (maybe a live one's, unlisted).
    assert [u.update_id for u in again] == [32]
    assert [u.update_id for u in await inbox.left_over(bot, received_before=cutoff)] == []


class ReadsTogether:
    """A replica's store whose reads of unfinished updates return only once every replica has read."""

    def __init__(self, storage: Storage, barrier: asyncio.Barrier) -> None:
        self._storage = storage
        self._barrier = barrier
        self.users = storage.users
        self.dedup = storage.dedup
        self.snapshots = storage.snapshots

    @property
    def inbox(self) -> ReadsTogether:
        return self

    async def unfinished(self, prefix: str) -> list[InboxEntry]:
        entries = await self._storage.inbox.unfinished(prefix)
        await self._barrier.wait()
        return entries

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage.inbox, name)


async def test_of_two_replicas_taking_over_at_once_one_hands_the_update_back(
    bot: Bot, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    async with await open_storage(url) as first, await open_storage(url) as second:
        barrier = asyncio.Barrier(2)
        stores = [cast(PlatformRecords, ReadsTogether(s, barrier)) for s in (first, second)]
        replicas = [UpdateInbox(store, bot.id) for store in stores]
        now = utc_now()
        await first.inbox.receive(replicas[0].key(41), text_update(41), now - timedelta(seconds=30))
        # Nobody holds it and both replicas listed their work since: both see it left, and look at once.
        view = WorkView(frozenset(), now)
        cutoff = now - timedelta(seconds=120)

        taken = await asyncio.gather(*(r.left_over(bot, received_before=cutoff, view=view) for r in replicas))

        assert sorted(len(updates) for updates in taken) == [0, 1]
        [entry] = await second.inbox.unfinished("")
        assert entry.received_at >= now  # received now, as far as the next looks can tell
        again = await asyncio.gather(*(r.left_over(bot, received_before=cutoff, view=view) for r in replicas))
        assert again == [[], []]


async def test_an_update_that_keeps_killing_the_process_is_given_up(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    storage = MemoryStorage()
    inbox = UpdateInbox(storage, bot.id)
    await storage.inbox.receive(inbox.key(5), text_update(5), utc_now())
    for attempt in range(1, MAX_ATTEMPTS):
        assert await inbox.begin(5) == attempt
        assert [u.update_id for u in await inbox.left_over(bot)] == [5]
    assert await inbox.begin(5) == MAX_ATTEMPTS
    assert await inbox.left_over(bot) == []
    assert "given up" in caplog.text
    assert await storage.inbox.unfinished("") == []


async def test_an_unreadable_or_unkept_update_is_given_up_not_replayed(bot: Bot) -> None:
    storage = MemoryStorage()
    inbox = UpdateInbox(storage, bot.id)
    await storage.inbox.receive(inbox.key(1), '{"update_id": "not a number"}', utc_now())
    assert await inbox.begin(2) == 1  # fed without being kept: nothing to replay from
    assert await inbox.left_over(bot) == []
    assert await storage.inbox.unfinished("") == []


async def test_another_bots_updates_are_not_ours(bot: Bot) -> None:
    storage = MemoryStorage()
    await UpdateInbox(storage, 42).keep([])
    await storage.inbox.receive(UpdateInbox(storage, 42).key(1), text_update(1), utc_now())
    assert await UpdateInbox(storage, bot.id).left_over(bot) == []


async def test_a_given_up_update_does_not_stop_the_later_ones_coming_back(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    storage = MemoryStorage()
    inbox = UpdateInbox(storage, bot.id)
    await storage.inbox.receive(inbox.key(1), text_update(1), utc_now())
    for _ in range(MAX_ATTEMPTS):
        await inbox.begin(1)
    await inbox.begin(2)  # begun without a kept copy
    await storage.inbox.receive(inbox.key(3), text_update(3, "later"), utc_now())

    again = await inbox.left_over(bot)

    assert [u.update_id for u in again] == [3]
    given_up = [r for r in caplog.records if r.getMessage() == "an unfinished update is given up"]
    assert [(r.update_id, r.reason) for r in given_up] == [  # type: ignore[attr-defined]
        ("1", f"begun {MAX_ATTEMPTS} times"),
        ("2", "not kept"),
    ]


async def test_a_failing_store_neither_loses_nor_drops_updates(bot: Bot, tmp_path: Path) -> None:
    storage = await open_storage(f"sqlite:///{tmp_path / 'bot.db'}")
    inbox = UpdateInbox(storage, bot.id)
    update = Update.model_validate_json(text_update(8))
    assert await inbox.keep([update]) is True
    [entry] = await storage.inbox.unfinished("")
    assert entry.key == inbox.key(8) and entry.payload is not None
    assert Update.model_validate_json(entry.payload) == update
    await storage.close()  # from here every call to the store fails

    assert await inbox.keep([update]) is False  # handled without a copy
    assert await inbox.begin(9) == 1  # handled, as a first attempt
    await inbox.finish(9)  # logged, not raised


async def test_a_poll_of_several_updates_is_kept_with_one_store_call_and_replayed_in_order(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = MemoryStorage()
    inbox = UpdateInbox(storage, bot.id)
    polled = [Update.model_validate_json(text_update(i, f"text {i}")) for i in (9, 10, 11)]
    batches: list[list[tuple[str, str]]] = []
    receive_many = storage.inbox.receive_many

    async def counted(entries: Sequence[tuple[str, str]], now: datetime) -> int:
        batches.append(list(entries))
        return await receive_many(entries, now)

    async def one_by_one(key: str, payload: str, now: datetime) -> bool:
        raise AssertionError("a poll is kept in one call, not update by update")

    monkeypatch.setattr(storage.inbox, "receive_many", counted)
    monkeypatch.setattr(storage.inbox, "receive", one_by_one)

    async def get_updates(bot: Bot, method: TelegramMethod[list[Update]]) -> list[Update]:
        return polled

    # aiogram's sessions hand the middleware the result itself, not a Response
    answered: object = await inbox(get_updates, bot, GetUpdates(offset=9))  # type: ignore[arg-type]
    assert answered == polled

    assert [[key for key, _ in batch] for batch in batches] == [[inbox.key(i) for i in (9, 10, 11)]]
    # kept at one time, they come back by update id (not as text, where 10 sorts before 9)
    again = await inbox.left_over(bot)
    assert [u.update_id for u in again] == [9, 10, 11]
    assert [u.message.text for u in again if u.message is not None] == ["text 9", "text 10", "text 11"]


async def test_updates_come_back_in_the_order_they_arrived_even_when_ids_restart_lower(bot: Bot) -> None:
    # Telegram picks the next update id at random after a quiet week: a later poll can carry a
    # smaller id, and the store lists same-time keys as text, so neither alone gives the order.
    storage = MemoryStorage()
    inbox = UpdateInbox(storage, bot.id)
    first = utc_now() - timedelta(minutes=5)
    await storage.inbox.receive_many([(inbox.key(900), text_update(900))], first)
    await storage.inbox.receive_many(
        [(inbox.key(9), text_update(9)), (inbox.key(10), text_update(10))], first + timedelta(seconds=1)
    )
    assert [u.update_id for u in await inbox.left_over(bot)] == [900, 9, 10]


async def test_a_poll_is_kept_as_received_and_an_update_without_its_text_from_its_model(bot: Bot) -> None:
    storage = MemoryStorage()
    inbox = UpdateInbox(storage, bot.id)
    as_received = {12: text_update(12, "as sent").replace(", ", ",  ")}  # exactly these characters
    polled = ReceivedUpdates(
        [Update.model_validate_json(text_update(i, f"text {i}")) for i in (12, 13)], as_received
    )

    async def get_updates(bot: Bot, method: TelegramMethod[list[Update]]) -> list[Update]:
        return polled

    answered: object = await inbox(get_updates, bot, GetUpdates(offset=12))  # type: ignore[arg-type]
    assert answered is polled
    kept = {entry.key: entry.payload for entry in await storage.inbox.unfinished("")}
    assert kept[inbox.key(12)] == as_received[12]
    thirteenth = kept[inbox.key(13)]
    assert thirteenth is not None and Update.model_validate_json(thirteenth) == polled[1]
    again = await inbox.left_over(bot)
    assert [u.message.text for u in again if u.message is not None] == ["as sent", "text 13"]
