"""What can be ordered: countries and directions (cached for minutes), free numbers (for seconds)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from babel import Locale, UnknownLocaleError

from bot.services.api_errors import api
from bot.services.country_search import fold, match_countries
from bot.services.errors import NotFound
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.models import Balance, Direction, FreeNumber, SipLogin
from bot.zadarma.parsing import DirectionId

T = TypeVar("T")
SWEEP_AT = 256


@dataclass
class _Entry(Generic[T]):
    value: T
    expires: float
    renew_at: float = math.inf  # from then on, a use reloads it in the background (once)


class TtlCache(Generic[T]):
    """A small per-key cache whose entries expire after ``ttl`` seconds.

    :meth:`get_or_load` merges concurrent misses of one key into a single load,
    so a burst of users arriving at a cold (or just expired) entry costs one API call.
    With ``renew``, an entry used when it is at least ``renew`` seconds old is reloaded
    in the background (once) while the callers go on with it, so an entry in steady use
    is replaced before it expires and nobody waits for it; nothing it answers is ever
    older than ``ttl``.
    """

    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, *, renew: float | None = None
    ) -> None:
        self.ttl = ttl
        self._renew = math.inf if renew is None else renew
        self._clock = clock
        self._data: dict[object, _Entry[T]] = {}
        # The load under way per key, with a token that tells whether it still may store its result.
        self._loading: dict[object, tuple[object, asyncio.Future[T]]] = {}
        self._sweep_at = SWEEP_AT

    def __len__(self) -> int:
        """Entries held, expired ones not yet swept included."""
        return len(self._data)

    def get(self, key: object) -> T | None:
        """The cached value, or None when absent or expired."""
        entry = self._data.get(key)
        if entry is None or entry.expires <= self._clock():
            return None
        return entry.value

    def put(self, key: object, value: T) -> None:
        """Store ``value`` for ``ttl`` seconds."""
        now = self._clock()
        self._data[key] = _Entry(value, now + self.ttl, now + self._renew)
        if len(self._data) > self._sweep_at:  # many keys (e.g. typed masks): drop the expired ones
            self._data = {k: e for k, e in self._data.items() if e.expires > now}
            self._sweep_at = max(SWEEP_AT, 2 * len(self._data))

    def update(self, key: object, change: Callable[[T], T]) -> None:
        """Replace a live entry by ``change(value)``, keeping its expiry; absent entries stay absent.

        A load of the key under way began before the change, so it stores nothing (as after
        :meth:`forget`); its callers still get what it read.
        """
        self._loading.pop(key, None)
        entry = self._data.get(key)
        if entry is not None and entry.expires > self._clock():
            renew_at = entry.expires - self.ttl + self._renew  # a renewal dropped above may start again
            self._data[key] = _Entry(change(entry.value), entry.expires, renew_at)

    def update_where(self, match: Callable[[object], bool], change: Callable[[T], T]) -> None:
        """:meth:`update` every entry, and every load under way, whose key ``match`` accepts."""
        for key in [k for k in (*self._data, *self._loading) if match(k)]:
            self.update(key, change)

    def forget(self, key: object) -> None:
        """Drop one entry; a load of it already under way stores nothing and is not joined."""
        self._data.pop(key, None)
        self._loading.pop(key, None)

    def clear(self) -> None:
        """Forget everything, as :meth:`forget` does for one key."""
        self._data.clear()
        self._loading.clear()

    async def get_or_load(self, key: object, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value, else the result of one ``load()`` shared by every caller waiting for it.

        A caller that is cancelled does not cancel the load for the others; a failed
        load is raised to every waiter and nothing is cached.
        """
        entry = self._data.get(key)
        if entry is not None:
            now = self._clock()
            if entry.expires > now:
                if entry.renew_at <= now and key not in self._loading:
                    entry.renew_at = math.inf  # one renewal per entry: a failed one is not retried
                    self._start(key, load)
                return entry.value
        loading = self._loading.get(key)
        if loading is None:
            loading = self._start(key, load)
        return await asyncio.shield(loading[1])

    def _start(self, key: object, load: Callable[[], Awaitable[T]]) -> tuple[object, asyncio.Future[T]]:
        token = object()
        pending = asyncio.ensure_future(self._load(key, load, token))
        pending.add_done_callback(_retrieve)
        loading = self._loading[key] = (token, pending)
        return loading

    async def _load(self, key: object, load: Callable[[], Awaitable[T]], token: object) -> T:
        try:
            value = await load()
            if self._current(key, token):
                self.put(key, value)
            return value
        finally:
            if self._current(key, token):
                del self._loading[key]

    def _current(self, key: object, token: object) -> bool:
        loading = self._loading.get(key)
        return loading is not None and loading[0] is token


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a shared load's failure as seen when every waiter has gone (no "never retrieved" noise)."""
    if not future.cancelled():
        future.exception()


@dataclass(frozen=True)
class CountryView:
    """A country as shown to a user: localised name and flag."""

    iso: str
    dial_code: str
    name: str
    flag: str


def flag_emoji(iso: str) -> str:
    """The flag emoji of an ISO alpha-2 code (regional indicator pair)."""
    if len(iso) != 2 or not iso.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in iso.upper())


def localised_country_name(iso: str, language: str, fallback: str) -> str:
    """The country's name in ``language`` from CLDR (Babel), else the API's name."""
    try:
        name = Locale.parse(language).territories.get(iso.upper())
    except (UnknownLocaleError, ValueError):
        name = None
    return name or fallback


@dataclass(frozen=True)
class Offer:
    """What the number and confirmation screens show of the chosen direction, read at once."""

    country: CountryView
    direction: Direction
    free: tuple[FreeNumber, ...] = ()
    balance: Balance | None = None


async def _in_order(*reads: Awaitable[Any]) -> list[Any]:
    """Await ``reads`` concurrently; a failure is raised as reading them one by one would raise it.

    The first read (in argument order) that failed wins, whichever finished first; the others
    still run to their end (their results are cached for the next screen).
    """
    results = await asyncio.gather(*reads, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


class CatalogService:
    """Countries and directions cached for ``ttl`` seconds, SIP logins a minute, free numbers seconds."""

    def __init__(
        self,
        client: ZadarmaClient,
        *,
        ttl: float = 600.0,
        balance_ttl: float = 15.0,
        free_ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._client = client
        self._free: TtlCache[tuple[FreeNumber, ...]] = TtlCache(free_ttl, clock)
        # renewed while in use, so a confirmation screen does not wait for Zadarma every balance_ttl
        self._balance: TtlCache[Balance] = TtlCache(balance_ttl, clock, renew=balance_ttl * 2 / 3)
        self._country_views: TtlCache[tuple[CountryView, ...]] = TtlCache(ttl, clock)
        self._directions: TtlCache[list[Direction]] = TtlCache(ttl, clock)
        self._sips: TtlCache[list[SipLogin]] = TtlCache(min(ttl, 60.0), clock)

    async def countries(self, language: str) -> list[CountryView]:
        """Every orderable country, named in ``language``, sorted by that name."""
        views = await self._country_views.get_or_load(language, lambda: self._load_countries(language))
        return list(views)

    async def _load_countries(self, language: str) -> tuple[CountryView, ...]:
        countries = await api(self._client.countries(language=language))
        views = [
            CountryView(
                c.iso.upper(), c.dial_code, localised_country_name(c.iso, language, c.name), flag_emoji(c.iso)
            )
            for c in countries
        ]
        return tuple(sorted(views, key=lambda v: fold(v.name)))

    async def search_countries(self, query: str, language: str) -> list[CountryView]:
        """Countries matching a dial code, an ISO code or alias, or a name in any supported language.

        See :mod:`bot.services.country_search`; an exact code wins outright.
        """
        views = await self.countries(language)
        q = query.strip()
        if not q:
            return views
        digits = q.lstrip("+").replace(" ", "")
        if digits.isdigit():
            return [v for v in views if v.dial_code == digits]
        return match_countries(views, q)

    async def country(self, iso: str, language: str) -> CountryView:
        """One country by ISO code."""
        for view in await self.countries(language):
            if view.iso == iso.upper():
                return view
        raise NotFound(f"country {iso}")

    async def directions(self, iso: str, language: str) -> list[Direction]:
        """The directions (cities, number types) of a country."""
        code = iso.upper()
        return await self._directions.get_or_load(
            (code, language), lambda: api(self._client.directions(code, language=language))
        )

    async def direction(self, iso: str, direction_id: DirectionId, language: str) -> Direction:
        """One direction of a country (``3001``, ``"3001"`` and ``"ru495"`` all name theirs)."""
        wanted = str(direction_id)
        for direction in await self.directions(iso, language):
            if str(direction.id) == wanted:
                return direction
        raise NotFound(f"direction {direction_id}")

    async def offer(
        self,
        iso: str,
        direction_id: DirectionId,
        language: str,
        *,
        free: bool = False,
        mask: str | None = None,
        balance: bool = False,
    ) -> Offer:
        """The country and the direction, with (when asked) its free numbers and the balance.

        Read concurrently: each comes from its cache when fresh and the misses go to Zadarma at
        the same time, so a screen waits one round trip, not one per read (when all are cached,
        they are read in turn and nothing waits). A failure is the one reading them one by one
        would raise (direction, country, free numbers, balance).
        """
        reads: list[Callable[[], Awaitable[Any]]] = [
            lambda: self.direction(iso, direction_id, language),
            lambda: self.country(iso, language),
        ]
        if free:
            reads.append(lambda: self.free_numbers(direction_id, mask))
        if balance:
            reads.append(self.balance)
        if self._offer_cached(iso, direction_id, language, free, mask, balance):
            # Every read answers from its cache: in turn, without leaving this task. Gathering
            # them would put the screen behind everything else the event loop has ready.
            found = [await read() for read in reads]
        else:
            found = await _in_order(*(read() for read in reads))
        direction, country = found[0], found[1]
        numbers = tuple(found[2]) if free else ()
        account = found[-1] if balance else None
        return Offer(country, direction, numbers, account)

    def _offer_cached(
        self, iso: str, direction_id: DirectionId, language: str, free: bool, mask: str | None, balance: bool
    ) -> bool:
        """Whether every read :meth:`offer` makes would answer from its cache now."""
        return (
            self._directions.get((iso.upper(), language)) is not None
            and self._country_views.get(language) is not None
            and (not free or self.free_numbers_cached(direction_id, mask))
            and (not balance or self._balance.get("account") is not None)
        )

    async def free_numbers(
        self, direction_id: DirectionId, mask: str | None = None, *, fresh: bool = False
    ) -> list[FreeNumber]:
        """Numbers free in a direction, optionally containing ``mask``, at most ``free_ttl`` seconds old.

        Customers browsing one city at the same moment share one call; numbers this bot
        ordered since are left out. One taken elsewhere meanwhile is refused by Zadarma
        when ordered (no money moves), and the ordering service then asks ``fresh``.
        """
        key = (str(direction_id), mask or "")
        if fresh:
            self._free.forget(key)
        found = await self._free.get_or_load(key, lambda: self._load_free(direction_id, mask))
        return list(found)

    def free_numbers_cached(self, direction_id: DirectionId, mask: str | None = None) -> bool:
        """Whether :meth:`free_numbers` would answer from its cache now, without calling Zadarma."""
        return self._free.get((str(direction_id), mask or "")) is not None

    async def _load_free(self, direction_id: DirectionId, mask: str | None) -> tuple[FreeNumber, ...]:
        return tuple(await api(self._client.available_numbers(direction_id, mask)))

    def taken(self, direction_id: DirectionId, number_id: str, number: str) -> None:
        """A number of ``direction_id`` was just ordered: leave it out of every cached list."""
        self._free.update_where(
            lambda key: isinstance(key, tuple) and key[0] == str(direction_id),
            lambda free: tuple(n for n in free if n.id != number_id and n.number != number),
        )

    async def sip_logins(self) -> list[SipLogin]:
        """The account's SIP logins (cached briefly)."""
        return await self._sips.get_or_load("all", self._load_sips)

    async def _load_sips(self) -> list[SipLogin]:
        return list((await api(self._client.sip_logins())).sips)

    def forget_balance(self) -> None:
        """Drop the cached balance (it changed in a way only Zadarma knows)."""
        self._balance.clear()

    def spent(self, amount: Decimal, currency: str) -> None:
        """Money was just spent: take it off the cached balance when both are in one currency.

        The entry keeps its original expiry, so a fresh figure is fetched within ``balance_ttl``.
        A price in another currency is left to that expiry: only Zadarma knows its rate, and a
        balance up to ``balance_ttl`` old is what every screen promises anyway (refusals are
        made on a fresh one). A load under way, started before this spend, is not cached.
        """
        cached = self._balance.get("account")
        if cached is None:
            self.forget_balance()
        elif cached.currency == currency:
            self._balance.update("account", lambda b: b.model_copy(update={"balance": b.balance - amount}))

    async def balance(self, *, fresh: bool = False) -> Balance:
        """The account balance, at most ``balance_ttl`` seconds old unless ``fresh``.

        Shown on confirmation screens and used for the early "too low" refusal;
        Zadarma itself refuses an order the balance cannot pay, so a few seconds
        of staleness never lets an order through that should not go.
        """
        if fresh:
            self._balance.forget("account")
        return await self._balance.get_or_load("account", lambda: api(self._client.balance()))
