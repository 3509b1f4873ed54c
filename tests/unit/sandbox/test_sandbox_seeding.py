"""Bulk seeding of owned numbers for benchmarks."""

from __future__ import annotations

import time
from collections import Counter

from bot.sandbox import Sandbox
from tests.unit.sandbox.sandbox_helpers import SignedClient


async def test_seed_ten_thousand_numbers_with_varied_state(sandbox: Sandbox, client: SignedClient) -> None:
    started = time.perf_counter()
    added = sandbox.seed_owned_numbers(10_000, seed=3)
    assert len(added) == len(set(added)) == 10_000
    numbers = [sandbox.state.numbers[n] for n in added]
    statuses = Counter(n.status for n in numbers)
    assert set(statuses) == {"on", "parking", "checking", "checking_upload"}
    assert 7000 < statuses["on"] < 8000
    assert {n.autorenew for n in numbers} == {True, False}
    assert len({n.stop_date.date() for n in numbers}) > 60
    free = {f.number for m in sandbox.state.market.values() for f in m.values()}
    assert free.isdisjoint(added)
    body = await client.ok("GET", "/v1/direct_numbers/")
    assert len(body["info"]) == 10_000
    assert time.perf_counter() - started < 10


def test_seeding_is_deterministic_and_clock_driven(sandbox: Sandbox) -> None:
    other = Sandbox(sandbox.config)
    assert sandbox.seed_owned_numbers(200, seed=9) == other.seed_owned_numbers(200, seed=9)
    parked = [n for n in sandbox.state.numbers.values() if n.status == "parking"]
    assert parked
    events = sandbox.advance_days(7)
    removed = {e.subject for e in events if e.kind == "removed"}
    assert {n.number for n in parked} <= removed


async def test_seed_over_the_control_endpoint(sandbox: Sandbox, client: SignedClient) -> None:
    response = await client.http.post("/_sandbox/numbers/seed", params={"count": 50})
    assert response.json() == {"status": "success", "added": 50, "total": 50}
    assert (await client.http.post("/_sandbox/numbers/seed", params={"count": -1})).status_code == 400
    response = await client.http.post("/_sandbox/balance", params={"amount": "12.345"})
    assert response.json() == {"status": "success", "balance": 12.35, "currency": "USD", "events": []}
    assert (await client.http.post("/_sandbox/balance", params={"amount": "lots"})).status_code == 400
