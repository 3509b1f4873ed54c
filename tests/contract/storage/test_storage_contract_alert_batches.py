"""Contract: claiming many alerts at once (``claim_many``) does what claiming them one by one does."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import AlertClaim, DeliveryStatus, JsonObject, Storage
from bot.storage.validation import CLAIM_CHUNK, claim_chunks
from tests.fakes.clock import FakeClock

TG = "telegram:12345"
SLACK = "slack:C0123"


def alert(key: str, *destinations: str, kind: str = "expiry", days: int = 7) -> AlertClaim:
    return AlertClaim(key, kind, "48221234567", {"days": days}, destinations or (TG, SLACK))


def keys(count: int, start: int = 0) -> list[str]:
    """Keys whose text order is their numeric order."""
    return [f"k{i:05d}" for i in range(start, start + count)]


async def waiting(storage: Storage, clock: FakeClock) -> int:
    return (await storage.alerts.delivery_backlog(clock.now)).waiting


async def test_a_batch_claims_new_keys_and_skips_those_claimed_before(
    storage: Storage, clock: FakeClock
) -> None:
    assert await storage.alerts.claim("old", "expiry", "48221234567", {"days": 7}, [TG]) is True
    clock.advance(60)
    claimed = await storage.alerts.claim_many(
        [alert("new-1"), alert("old", SLACK, kind="other", days=1), alert("new-2", SLACK)]
    )
    assert claimed == {"new-1", "new-2"}
    old = await storage.alerts.get("old")
    assert old is not None and (old.kind, old.payload) == ("expiry", {"days": 7})
    assert [d.destination for d in await storage.alerts.deliveries("old")] == [TG]
    new = await storage.alerts.get("new-1")
    assert new is not None
    assert (new.kind, new.number, new.payload, new.created_at) == (
        "expiry",
        "48221234567",
        {"days": 7},
        clock.now,
    )
    deliveries = await storage.alerts.deliveries("new-1")
    assert [d.destination for d in deliveries] == [TG, SLACK]
    for d in deliveries:
        assert (d.status, d.attempts, d.last_error) == (DeliveryStatus.PENDING, 0, None)
        assert d.next_attempt_at == d.updated_at == clock.now
    assert [d.destination for d in await storage.alerts.deliveries("new-2")] == [SLACK]
    assert await storage.alerts.claim_many([alert("new-1"), alert("new-2")]) == set()
    assert await storage.alerts.claim("new-2", "expiry", "1", {}, [TG]) is False


async def test_a_key_repeated_in_a_batch_is_claimed_once_as_first_given(storage: Storage) -> None:
    claimed = await storage.alerts.claim_many(
        [alert("a", TG, kind="first"), alert("b"), alert("a", SLACK, kind="second", days=1), alert("c")]
    )
    assert claimed == {"a", "b", "c"}
    a = await storage.alerts.get("a")
    assert a is not None and (a.kind, a.payload) == ("first", {"days": 7})
    assert [d.destination for d in await storage.alerts.deliveries("a")] == [TG]


async def test_duplicate_destinations_of_a_batched_alert_are_stored_once(storage: Storage) -> None:
    assert await storage.alerts.claim_many([alert("a", TG, SLACK, TG)]) == {"a"}
    assert [d.destination for d in await storage.alerts.deliveries("a")] == [TG, SLACK]


async def test_an_alert_without_destinations_is_claimed_with_no_deliveries(
    storage: Storage, clock: FakeClock
) -> None:
    empty = AlertClaim("quiet", "expiry", "1", {}, ())
    assert await storage.alerts.claim_many([empty, alert("loud", TG)]) == {"quiet", "loud"}
    assert await storage.alerts.get("quiet") is not None
    assert await storage.alerts.deliveries("quiet") == []
    assert await waiting(storage, clock) == 1


async def test_what_is_stored_is_a_copy_of_the_payload(storage: Storage) -> None:
    inner = [1]
    payload: JsonObject = {"days": 7, "list": inner}
    await storage.alerts.claim_many([AlertClaim("a", "expiry", "1", payload, (TG,))])
    payload["days"] = 1
    inner.append(2)
    stored = await storage.alerts.get("a")
    assert stored is not None and stored.payload == {"days": 7, "list": [1]}


def test_claims_go_in_chunks_of_at_most_the_chunk_size() -> None:
    claims = [alert(key) for key in ["a", "b", "a", "c", "d", "e", "b", "f", "g"]]
    chunks = claim_chunks(claims, size=3)
    in_chunks = [[claim.key for claim, _ in chunk] for chunk in chunks]
    assert in_chunks == [["a", "b", "c"], ["d", "e", "f"], ["g"]]
    assert chunks[0][0][1] == '{"days":7}'  # each payload as it is stored
    assert [len(chunk) for chunk in claim_chunks([alert(k) for k in keys(2 * CLAIM_CHUNK + 1)])] == [
        CLAIM_CHUNK,
        CLAIM_CHUNK,
        1,
    ]


async def test_an_empty_batch_claims_nothing(storage: Storage, clock: FakeClock) -> None:
    assert await storage.alerts.claim_many([]) == set()
    assert await storage.alerts.claim_many(iter(())) == set()
    assert await waiting(storage, clock) == 0


async def test_a_batch_of_several_chunks(storage: Storage, clock: FakeClock) -> None:
    count = 2 * CLAIM_CHUNK + 7
    before = set(keys(count)[::97])  # claimed earlier, in every chunk
    for key in before:
        assert await storage.alerts.claim(key, "expiry", "1", {}, [TG])
    claimed = await storage.alerts.claim_many(alert(key) for key in keys(count))
    assert claimed == set(keys(count)) - before
    assert await waiting(storage, clock) == len(before) + 2 * len(claimed)
    last = await storage.alerts.get(keys(count)[-1])
    assert last is not None and last.payload == {"days": 7}
    assert [d.destination for d in await storage.alerts.deliveries(keys(count)[-1])] == [TG, SLACK]


async def test_a_batch_is_due_in_its_own_order(storage: Storage, clock: FakeClock) -> None:
    await storage.alerts.claim_many([alert("z", TG), alert("a", TG), alert("m", TG, SLACK)])
    due = await storage.alerts.due_deliveries(clock.now, 10)
    assert [(d.alert_key, d.destination) for d in due] == [("z", TG), ("a", TG), ("m", TG), ("m", SLACK)]


async def test_batched_alerts_due_later(storage: Storage, clock: FakeClock) -> None:
    later = clock.now + timedelta(seconds=60)
    claims = [AlertClaim("later", "expiry", "1", {}, (TG,), due_at=later), alert("now", TG)]
    assert await storage.alerts.claim_many(claims) == {"later", "now"}
    [delivery] = await storage.alerts.deliveries("later")
    assert delivery.next_attempt_at == later
    assert [d.alert_key for d in await storage.alerts.due_deliveries(clock.now, 10)] == ["now"]
    assert [d.alert_key for d in await storage.alerts.due_deliveries(later, 10)] == ["now", "later"]


@pytest.mark.parametrize("where", [0, 1, 2])
async def test_a_payload_that_is_not_json_claims_nothing(
    storage: Storage, clock: FakeClock, where: int
) -> None:
    claims = [alert("a"), alert("b"), alert("a")]
    claims[where] = AlertClaim(claims[where].key, "expiry", "1", {"at": datetime.now(UTC)}, (TG,))
    with pytest.raises(TypeError):
        await storage.alerts.claim_many(claims)
    assert await storage.alerts.get("a") is None and await storage.alerts.get("b") is None
    assert await waiting(storage, clock) == 0


async def test_concurrent_batches_with_overlapping_keys_claim_each_key_once(
    storage: Storage, clock: FakeClock
) -> None:
    count = CLAIM_CHUNK + CLAIM_CHUNK // 2
    forward = [alert(key, TG) for key in keys(count)]
    backward = [alert(key, SLACK) for key in reversed(keys(count, start=count // 3))]
    results = await asyncio.gather(
        storage.alerts.claim_many(forward),
        storage.alerts.claim_many(backward),
        storage.alerts.claim_many(forward[::2]),
    )
    everything = set(keys(count)) | set(keys(count, start=count // 3))
    assert set().union(*results) == everything
    assert sum(len(r) for r in results) == len(everything)  # no key claimed by two batches
    assert await waiting(storage, clock) == len(everything)  # one delivery each: one claim's
