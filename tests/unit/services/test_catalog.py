"""The catalog's caches: one API call per burst of identical misses, expiry, and what spending does."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from bot.services.catalog import CatalogService, TtlCache
from bot.services.errors import ApiUnavailable, NotFound, NumberGone
from bot.services.ordering import OrderRequest
from tests.fakes.clock import FakeClock
from tests.unit.services.conftest import ALICE, Stack


async def test_a_burst_of_misses_makes_one_call_per_kind(stack: Stack) -> None:
    catalog = stack.services.catalog
    results = await asyncio.gather(
        *(catalog.balance() for _ in range(50)),
        *(catalog.countries("en") for _ in range(50)),
        *(catalog.directions("US", "en") for _ in range(50)),
        *(catalog.sip_logins() for _ in range(50)),
    )
    assert len(results) == 200
    for route in ("balance", "countries", "country", "sip"):
        assert stack.sandbox.call_count(route) == 1, route


async def test_countries_views_are_independent_lists(stack: Stack) -> None:
    first = await stack.services.catalog.countries("en")
    first.clear()
    assert await stack.services.catalog.countries("en")


async def test_a_failed_load_reaches_every_waiter_and_is_not_cached(stack: Stack) -> None:
    catalog = stack.services.catalog
    stack.sandbox.set_faults(error_rate=1.0, paths=["/v1/info/balance/"])
    outcomes = await asyncio.gather(*(catalog.balance() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(o, ApiUnavailable) for o in outcomes)
    stack.sandbox.clear_faults()
    assert (await catalog.balance()).balance > 0


async def test_cancelling_the_first_caller_does_not_cancel_the_shared_load() -> None:
    cache: TtlCache[str] = TtlCache(60)
    release = asyncio.Event()
    loads = 0

    async def load() -> str:
        nonlocal loads
        loads += 1
        await release.wait()
        return "value"

    first = asyncio.create_task(cache.get_or_load("k", load))
    second = asyncio.create_task(cache.get_or_load("k", load))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == "value"
    assert first.cancelled() and loads == 1
    assert cache.get("k") == "value"


async def test_clearing_during_a_load_keeps_its_result_out_of_the_cache() -> None:
    cache: TtlCache[int] = TtlCache(60)
    release = asyncio.Event()

    async def load() -> int:
        await release.wait()
        return 1

    waiting = asyncio.create_task(cache.get_or_load("k", load))
    await asyncio.sleep(0)
    cache.clear()
    release.set()
    assert await waiting == 1
    assert cache.get("k") is None


async def test_entries_expire_and_update_keeps_the_expiry() -> None:
    clock = FakeClock()
    cache: TtlCache[int] = TtlCache(10, clock.monotonic)
    cache.put("k", 1)
    clock.advance(6)
    cache.update("k", lambda v: v + 1)
    assert cache.get("k") == 2
    clock.advance(4)
    assert cache.get("k") is None
    cache.update("k", lambda v: v + 1)
    assert cache.get("k") is None


async def test_spending_in_another_currency_waits_for_the_cached_balance_to_expire(stack: Stack) -> None:
    catalog = stack.services.catalog
    cached = await catalog.balance()
    catalog.spent(Decimal("1.00"), "XXX" if cached.currency != "XXX" else "YYY")
    assert await catalog.balance() == cached
    assert stack.sandbox.call_count("balance") == 1


async def test_spending_while_the_balance_loads_keeps_that_load_out_of_the_cache(stack: Stack) -> None:
    catalog = stack.services.catalog
    loading = asyncio.create_task(catalog.balance())
    await asyncio.sleep(0)
    catalog.spent(Decimal("1.00"), "USD")
    await loading
    await catalog.balance()
    assert stack.sandbox.call_count("balance") == 2


@pytest.mark.parametrize("amount", ["0.01", "12.34"])
async def test_spending_in_the_account_currency_lowers_the_cached_balance(stack: Stack, amount: str) -> None:
    catalog = stack.services.catalog
    cached = await catalog.balance()
    catalog.spent(Decimal(amount), cached.currency)
    assert (await catalog.balance()).balance == cached.balance - Decimal(amount)
    assert stack.sandbox.call_count("balance") == 1
    assert (await catalog.balance(fresh=True)).balance == cached.balance  # nothing was really spent


async def test_a_caller_after_clear_does_not_join_the_older_load() -> None:
    cache: TtlCache[int] = TtlCache(60)
    gates = [asyncio.Event(), asyncio.Event()]
    results = iter([1, 2])

    async def load() -> int:
        value = next(results)
        await gates[value - 1].wait()
        return value

    old = asyncio.create_task(cache.get_or_load("k", load))
    await asyncio.sleep(0)
    cache.clear()
    new = asyncio.create_task(cache.get_or_load("k", load))
    await asyncio.sleep(0)
    gates[0].set()
    assert await old == 1
    gates[1].set()
    assert await new == 2
    assert cache.get("k") == 2


async def test_free_numbers_are_shared_for_a_few_seconds_then_fetched_again(stack: Stack) -> None:
    clock = FakeClock()
    catalog = CatalogService(stack.client, free_ttl=5, clock=clock.monotonic)
    direction = (await catalog.directions("US", "en"))[0].id
    first, second = await asyncio.gather(catalog.free_numbers(direction), catalog.free_numbers(direction))
    assert first == second and stack.sandbox.call_count("available") == 1
    await catalog.free_numbers(direction, "2")  # another mask is another list
    assert stack.sandbox.call_count("available") == 2
    clock.advance(5)
    await catalog.free_numbers(direction)
    assert stack.sandbox.call_count("available") == 3
    await catalog.free_numbers(direction, fresh=True)
    assert stack.sandbox.call_count("available") == 4


async def test_a_number_ordered_here_leaves_every_cached_list_of_its_direction(stack: Stack) -> None:
    catalog = stack.services.catalog
    direction = next(d for d in await catalog.directions("US", "en") if not d.needs_documents)
    free = await catalog.free_numbers(direction.id)
    target = free[1]
    digit = next(c for c in target.number[-4:])
    masked = await catalog.free_numbers(direction.id, digit)
    assert target in masked
    request = OrderRequest(direction_id=direction.id, number_id=target.id, number=target.number)
    await stack.services.ordering.place_order(ALICE, "cache", request, direction)
    assert target not in await catalog.free_numbers(direction.id)
    assert target not in await catalog.free_numbers(direction.id, digit)
    assert free[0] in await catalog.free_numbers(direction.id)
    assert stack.sandbox.call_count("available") == 2  # both lists still from the cache


async def test_a_number_taken_elsewhere_is_refused_and_the_list_refreshed(stack: Stack) -> None:
    catalog = stack.services.catalog
    direction = next(d for d in await catalog.directions("US", "en") if not d.needs_documents)
    [first, *_] = await catalog.free_numbers(direction.id)
    await stack.client.order_number(direction_id=direction.id, documents_group_id=0, number_id=first.id)
    assert first in await catalog.free_numbers(direction.id)  # the cache cannot know yet
    request = OrderRequest(direction_id=direction.id, number_id=first.id, number=first.number)
    with pytest.raises(NumberGone):
        await stack.services.ordering.place_order(ALICE, "elsewhere", request, direction)
    assert first not in await catalog.free_numbers(direction.id)


async def test_expired_entries_of_many_keys_are_swept() -> None:
    clock = FakeClock()
    cache: TtlCache[int] = TtlCache(1, clock.monotonic)
    for i in range(200):
        cache.put(("mask", i), i)
    clock.advance(2)
    for i in range(200, 400):
        cache.put(("mask", i), i)
    assert len(cache) < 300
    assert cache.get(("mask", 399)) == 399


async def test_forget_makes_the_next_caller_load_anew() -> None:
    cache: TtlCache[int] = TtlCache(60)
    gate = asyncio.Event()
    values = iter([1, 2])

    async def load() -> int:
        value = next(values)
        if value == 1:
            await gate.wait()
        return value

    old = asyncio.create_task(cache.get_or_load("k", load))
    await asyncio.sleep(0)
    cache.forget("k")
    assert await cache.get_or_load("k", load) == 2
    gate.set()
    assert await old == 1
    assert cache.get("k") == 2


async def test_an_offer_reads_what_is_missing_at_once_not_one_read_after_another(stack: Stack) -> None:
    catalog = stack.services.catalog
    stack.sandbox.set_faults(latency_ms=1000)  # every Zadarma call answers a second late
    routes = ("countries", "country", "available", "balance")
    reading = asyncio.create_task(catalog.offer("US", 3301, "en", free=True, balance=True))
    async with asyncio.timeout(0.9):  # one after another, only the first would have been asked by then
        while any(stack.sandbox.call_count(route) == 0 for route in routes):
            await asyncio.sleep(0.01)
    offer = await reading
    stack.sandbox.clear_faults()
    assert [stack.sandbox.call_count(route) for route in routes] == [1, 1, 1, 1]
    # the same as reading them one by one
    assert offer.direction == await catalog.direction("US", 3301, "en")
    assert offer.country == await catalog.country("US", "en")
    assert list(offer.free) == await catalog.free_numbers(3301)
    assert offer.balance == await catalog.balance()


async def test_an_offer_from_the_caches_is_read_without_leaving_the_task(stack: Stack) -> None:
    catalog = stack.services.catalog
    gathered = await catalog.offer("US", 3301, "en", free=True, balance=True)  # fills every cache
    routes = ("countries", "country", "available", "balance")
    calls = [stack.sandbox.call_count(route) for route in routes]
    reading = catalog.offer("US", 3301, "en", free=True, balance=True)
    with pytest.raises(StopIteration) as finished:
        reading.send(None)  # runs to its end at once: it never waited for anything
    assert finished.value.value == gathered
    assert [stack.sandbox.call_count(route) for route in routes] == calls
    with pytest.raises(StopIteration):
        catalog.offer("US", 3301, "en").send(None)
    catalog.forget_balance()  # one read missing: it goes to Zadarma with the others, as before
    assert await catalog.offer("US", 3301, "en", free=True, balance=True) == gathered
    assert [stack.sandbox.call_count(route) for route in routes] == [*calls[:3], calls[3] + 1]


async def test_an_offer_raises_what_reading_one_by_one_would_raise_first(stack: Stack) -> None:
    catalog = stack.services.catalog
    stack.sandbox.set_faults(error_rate=1.0, paths=["/v1/direct_numbers/available/", "/v1/info/balance/"])
    with pytest.raises(NotFound):  # the direction is unknown: that, not the failed number list
        await catalog.offer("US", 999999, "en", free=True, balance=True)
    with pytest.raises(ApiUnavailable):
        await catalog.offer("US", 3301, "en", free=True, balance=True)
    offer = await catalog.offer("US", 3301, "en")  # neither asked for: nothing fails
    assert offer.free == () and offer.balance is None


# -- entries renewed while in use ------------------------------------------------------


class Loads:
    """A load that returns 1, 2, 3, ... and waits for ``gate`` when one is set."""

    def __init__(self) -> None:
        self.count = 0
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def __call__(self) -> int:
        self.count += 1
        value = self.count
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise ApiUnavailable("down")
        return value


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def renewing() -> tuple[FakeClock, TtlCache[int], Loads]:
    """A cache of 15 s entries renewed from 10 s on, holding the first load's value (1) for ``"k"``."""
    clock = FakeClock()
    cache: TtlCache[int] = TtlCache(15, clock.monotonic, renew=10)
    load = Loads()
    assert await cache.get_or_load("k", load) == 1
    return clock, cache, load


async def test_an_entry_in_use_is_renewed_in_the_background_before_it_expires() -> None:
    clock, cache, load = await renewing()
    clock.advance(9)
    assert await cache.get_or_load("k", load) == 1 and load.count == 1  # young: not renewed
    clock.advance(2)
    load.gate = asyncio.Event()
    for _ in range(3):  # answered at once from the entry; one renewal under way
        assert await asyncio.wait_for(cache.get_or_load("k", load), 0.5) == 1
    assert load.count == 2
    load.gate.set()
    await settle()
    assert await cache.get_or_load("k", load) == 2  # the renewed entry, good for another ttl
    clock.advance(14)
    assert cache.get("k") == 2


async def test_an_unused_entry_expires_and_the_next_caller_waits_for_the_load() -> None:
    clock, cache, load = await renewing()
    clock.advance(16)
    assert await cache.get_or_load("k", load) == 2 and load.count == 2


async def test_a_failed_renewal_leaves_the_entry_until_it_expires_and_is_not_repeated() -> None:
    clock, cache, load = await renewing()
    clock.advance(11)
    load.fail = True
    assert await cache.get_or_load("k", load) == 1
    await settle()
    for _ in range(3):
        assert await cache.get_or_load("k", load) == 1
        await settle()
    assert load.count == 2  # one renewal per entry, however many uses
    clock.advance(5)
    with pytest.raises(ApiUnavailable):  # expired: the caller waits for the load, and sees it fail
        await cache.get_or_load("k", load)


async def test_a_change_made_while_a_renewal_reads_is_not_overwritten_by_it() -> None:
    clock, cache, load = await renewing()
    clock.advance(11)
    load.gate = asyncio.Event()
    await cache.get_or_load("k", load)  # renewal 2 under way, read before the change
    cache.update("k", lambda value: value + 100)
    load.gate.set()
    await settle()
    assert cache.get("k") == 101
    load.gate = None
    assert await cache.get_or_load("k", load) == 101  # renewing may start again
    await settle()
    assert load.count == 3 and cache.get("k") == 3


async def test_update_where_drops_a_load_under_way_for_a_matching_key() -> None:
    cache: TtlCache[int] = TtlCache(15)
    load = Loads()
    load.gate = asyncio.Event()
    waiting = asyncio.create_task(cache.get_or_load(("3301", ""), load))
    await settle()
    cache.update_where(lambda key: isinstance(key, tuple) and key[0] == "3301", lambda value: value)
    load.gate.set()
    assert await waiting == 1  # its caller still gets what it read ...
    assert cache.get(("3301", "")) is None  # ... but it is not kept


async def test_the_balance_is_renewed_while_confirmations_use_it(stack: Stack) -> None:
    clock = FakeClock()
    catalog = CatalogService(stack.client, balance_ttl=15, clock=clock.monotonic)
    before = stack.sandbox.call_count("balance")
    first = await catalog.balance()
    clock.advance(11)
    assert await catalog.balance() == first  # answered at once; renewed meanwhile
    async with asyncio.timeout(5):
        while stack.sandbox.call_count("balance") < before + 2:
            await asyncio.sleep(0.01)
    await settle()
    clock.advance(8)  # 19 s after the first read: still cached, by the renewal
    calls = stack.sandbox.call_count("balance")
    await catalog.balance()
    assert stack.sandbox.call_count("balance") == calls
