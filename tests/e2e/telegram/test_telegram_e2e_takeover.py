"""Replicas sharing the store: a live replica takes over the kept updates a dead one left
unfinished (received more than ``orphan_after`` seconds ago), and one whose finish the
store failed to record, but never an update it is handling or queueing itself, however
old, nor however many of its tasks hold it."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.coord.in_hand import InHand, update_key
from bot.metrics import Metrics
from bot.storage import Storage, utc_now
from tests.e2e.telegram.telegram_helpers import PDF, TelegramHarness
from tests.fakes.telegram_api import FakeUser

ORPHAN_AFTER = 1.0
DEAD_REPLICAS_UPDATE = 9_000_001


async def outcomes(metrics: Metrics) -> dict[str, float]:
    """Telegram updates counted in /metrics, by outcome (outcomes never seen are absent)."""
    text = (await metrics.render()).decode()
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "zadarma_bot_updates_total" and sample.labels.get("platform") == "telegram"
    }


def fail_finishing_once(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The store fails the next ``finish`` (the connection dropped); returns the keys it failed."""
    real = storage.inbox.finish
    failed: list[str] = []

    async def finish(key: str) -> None:
        if not failed:
            failed.append(key)
            raise ConnectionError("the store went away")
        await real(key)

    monkeypatch.setattr(storage.inbox, "finish", finish)
    return failed


def taken_over(caplog: pytest.LogCaptureFixture) -> list[int]:
    """The update ids this replica took over, in order."""
    lines = [
        r for r in caplog.records if r.getMessage() == "taking over updates another replica left unfinished"
    ]
    return [update_id for r in lines for update_id in r.update_ids]  # type: ignore[attr-defined]


def attempts(caplog: pytest.LogCaptureFixture, update_id: int) -> list[tuple[str, int]]:
    """(outcome, attempt) of each time the gate handled ``update_id``."""
    lines = [r for r in caplog.records if r.getMessage() == "telegram update"]
    return [(r.outcome, r.attempt) for r in lines if r.update_id == update_id]  # type: ignore[attr-defined]


def prefix(h: TelegramHarness) -> str:
    return f"telegram:{h.part.bot.id}:update:"


def start_command(update_id: int, user: FakeUser) -> str:
    """A ``/start`` update of ``user`` as another replica would have kept it."""
    message = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": user.chat_json(),
        "from": user.to_json(),
        "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }
    return json.dumps({"update_id": update_id, "message": message})


async def test_a_replica_takes_over_a_dead_ones_update_but_never_one_it_is_still_handling(
    harness: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    h, fake = harness, harness.fake
    h.metrics = Metrics()
    h.orphan_after = ORPHAN_AFTER
    await h.start()
    ann, bob = fake.user(), fake.user(first_name="Bob")

    # Ann's scan hangs in its download; her /start waits behind it (one update at a time per user).
    fake.hold_downloads()
    scan = fake.send_document(ann, PDF, "scan.pdf", "application/pdf")
    hello = fake.send_text(ann, "/start")
    await fake.delivered(scan, hello)
    await fake.wait_for(lambda: len(fake.downloads) == 1, what="the download to start")
    await asyncio.sleep(ORPHAN_AFTER + 0.2)  # both are now older than orphan_after, and unfinished
    assert h.part.health()["updates_in_flight"] == 2

    # What a replica that died had kept: received long ago, never finished.
    key = f"{prefix(h)}{DEAD_REPLICAS_UPDATE}"
    assert await h.storage.inbox.receive(
        key, start_command(DEAD_REPLICAS_UPDATE, bob), utc_now() - timedelta(seconds=5)
    )
    await fake.wait_for(
        lambda: bool(fake.bot_messages(bob.chat_id)), within=4 * ORPHAN_AFTER, what="the takeover"
    )
    assert "Welcome" in fake.bot_messages(bob.chat_id)[0].text
    await asyncio.sleep(ORPHAN_AFTER + 0.2)  # another scan, with Ann's updates still in progress

    fake.release_downloads()
    await h.part.drain()

    taken = [
        r for r in caplog.records if r.getMessage() == "taking over updates another replica left unfinished"
    ]
    assert [r.update_ids for r in taken] == [[DEAD_REPLICAS_UPDATE]]  # type: ignore[attr-defined]
    assert len(fake.downloads) == 1
    assert fake.bot_messages(ann.chat_id), "Ann's updates are answered"
    # Each of the three handled once; nothing handled twice, or dropped as a duplicate of itself.
    assert await outcomes(h.metrics) == {"handled": 3}
    assert await h.storage.inbox.unfinished(prefix(h)) == []


async def test_the_updates_a_replica_handles_or_queues_are_in_its_list_of_work_in_hand(
    harness: TelegramHarness,
) -> None:
    h, fake = harness, harness.fake
    h.in_hand = InHand()
    await h.start()
    ann = fake.user()
    fake.hold_downloads()
    scan = fake.send_document(ann, PDF, "scan.pdf", "application/pdf")
    hello = fake.send_text(ann, "/start")  # queued behind the scan
    await fake.delivered(scan, hello)
    await fake.wait_for(lambda: len(fake.downloads) == 1, what="the download to start")
    assert h.in_hand.keys() == {update_key(f"{prefix(h)}{u.update_id}") for u in (scan, hello)}
    fake.release_downloads()
    await h.part.drain()
    assert h.in_hand.keys() == frozenset()


async def test_an_update_redelivered_while_handled_is_never_taken_over_while_either_task_holds_it(
    harness: TelegramHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    h, fake = harness, harness.fake
    h.metrics = Metrics()
    h.orphan_after = ORPHAN_AFTER
    await h.start()
    ann = fake.user()
    fake.hold_downloads()
    scan = fake.send_document(ann, PDF, "scan.pdf", "application/pdf")
    await fake.delivered(scan)
    await fake.wait_for(lambda: len(fake.downloads) == 1, what="the download to start")
    again = fake.redeliver(scan)  # Telegram sends it once more; it queues behind the first
    await fake.delivered(again)
    failed = fail_finishing_once(h.storage, monkeypatch)
    await asyncio.sleep(ORPHAN_AFTER + 0.2)  # older than orphan_after, and unfinished
    assert h.part.health()["updates_in_flight"] == 2

    # The first task ends without its finish recorded; the second begins it again and hangs.
    fake.release_downloads()
    fake.hold_downloads()  # the pending download goes through, the next one waits
    await fake.wait_for(lambda: len(fake.downloads) == 2, what="the second attempt's download")
    assert failed == [f"{prefix(h)}{scan.update_id}"]
    assert h.part.health()["updates_in_flight"] == 1
    await asyncio.sleep(ORPHAN_AFTER + 0.2)  # a takeover scan while the second task holds it

    fake.release_downloads()
    await h.part.drain()
    assert taken_over(caplog) == []
    assert attempts(caplog, scan.update_id) == [("handled", 1), ("handled", 2)]
    assert await outcomes(h.metrics) == {"handled": 2}
    assert len(fake.downloads) == 2
    assert await h.storage.inbox.unfinished(prefix(h)) == []


async def test_an_update_whose_finish_the_store_lost_is_taken_over_by_the_same_replica(
    harness: TelegramHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    h, fake = harness, harness.fake
    h.metrics = Metrics()
    h.orphan_after = ORPHAN_AFTER
    await h.start()
    ann = fake.user()
    failed = fail_finishing_once(h.storage, monkeypatch)
    hello = fake.send_text(ann, "/start")
    await h.settle(hello)
    assert failed == [f"{prefix(h)}{hello.update_id}"]
    assert [e.key for e in await h.storage.inbox.unfinished(prefix(h))] == failed

    # Nobody handles it any more: once it is older than orphan_after, it is handled again.
    async with asyncio.timeout(4 * ORPHAN_AFTER):
        while await h.storage.inbox.unfinished(prefix(h)):
            await asyncio.sleep(0.05)
    await h.part.drain()
    assert taken_over(caplog) == [hello.update_id]
    assert attempts(caplog, hello.update_id) == [("handled", 1), ("handled", 2)]
    assert await outcomes(h.metrics) == {"handled": 2}
