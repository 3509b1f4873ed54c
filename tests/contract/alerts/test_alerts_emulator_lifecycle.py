"""Alerts against the emulator and its clock: a number's whole life, day by day, each alert once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from bot.sandbox.state import REJECTION_REASON
from bot.storage import IntentKind, UserRef
from tests.contract.alerts.alert_world import CHANNEL, World, summary

PDF = b"%PDF-1.4\n% test document\n"


async def test_expiry_renewal_parking_and_balance_arrive_once_each(world: World) -> None:
    await world.customer("1001")
    scheduler = world.scheduler()
    first = await world.tick(scheduler)  # 31 Jan 00:30 account time: before the digest hour
    assert (first.first_scan, first.claimed, first.api_calls) == (True, 0, 3)
    a = await world.order("1001", 3301, autorenew=False)  # New York, 5 USD a month
    b = await world.order("1001", 3302, autorenew=True)  # Los Angeles, 4 USD a month
    world.sandbox.clock.advance(timedelta(hours=22, minutes=30))  # scans now run at 23:00 account time
    calls: list[int] = []
    while True:
        if world.today() == "2026-02-20":
            await world.restart()  # a new process over the same SQLite file
            scheduler = world.scheduler("replica-a-after-restart")
        if world.today() == "2026-03-02":
            world.sandbox.set_balance("2.00")
        before = world.sandbox.stats()["total"]
        report = await world.tick(scheduler)
        calls.append(world.sandbox.stats()["total"] - before)
        assert report.api_calls == 3 and report.snapshot_saved
        if world.today() == "2026-03-29":
            break
        await world.next_day()

    assert set(calls) == {3}  # one direct_numbers call per scan, however many numbers
    expected = [
        ("2026-02-14", "expiry_warning", a),
        ("2026-02-21", "expiry_warning", a),
        ("2026-02-25", "expiry_warning", a),
        ("2026-02-27", "expiry_warning", a),
        ("2026-02-28", "parked", a),
        ("2026-02-28", "renewed", b),
        ("2026-03-14", "renewal_at_risk", b),
        ("2026-03-28", "parked", b),
    ]
    assert sorted(summary(world.telegram)) == sorted((d, "1001", k, n) for d, k, n in expected)
    team = [*expected, ("2026-03-14", "balance_low", None)]
    assert sorted(summary(world.slack), key=str) == sorted(((d, CHANNEL, k, n) for d, k, n in team), key=str)

    by_key = {r.alert.key: r.alert for r in world.telegram.received}
    for lead in (14, 7, 3, 1):
        warning = by_key[f"expiry:{a}:2026-02-28:{lead}"]  # 31 Jan + 1 month = 28 Feb
        assert warning.params["stop_date"] == "2026-02-28T00:30:00+03:00"
        assert warning.params["lead_days"] == str(lead)
        assert warning.actions == ("prolong", "autorenew_on")
        assert warning.language == "pl"
    parked_a = by_key[f"parked:{a}:2026-02-28"]
    assert (parked_a.params["cause"], parked_a.params["parked_until"]) == (
        "not_renewed",
        "2026-03-07T00:30:00+03:00",
    )
    assert by_key[f"renewed:{b}:2026-03-28"].params["stop_date"] == "2026-03-28T00:30:00+03:00"
    assert by_key[f"renewal_at_risk:{b}:2026-03-28"].params["balance"] == "2.00"
    assert by_key[f"parked:{b}:2026-03-28"].params["cause"] == "renewal_failed"

    digests = [r.alert.key for r in world.slack.received if r.alert.kind == "digest"]
    assert len(digests) == len(set(digests)) == 58  # 31 Jan .. 29 Mar, one per account day
    assert digests[0] == "digest:2026-01-31"
    keys = world.slack.keys() + world.telegram.keys()
    assert max(Counter((r.to, r.alert.key) for r in world.slack.received).values()) == 1
    assert max(Counter((r.to, r.alert.key) for r in world.telegram.received).values()) == 1
    assert len(keys) == len(world.slack.received) + len(world.telegram.received)

    again = await world.tick(scheduler)  # the same day once more: nothing new
    assert (again.claimed, again.drafts) == (0, 0)


async def test_documents_needed_rejected_and_activated(world: World) -> None:
    await world.customer("1003", language="en")
    group = await world.client.create_document_group(
        {
            "email": "anna@example.com",
            "salutation": "MS",
            "first_name": "Anna",
            "last_name": "Nowak",
            "country": "PL",
            "city": "Warszawa",
            "address": "ul. Prosta 1",
            "zip_code": "00-001",
            "street": "Prosta",
            "building_number": "1",
            "phone": "48221234567",
            "id_number": "ABC123456",
        }
    )
    scheduler = world.scheduler()
    await world.tick(scheduler)
    number = await world.order("1003", 3005, autorenew=True, group_id=group.id)  # needs a passport

    needed = await world.tick(scheduler)
    assert (needed.api_calls, needed.by_kind) == (4, {"documents_needed": 1})  # + one checking-wrongs

    await world.client.upload_document(group.id, "passport", "reject-passport.pdf", PDF, "application/pdf")
    waiting = await world.tick(scheduler)  # now "checking": nothing to say
    assert (waiting.api_calls, waiting.claimed) == (3, 0)

    await world.next_day()  # the emulator's verification delay: the scan is refused
    rejected = await world.tick(scheduler)
    assert (rejected.api_calls, rejected.by_kind) == (4, {"documents_rejected": 1})

    await world.client.upload_document(group.id, "passport", "passport.pdf", PDF, "application/pdf")
    await world.tick(scheduler)
    await world.next_day()
    activated = await world.tick(scheduler)
    assert (activated.api_calls, activated.by_kind) == (3, {"activated": 1})

    assert [(r.to, r.alert.kind.value) for r in world.telegram.received] == [
        ("1003", "documents_needed"),
        ("1003", "documents_rejected"),
        ("1003", "activated"),
    ]
    assert [r.alert.kind.value for r in world.slack.received] == [
        "documents_needed",
        "documents_rejected",
        "activated",
    ]
    rejection = world.telegram.received[1].alert
    assert rejection.params["reason"] == REJECTION_REASON
    assert rejection.actions == ("upload_documents",)
    assert rejection.number == number
    assert rejection.language == "en"


async def test_group_of_a_number_ordered_outside_the_bot_is_the_owners_only_group(world: World) -> None:
    owner = UserRef("telegram", "1004")
    await world.customer("1004")
    group = await world.client.create_document_group(
        {
            "email": "jan@example.com",
            "salutation": "MR",
            "first_name": "Jan",
            "last_name": "Kowalski",
            "country": "PL",
            "city": "Warszawa",
            "address": "ul. Prosta 2",
            "zip_code": "00-001",
            "street": "Prosta",
            "building_number": "2",
            "phone": "48221234568",
            "id_number": "XYZ654321",
        }
    )
    await world.storage.ownership.assign_group(group.id, owner)
    await world.client.upload_document(group.id, "passport", "reject-scan.pdf", PDF, "application/pdf")
    scheduler = world.scheduler(team_channel=None)
    await world.tick(scheduler)
    result = await world.client.order_number(direction_id=3005, documents_group_id=group.id)
    await world.storage.ownership.assign_number(result.number, owner, assigned_by="slack:U0OPS")
    await world.tick(scheduler)  # "checking": the passport waits for verification
    await world.next_day()
    await world.tick(scheduler)
    assert [(r.to, r.alert.kind.value, r.alert.params.get("reason")) for r in world.telegram.received] == [
        ("1004", "documents_rejected", REJECTION_REASON)
    ]
    assert world.slack.received == []  # no channel configured


async def test_unknown_or_unreadable_group_gives_documents_needed(world: World) -> None:
    owner = UserRef("telegram", "1005")
    await world.customer("1005")
    scheduler = world.scheduler(team_channel=None)
    await world.tick(scheduler)
    # ordered outside the bot; the owner has two groups, so which one is unknown: no lookup
    first = await world.client.order_number(direction_id=3005, documents_group_id=0)
    await world.storage.ownership.assign_number(first.number, owner, assigned_by="slack:U0OPS")
    await world.storage.ownership.assign_group(7, owner)
    await world.storage.ownership.assign_group(8, owner)
    report = await world.tick(scheduler)
    assert (report.api_calls, report.by_kind) == (3, {"documents_needed": 1})
    # an order intent naming a group Zadarma does not know: checking-wrongs refuses, still "needed"
    second = await world.client.order_number(direction_id=3005, documents_group_id=0)
    await world.storage.ownership.assign_number(second.number, owner, assigned_by="order")
    params: dict[str, str | int] = {"number": second.number, "documents_group_id": 999, "direction_id": 3005}
    await world.storage.intents.create("order-999", IntentKind.ORDER, owner, params)
    await world.storage.intents.mark_sending("order-999")
    await world.storage.intents.mark_succeeded("order-999", {"number": second.number})
    report = await world.tick(scheduler)
    assert (report.api_calls, report.by_kind) == (4, {"documents_needed": 1})
    assert [(r.alert.kind.value, r.alert.number) for r in world.telegram.received] == [
        ("documents_needed", first.number),
        ("documents_needed", second.number),
    ]
