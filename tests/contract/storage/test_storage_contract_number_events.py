"""Contract: received SMS and each number's chat switches (runs against every storage implementation)."""

from __future__ import annotations

from datetime import timedelta

from bot.storage import NumberPrefs, ReceivedSms, Storage
from tests.contract.storage.conftest import StorageFactory
from tests.fakes.clock import FakeClock


async def test_switches_default_to_sms_on_and_calls_off_and_change_one_at_a_time(
    storage: Storage, storage_factory: StorageFactory, clock: FakeClock
) -> None:
    events = storage.number_events
    assert await events.prefs("+48221234567") == NumberPrefs("48221234567", True, False)
    assert await events.set_prefs("48221234567", calls_to_chat=True) == NumberPrefs("48221234567", True, True)
    assert await events.set_prefs("+48221234567", sms_to_chat=False) == NumberPrefs(
        "48221234567", False, True
    )
    assert await events.set_prefs("48221234567") == NumberPrefs("48221234567", False, True)
    assert await events.prefs("48229999999") == NumberPrefs("48229999999", True, False)
    reopened = await storage_factory(clock)
    if reopened is not storage and type(reopened).__name__ != "MemoryStorage":
        assert await reopened.number_events.prefs("48221234567") == NumberPrefs("48221234567", False, True)


async def test_sms_are_kept_once_listed_newest_first_and_purged_by_age(
    storage: Storage, clock: FakeClock
) -> None:
    events = storage.number_events
    t0 = clock.now
    first = ReceivedSms("sms:a", "+48221234567", "+48600100200", "Kod: 1234", t0)
    assert await events.add_sms(first) is True
    assert await events.add_sms(first) is False  # a retry keeps one copy
    await events.add_sms(
        ReceivedSms("sms:b", "48221234567", "48600100201", "Drugi ✓", t0 + timedelta(hours=1))
    )
    await events.add_sms(ReceivedSms("sms:c", "48229999999", "1", "other number", t0 + timedelta(hours=2)))
    listed = await events.recent_sms("+48221234567", 10)
    assert [s.key for s in listed] == ["sms:b", "sms:a"]
    assert listed[1].number == "48221234567" and listed[1].sender == "48600100200"
    assert listed[1].text == "Kod: 1234" and listed[1].received_at == t0
    assert listed[0].received_at.tzinfo is not None
    assert [s.key for s in await events.recent_sms("48221234567", 1)] == ["sms:b"]
    assert await events.purge_sms(t0 + timedelta(minutes=30)) == 1
    assert [s.key for s in await events.recent_sms("48221234567", 10)] == ["sms:b"]
    assert await events.purge_sms(t0 + timedelta(minutes=30)) == 0
