"""Received SMS in a real SQLite file: purged after ``SMS_RETENTION_DAYS``, and sealed when encryption is on.

Events enter as the endpoint hands them over: read from a signed form by
:func:`bot.zadarma.notifications.read_event`, then accepted by the real
:class:`NumberEventsService` (which also claims the outbox alert) on a fake clock.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.notify import sms_event
from bot.services import Services
from bot.services.actors import Actor
from bot.services.number_events import EventRouting, NumberEventsService
from bot.storage import SqliteStorage, Storage, UserRef, open_storage, utc_now
from bot.storage.sealing import StateKeys, new_key_text, parse_key
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.notifications import SmsEvent, read_event
from bot.zadarma.ratelimit import RateLimiter
from tests.fakes.clock import FakeClock

NUMBER = "48221234567"
OWNER = UserRef("telegram", "5001")  # a platform with an alert sink: the SMS gets a delivery
SECRET = "events-secret-for-the-storage-test"
CODE = "Kod weryfikacyjny: 739184 (Bank Śląski)"


def on_disk(db: Path) -> bytes:
    """Every byte of the database and its journal files."""
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


def signed_sms(text: str, sender: str = "48600100200") -> SmsEvent:
    form, signature = sms_event(NUMBER, sender, text, SECRET)
    event = read_event(form, signature, SECRET)
    assert isinstance(event, SmsEvent)
    return event


@pytest.fixture
async def client() -> AsyncIterator[ZadarmaClient]:
    sandbox = Sandbox()
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        yield ZadarmaClient(
            http,
            base_url="http://sandbox.invalid",
            key=sandbox.key,
            secret=sandbox.secret,
            limiter=RateLimiter(1000),
        )


async def events_on(storage: Storage, client: ZadarmaClient, clock: FakeClock) -> NumberEventsService:
    services = Services.build(client, storage)
    await storage.ownership.assign_number(NUMBER, OWNER, "test")
    events = NumberEventsService(storage, services.numbers, retention_days=30, clock=clock)
    events.routing = EventRouting(platforms=frozenset({"telegram"}))
    return events


async def test_sms_older_than_the_retention_are_purged_and_newer_ones_stay(
    tmp_path: Path, client: ZadarmaClient
) -> None:
    clock = FakeClock()
    db = tmp_path / "bot.db"
    storage = await open_storage(f"sqlite:///{db}")
    try:
        events = await events_on(storage, client, clock)
        assert await events.accept(signed_sms("old one")) is True
        clock.advance(timedelta(days=20).total_seconds())
        assert await events.accept(signed_sms("newer one")) is True
        clock.advance(timedelta(days=10, seconds=1).total_seconds())  # the first is 30 days + 1 s old

        actor = Actor(OWNER)
        # past the retention the list no longer shows it, even before the purge has run
        assert [s.text for s in await events.messages(actor, NUMBER)] == ["newer one"]
        assert len(await storage.number_events.recent_sms(NUMBER, 10)) == 2
        assert await events.purge() == 1
        assert await events.purge() == 0
    finally:
        await storage.close()

    reopened = await open_storage(f"sqlite:///{db}")  # what the file itself holds now
    try:
        kept = await reopened.number_events.recent_sms(NUMBER, 10)
        assert [s.text for s in kept] == ["newer one"]
        events = NumberEventsService(reopened, Services.build(client, reopened).numbers, clock=clock)
        clock.advance(timedelta(days=20).total_seconds())  # now the newer one is 30 days + 1 s old too
        assert await events.purge() == 1
        assert await reopened.number_events.recent_sms(NUMBER, 10) == []
    finally:
        await reopened.close()


async def test_sms_are_sealed_on_disk_when_encryption_is_on(tmp_path: Path, client: ZadarmaClient) -> None:
    keys = StateKeys(parse_key(new_key_text()))
    clock = FakeClock()
    db = tmp_path / "sealed.db"
    storage = await open_storage(f"sqlite:///{db}", keys=keys)
    try:
        events = await events_on(storage, client, clock)
        assert await events.accept(signed_sms(CODE, sender="48600777123")) is True
        kept = await events.messages(Actor(OWNER), NUMBER)
        assert [(s.sender, s.text) for s in kept] == [("48600777123", CODE)]
        # the outbox alert still carries what delivery needs, readable through the store
        key = kept[0].key
        alert = await storage.alerts.get(key)
        assert alert is not None
        assert alert.payload["params"]["text"] == CODE and alert.payload["params"]["from"] == "48600777123"
        assert alert.number == NUMBER
        # the deliveries the outbox sends carry the alert opened as well
        due = await storage.alerts.due_deliveries(utc_now() + timedelta(minutes=1), 10)
        assert [d.alert.payload["params"]["text"] for d in due] == [CODE]
        assert [d.alert.payload["params"]["text"] for d in await storage.alerts.deliveries(key)] == [CODE]
    finally:
        await storage.close()

    raw = on_disk(db)
    for plain in (CODE, "739184", "48600777123"):
        for encoding in ("utf-8", "utf-16-le"):
            assert plain.encode(encoding) not in raw, plain
    assert json.dumps(CODE).encode() not in raw  # nor JSON-escaped inside the alert payload
    assert NUMBER.encode() in raw  # the number itself is not secret: the check can see rows at all

    reopened = await open_storage(f"sqlite:///{db}", keys=keys)
    try:
        assert [s.text for s in await reopened.number_events.recent_sms(NUMBER, 10)] == [CODE]
    finally:
        await reopened.close()

    # without encryption (the control: a store opened with no keys at all) the text is on disk in plain
    plain_db = tmp_path / "plain.db"
    storage = await SqliteStorage.open(plain_db)
    try:
        events = await events_on(storage, client, clock)
        await events.accept(signed_sms(CODE))
    finally:
        await storage.close()
    assert CODE.encode() in on_disk(plain_db)
