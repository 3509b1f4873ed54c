"""Headline benchmark: K Telegram customers ordering Zadarma numbers through the whole bot.

Run: ``.venv/bin/python bench/order_flow.py [--users 100]
[--mode throughput|ratio|latency|ratelimit|memory|all] [--log-format text|json]``
(also ``--transport webhook``, ``--log-level``, ``--rounds``, ``--latency-rounds``, ``--think``,
``--latency-users``, ``--latency-think``, ``--zadarma-rtt-ms``, ``--bot-api-rtt-ms``,
``--baseline-repeats``, ``--seconds``, ``--conversations``, ``--keep DIR`` (keep the bots' logs),
``--profile FILE [--profile-phase latency]``: see ``--help``). ``throughput`` takes about 40 s
on 2 cores, ``ratio`` a minute, ``latency`` 2 minutes, ``memory`` 30 s, ``ratelimit`` ``--seconds`` + 15 s.

Two processes, so that the figures are the bot's and not the harness's:

* **the bot under test** (``bench/support.py serve``): the real bot built as
  ``python -m bot run`` builds it (``open_core`` + ``build_service``: aiogram
  ``Dispatcher`` and ``Bot``, the conversations and services, the real
  ``ZadarmaClient`` over httpx, a SQLite file in a temp directory, the alert
  scheduler and the web server). Its CPU time and RSS are the figures below.
* **the harness** (this process): the fake Bot API server of the tests
  (``tests/fakes/telegram_api.py``, subclassed only to time-stamp and, in the
  latency mode, to answer late), the Zadarma emulator (``Sandbox.app()``
  served with aiohttp ``AppRunner`` on 127.0.0.1) and the simulated users. Its
  CPU use is reported as the harness overhead.

A fair comparison: the product runs at its production defaults (log level
INFO, text lines unless ``--log-format json``; its start-up heap frozen by
``settle_heap``; its event loop uvloop where installed, ``EVENT_LOOP=auto``), and
the baseline and mirror bots (below) get the same: the same event loop
(``--event-loop``), the product's logging set-up (``bot.logs.configure_logging``, same format and
level, the token registered as a secret) and the same ``gc.collect()`` +
``gc.freeze()`` before serving. What each bot logs is its own: aiogram's
line per update for the minimal bots, the product's lines per update and per
API call for the product (counted as its own cost). The log goes to a file
in the temp directory; the lines by logger are printed.

Updates come by long polling (``getUpdates`` against the fake; the product's
default) unless ``--transport webhook`` (the fake POSTs each update to the
bot's webhook route). A reply's latency runs from the moment the update is
made available to ``getUpdates`` (or queued for the webhook POST) to the
arrival at the fake of the bot's first ``sendMessage``/``editMessageText`` for
that chat; "step done" runs to the arrival of the message that shows the
step's next menu.

Modes:

* ``throughput``: a warm-up (one order per country, cold catalog, then one
  order alone with a warm catalog: the fewest calls an order needs), then
  (a) saturation: K users walk the order flow with no pause between steps
  (updates/s, CPU per update, Zadarma calls per order); (b) latency: the same
  K users with a think time between steps, no round trips injected (with no
  think time a closed loop's latency is just K / throughput); (c) the
  baseline: a minimal aiogram bot answering each update with one message,
  same harness, same transport, same users, same number of updates as (a),
  run three times in a row; (d) the mirror: the same minimal bot making
  exactly the product's Bot API calls for each update (16 calls for an
  order's 6 updates). Ends with the comparison and the ``ratio`` line below.
* ``ratio``: (a), (c) and (d) only, ending with exactly one line
  ``cpu_per_update_ms=… baseline_ms=… mirror_ms=… ratio=… own_share=…``:
  CPU per update of the product, the baseline and the mirror (ms), ``ratio``
  = product / baseline, ``own_share`` = (product − mirror) / mirror (the bot's
  own work relative to what aiogram costs for the same calls). A fourth
  process takes turns too: the product's Zadarma client alone, making the
  same orders' Zadarma calls (the account check, the order, the SIP target,
  the number's card) against an emulator of its own; what those calls cost
  per update of the flow, over the mirror's cost, is the lowest ``own_share``
  can go while an order makes them. The bots run side by side and take turns
  (``--baseline-repeats`` phases each, the order rotated every round, so that
  a machine that slows under a long load by tens of percent, as shared cores
  do, weighs on all alike); the product's phases share out ``--rounds``
  orders a user, so that the account (whose whole list the emulator renders
  before every order) stays the size one phase leaves. ``own_share`` by
  round is printed too. ``throughput`` measures them one
  after another, the product first, and prints its ``own_share`` for
  information only.
* ``latency``: real round trips injected on loopback: every Zadarma call is
  answered ``--zadarma-rtt-ms`` (80) late (the emulator's own ``latency_ms``
  fault), every Bot API call ``--bot-api-rtt-ms`` (40) late (the fake server
  answers late; a reply counts as seen when the call arrives, and an update
  reaches the bot one round trip after it is made available, in the
  ``getUpdates`` answer or the webhook POST). After a warm-up without them,
  ``--latency-users`` (100 and 300) paced users in turn, starting spread over
  one order's pauses, each pause ``--latency-think`` (1.5 s mean, uniform
  0.5-1.5x) before every step and make ``--latency-rounds`` orders, so the
  offered load stays below saturation (the offered rate and the bot's share
  of a core are printed); for every step of the order flow, the time to the
  first reply and to the finished step, p50/p95/p99/max.

Users choosing a number pass over the numbers other users have chosen (and
press "Any number" when the whole page has been), so that a few hundred users
on 14 pages of 8 numbers do not mostly collide; collisions left are counted.
* ``ratelimit``: the emulator's real limit (100 requests per 60 s window) and
  the client's default limiter; completed orders in ``--seconds`` against what
  the limit allows.
* ``memory``: 10,000 customers each open the order flow (``/order``: a stored
  conversation at the country step), through the whole stack; the bot's RSS.
* ``all``: throughput, latency, memory, ratelimit.

The harness's own garbage collector is switched off during measured phases
(its pauses would stall the fake server and count as bot latency); the bots'
are left as they are, and their pauses are reported. A full collection of an
aiogram process takes ~100 ms, so the baseline runs several times in a row.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import functools
import gc
import importlib.metadata
import logging
import math
import os
import platform
import pstats
import random
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from support import BotProcess, GcWatch, logger_of, percentile, usage  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.eventloop import uvloop_available  # noqa: E402
from bot.sandbox import FreeNumber, Sandbox, SandboxConfig  # noqa: E402
from bot.sandbox.catalog import DirectionId, new_number_digits, new_number_id  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram, FakeUser, Injected  # noqa: E402

UNLIMITED = 1_000_000_000
BALANCE = Decimal("100000000.00")
REAL_LIMIT = 100
REAL_WINDOW = 60.0
STEP_TIMEOUT = 20.0

# Directions without documents: (typed country, city as on its button). Users spread over them
# (at most 8 per direction, each taking its own position in the list of numbers) so that they do
# not race each other for the same free number.
MIRROR_REPLIES = (1, 1, 3, 3)
"""Messages sent or edited (the calls the harness counts as replies) for each press of a round by
the baseline in mirror mode; taking a keyboard off is not counted."""

ROUTES = (
    ("US", "New York"),
    ("US", "Los Angeles"),
    ("US", "Chicago"),
    ("US", "Miami"),
    ("US", "San Francisco"),
    ("GB", "London"),
    ("GB", "Manchester"),
    ("GB", "Birmingham"),
    ("GB", "Edinburgh"),
    ("GB", "National"),
    ("NL", "Amsterdam"),
    ("NL", "Rotterdam"),
    ("NL", "The Hague"),
    ("NL", "Utrecht"),
)
STEPS = ("/order", "country", "direction", "number", "confirm", "sip")
NUMBERS_PER_PAGE = 8

TARGET_UPDATES_PER_S = 400.0
TARGET_P99_MS = 50.0
TARGET_CALLS_PER_ORDER = 4.0
TARGET_OWN_SHARE = 0.5
TARGET_RTT_P99_MS = 150.0
LATENCY_TARGET_USERS = 300
TARGET_RSS_MB = 150.0


# ---------------------------------------------------------------------------- the harness's own pauses

HARNESS_GC = GcWatch()


def harness_usage() -> dict[str, Any]:
    """The harness process's CPU, memory and garbage-collector figures."""
    return {**usage(), **HARNESS_GC.sample()}


# ---------------------------------------------------------------------------- the fake Bot API, timed

_ARRIVED: contextvars.ContextVar[float] = contextvars.ContextVar("arrived", default=0.0)


@dataclass
class ChatWatch:
    """What the harness follows in one chat: answers from the bot, its newest menu."""

    changed: asyncio.Event = field(default_factory=asyncio.Event)
    menu: dict[str, Any] | None = None  # the live stored message (edits show)
    answers: int = 0
    first_at: float | None = None
    last_at: float = 0.0


class TimedTelegram(FakeTelegram):
    """The tests' fake Bot API server, plus time stamps: update available, answer arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.watches: dict[int, ChatWatch] = {}
        self.available_at: dict[int, float] = {}
        self.round_trip = 0.0
        """Seconds every Bot API call is answered late (and every webhook POST sent late): latency mode."""

    def watch(self, chat_id: int) -> ChatWatch:
        """The chat's watch (created on first use)."""
        watch = self.watches.get(chat_id)
        if watch is None:
            watch = self.watches[chat_id] = ChatWatch()
        return watch

    def _enqueue(self, injected: Injected) -> None:
        # The update becomes available to getUpdates (or is queued for the webhook POST) here.
        self.available_at[injected.update_id] = time.perf_counter()
        if self.round_trip and self.webhook_url:
            # Telegram's POST to the webhook reaches the bot one round trip later.
            asyncio.get_running_loop().call_later(self.round_trip, super()._enqueue, injected)
            return
        super()._enqueue(injected)

    async def _api(self, request: web.Request) -> web.Response:
        _ARRIVED.set(time.perf_counter())  # before the body is read
        response = await super()._api(request)
        if self.round_trip:
            # The call took effect on arrival (a reply is seen then); its answer reaches the bot a round
            # trip later, and so does a getUpdates answer carrying updates.
            await asyncio.sleep(self.round_trip)
        return response

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        result = await super()._send_message(params)
        self._answered(result)
        return result

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        result = await super()._edit_message_text(params)
        self._answered(result)
        return result

    def _answered(self, result: dict[str, Any]) -> None:
        chat_id = int(result["chat"]["id"])
        watch = self.watches.get(chat_id)
        if watch is None:
            return
        arrived = _ARRIVED.get()
        watch.answers += 1
        watch.last_at = arrived
        if watch.first_at is None:
            watch.first_at = arrived
        if result.get("reply_markup"):
            watch.menu = self._messages[chat_id][int(result["message_id"])]
        watch.changed.set()

    def press_on(self, user: FakeUser, message: dict[str, Any], data: str) -> Injected:
        """The user presses the button with callback ``data`` on ``message`` (a stored message)."""
        return self.press(user, message=self._snapshot(message), data=data)


def labels(message: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``(label, callback data)`` of every button of a stored message."""
    if not message:
        return []
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b.get("text", ""), b.get("callback_data") or "") for row in rows for b in row]


def has_button(watch: ChatWatch, *wanted: str) -> Callable[[], bool]:
    """A check: the chat's newest menu has a button whose label contains one of ``wanted``."""
    folded = [w.casefold() for w in wanted]
    return lambda: any(w in text.casefold() for text, _ in labels(watch.menu) for w in folded)


# ---------------------------------------------------------------------------- the Zadarma emulator


@dataclass
class Emulator:
    sandbox: Sandbox
    url: str
    statuses: Counter[tuple[int, str]]


@contextlib.asynccontextmanager
async def serve_emulator(sandbox: Sandbox) -> AsyncIterator[Emulator]:
    """``Sandbox.app()`` on a free port of 127.0.0.1, counting reply statuses by path."""
    statuses: Counter[tuple[int, str]] = Counter()

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        statuses[(response.status, request.path)] += 1
        return response

    app = sandbox.app()
    app.middlewares.append(count)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Emulator(sandbox, f"http://127.0.0.1:{port}", statuses)
    finally:
        await runner.cleanup()


class Market:
    """Keeps each direction's market at its size: a number ordered is replaced by a fresh one.

    Also every number a user has chosen: a user passes over a number another user has chosen before
    (on its way to being ordered), as customers of a real market, with many more numbers than here,
    rarely want the same one, and presses "Any number" when the whole page has been chosen. With more
    users than the first pages have numbers (300 over 14 pages of 8), picking by position alone made
    about half of the confirmations find the number taken.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.chosen: set[str] = set()
        self.rng = random.Random(20250303)
        market = sandbox.state.market
        self.ids = {n.id for numbers in market.values() for n in numbers.values()}
        self.digits = {n.number for numbers in market.values() for n in numbers.values()}
        self.digits |= set(sandbox.state.numbers)

    def refill(self, direction_id: DirectionId) -> FreeNumber:
        """Put a fresh number on ``direction_id``'s market; returns it."""
        direction = self.sandbox.catalog.directions[direction_id]
        number = FreeNumber(
            new_number_id(self.rng, self.ids),
            direction_id,
            new_number_digits(self.rng, direction, self.digits),
        )
        self.sandbox.state.market.setdefault(direction_id, {})[number.id] = number
        return number


@dataclass(frozen=True)
class Route:
    iso: str
    city: str
    direction_id: DirectionId
    slot: int


def routes_for(sandbox: Sandbox, count: int) -> list[Route]:
    """One route per user: direction round-robin, a distinct number position within a direction."""
    by_name = {(d.country_iso, d.name_en): d for d in sandbox.catalog.directions.values()}
    found = []
    for iso, city in ROUTES:
        direction = by_name[(iso, city)]
        assert not direction.upload and not direction.specify, f"{city} needs documents"
        found.append((iso, city, direction.id))
    return [Route(*found[i % len(found)], slot=(i // len(found)) % NUMBERS_PER_PAGE) for i in range(count)]


# ---------------------------------------------------------------------------- users


class StepTimeout(Exception):
    """The bot did not show the expected screen in time."""


@dataclass
class Sample:
    step: str
    first_ms: float  # update available -> first answering message arrived
    done_ms: float  # update available -> the step's next menu arrived


@dataclass
class Phase:
    """What one measured phase produced (harness side)."""

    name: str
    users: int
    think: float
    samples: list[Sample] = field(default_factory=list)
    updates: int = 0
    orders: int = 0
    collisions: int = 0
    any_number: int = 0
    failures: list[str] = field(default_factory=list)
    reached: Counter[str] = field(default_factory=Counter)
    order_times: list[float] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    harness: tuple[dict[str, Any], dict[str, Any]] | None = None
    bot: tuple[dict[str, Any], dict[str, Any]] | None = None
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[tuple[int, str]] = field(default_factory=Counter)
    api: Counter[str] = field(default_factory=Counter)
    cut: Counter[str] = field(default_factory=Counter)

    @property
    def wall(self) -> float:
        return self.ended - self.started

    def bot_cpu(self) -> float:
        assert self.bot is not None
        return float(self.bot[1]["cpu"] - self.bot[0]["cpu"])

    def bot_wall(self) -> float:
        assert self.bot is not None
        return float(self.bot[1]["t"] - self.bot[0]["t"])

    def bot_delta(self, key: str) -> Any:
        assert self.bot is not None
        before, after = self.bot
        if isinstance(after[key], list):
            return [a - b for a, b in zip(after[key], before[key], strict=True)]
        return after[key] - before[key]

    def harness_cpu(self) -> float:
        assert self.harness is not None
        return float(self.harness[1]["cpu"] - self.harness[0]["cpu"])

    def latencies(self, which: str = "first", step: str | None = None) -> list[float]:
        return [
            s.first_ms if which == "first" else s.done_ms
            for s in self.samples
            if step is None or s.step == step
        ]


class Customer:
    """One simulated Telegram user driving the bot through the fake server."""

    def __init__(
        self, fake: TimedTelegram, user: FakeUser, route: Route | None, market: Market | None
    ) -> None:
        self.fake = fake
        self.user = user
        self.route = route
        self.market = market
        self.watch = fake.watch(user.chat_id)
        self.current = ""  # the step waiting for the bot, if any

    async def step(
        self,
        phase: Phase,
        name: str,
        inject: Callable[[], Injected],
        done: Callable[[], bool],
        *,
        think: float = 0.0,
        within: float = STEP_TIMEOUT,
    ) -> None:
        """Pause ``think`` seconds, send one update, wait until ``done()``; record the timings."""
        if think > 0:
            await asyncio.sleep(think * random.uniform(0.5, 1.5))
        watch = self.watch
        watch.first_at = None
        self.current = name
        injected = inject()
        available = self.fake.available_at.pop(injected.update_id)
        phase.updates += 1
        deadline = time.perf_counter() + within
        while not done():
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise StepTimeout(f"{name}: no answer in {within:.0f} s")
            watch.changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await watch.changed.wait()
        first = watch.first_at if watch.first_at is not None else watch.last_at
        phase.samples.append(Sample(name, (first - available) * 1000, (watch.last_at - available) * 1000))
        phase.reached[name] += 1
        self.current = ""

    def press(self, label: str) -> Injected:
        for text, data in labels(self.watch.menu):
            if label.casefold() in text.casefold():
                return self.fake.press_on(self.user, self.watch.menu or {}, data)
        raise StepTimeout(f"no button {label!r} in {[t for t, _ in labels(self.watch.menu)]}")

    def press_number(self, phase: Phase, slot: int) -> Injected:
        """Press the number at position ``slot``, or the next one no user has chosen before; if every
        number on the page has been chosen, "Any number" (the bot draws from all free numbers)."""
        numbers = [(t, d) for t, d in labels(self.watch.menu) if t.startswith("+")]
        if not numbers:
            raise StepTimeout("no numbers offered")
        chosen = self.market.chosen if self.market is not None else set()
        ring = numbers[slot % len(numbers) :] + numbers[: slot % len(numbers)]
        for text, data in ring:
            if text not in chosen:
                chosen.add(text)
                return self.fake.press_on(self.user, self.watch.menu or {}, data)
        phase.any_number += 1
        return self.press("Any number")

    async def order(self, phase: Phase, think: float = 0.0, within: float = STEP_TIMEOUT) -> None:
        """The whole flow: /order, country, direction, number, confirm and pay, SIP login."""
        route = self.route
        assert route is not None and self.market is not None
        fake, user, watch = self.fake, self.user, self.watch
        kw: dict[str, Any] = {"think": think, "within": within}
        await self.step(
            phase, "/order", lambda: fake.send_text(user, "/order"), has_button(watch, "United States"), **kw
        )
        await self.step(
            phase, "country", lambda: fake.send_text(user, route.iso), has_button(watch, route.city), **kw
        )
        await self.step(
            phase, "direction", lambda: self.press(route.city), has_button(watch, "Any number"), **kw
        )
        for _ in range(5):
            await self.step(
                phase,
                "number",
                lambda: self.press_number(phase, route.slot),
                has_button(watch, "Confirm and pay"),
                **kw,
            )
            # "Any number" again means the number was taken meanwhile: the list is shown again.
            await self.step(
                phase,
                "confirm",
                lambda: self.press("Confirm and pay"),
                has_button(watch, "00001", "Any number"),
                **kw,
            )
            if has_button(watch, "00001")():
                break
            phase.collisions += 1
        else:
            raise StepTimeout("the chosen number was taken five times")
        await self.step(
            phase, "sip", lambda: self.press("00001"), has_button(watch, "Manage this number"), **kw
        )
        phase.orders += 1
        phase.order_times.append(time.perf_counter())
        self.market.refill(route.direction_id)

    async def baseline_round(self, phase: Phase, *, mirror: bool = False) -> None:
        """As many updates as one order, of the same kinds (2 texts, 4 presses); one reply each.

        With ``mirror`` the presses are answered as the product answers them (see the baseline
        bot in ``support.py``), and each step waits for all of its messages.
        """
        for name, text in (("/order", "/order"), ("country", "US")):
            before = self.watch.answers
            await self.step(
                phase, name, functools.partial(self.fake.send_text, self.user, text), self._answered(before)
            )
        for name, replies in zip(STEPS[2:], MIRROR_REPLIES if mirror else (1, 1, 1, 1), strict=True):
            before = self.watch.answers
            await self.step(phase, name, lambda: self.press("Next"), self._answered(before, replies))
        phase.orders += 1

    def _answered(self, before: int, replies: int = 1) -> Callable[[], bool]:
        return lambda: self.watch.answers >= before + replies


# ---------------------------------------------------------------------------- running phases


class Run:
    """One bot process with its fake Bot API server (and the emulator, for the product)."""

    def __init__(self, fake: TimedTelegram, bot: BotProcess, emulator: Emulator | None) -> None:
        self.fake = fake
        self.bot = bot
        self.emulator = emulator
        self.market = Market(emulator.sandbox) if emulator is not None else None

    def customers(self, count: int, *, routes: list[Route] | None = None) -> list[Customer]:
        result = []
        for i in range(count):
            user = self.fake.user(first_name=f"Customer{i}", language_code="en")
            result.append(Customer(self.fake, user, routes[i] if routes else None, self.market))
        return result

    async def phase(
        self,
        name: str,
        customers: list[Customer],
        body: Callable[[Any, Phase], Any],
        *,
        think: float = 0.0,
        seconds: float | None = None,
        workers: int = 0,
    ) -> Phase:
        """Run ``body`` for every customer (or ``workers`` times, with ``None``) at once; measure it."""
        phase = Phase(name, len(customers) or workers, think)
        api0 = len(self.fake.calls)
        calls0 = Counter(self.emulator.sandbox.calls) if self.emulator else Counter()
        statuses0 = Counter(self.emulator.statuses) if self.emulator else Counter()
        bot0 = await self.bot.call("drain")
        # The harness's own garbage collector would pause the fake server and the users (and so
        # show up as bot latency): it is collected now and switched off until the phase ends.
        gc.collect()
        gc.disable()
        harness0 = harness_usage()
        phase.started = time.perf_counter()

        async def one(customer: Customer | None) -> None:
            try:
                await body(customer, phase)
            except StepTimeout as error:
                phase.failures.append(str(error))

        tasks = [asyncio.create_task(one(c)) for c in customers] + [
            asyncio.create_task(one(None)) for _ in range(workers)
        ]
        if seconds is None:
            await asyncio.gather(*tasks)
        else:
            # Bounded run: whatever has not finished by the deadline is cut off and counted as such.
            _, pending = await asyncio.wait(tasks, timeout=seconds)
            phase.cut = Counter(c.current or "between steps" for c in customers if c.current)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        phase.ended = time.perf_counter()
        harness1 = harness_usage()
        gc.enable()
        phase.api = Counter(call.method for call in self.fake.calls[api0:])
        if self.emulator is not None:
            phase.calls = Counter(self.emulator.sandbox.calls) - calls0
            phase.statuses = Counter(self.emulator.statuses) - statuses0
        # After a bounded run the bot may still be waiting for its rate limiter: sample, do not drain.
        bot1 = await self.bot.call("mark" if seconds is not None else "drain", within=300)
        phase.harness = (harness0, harness1)
        phase.bot = (bot0, bot1)
        return phase


def files_size(directory: Path, prefix: str) -> int:
    """Bytes in the files of ``directory`` whose names start with ``prefix``."""
    return sum(f.stat().st_size for f in directory.iterdir() if f.name.startswith(prefix))


def merged(phases: list[Phase]) -> Phase:
    """Several runs of one phase as one: counts and samples added up, and the sum of each run's deltas."""
    total = Phase(phases[0].name, phases[0].users, phases[0].think)
    for phase in phases:
        total.samples += phase.samples
        total.updates += phase.updates
        total.orders += phase.orders
        total.collisions += phase.collisions
        total.any_number += phase.any_number
        total.failures += phase.failures
        total.api += phase.api
        total.calls += phase.calls
        total.statuses += phase.statuses
    total.started, total.ended = 0.0, sum(p.wall for p in phases)

    def summed(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, Any]]:
        # A synthetic start sample: the last end minus the sum of every run's own delta.
        end = pairs[-1][1]
        start = dict(end)
        for key in ("t", "cpu", "thread_cpu", "gc_count", "gc_s"):
            if key not in end:
                continue
            if isinstance(end[key], list):
                start[key] = [
                    e - sum(b[key][i] - a[key][i] for a, b in pairs) for i, e in enumerate(end[key])
                ]
            else:
                start[key] = end[key] - sum(b[key] - a[key] for a, b in pairs)
        end = dict(end)
        if "gc_longest_s" in end:
            end["gc_longest_s"] = [max(b["gc_longest_s"][i] for _, b in pairs) for i in range(3)]
        return start, end

    total.bot = summed([p.bot for p in phases if p.bot])
    total.harness = summed([p.harness for p in phases if p.harness])
    return total


@dataclass(frozen=True)
class LogSetup:
    """How the bot under test logs and which event loop it runs on (product, baseline and mirror
    alike); production's defaults: INFO, ``EVENT_LOOP=auto`` (uvloop where installed)."""

    format: str = "text"
    level: str = "INFO"
    loop: str = "auto"

    @classmethod
    def of(cls, args: argparse.Namespace) -> LogSetup:
        return cls(args.log_format, args.log_level, args.event_loop)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env() -> dict[str, str]:
    """This environment without anything the bot's settings would read."""
    names = {name.upper() for name in Settings.model_fields}
    return {k: v for k, v in os.environ.items() if k.upper() not in names}


@contextlib.asynccontextmanager
async def started(
    kind: str,
    tmp: Path,
    webhook: bool,
    *,
    rate_limit: int | None,
    client_rate_limit: int | None,
    mirror: bool = False,
    log: LogSetup | None = None,
) -> AsyncIterator[Run]:
    """The fake Bot API, the emulator (product and calls only) and the bot process, all on 127.0.0.1.

    ``mirror`` makes the baseline send the product's Bot API calls instead of one message an update.
    ``log``: the bot's log format and level (the same for every kind; INFO text by default).
    """
    log = log or LogSetup()
    async with contextlib.AsyncExitStack() as stack:
        fake = TimedTelegram()
        await stack.enter_async_context(fake)
        emulator = None
        config: dict[str, Any] = {
            "kind": kind,
            "token": fake.token,
            "telegram_url": fake.base_url,
            "webhook_port": free_port() if webhook else None,
            "mirror": mirror,
            "log_format": log.format,
            "log_level": log.level,
            "event_loop": log.loop,
        }
        if kind in ("product", "calls"):
            sandbox = Sandbox(
                SandboxConfig(
                    balance=BALANCE, rate_limit=rate_limit or UNLIMITED, rate_window_seconds=REAL_WINDOW
                )
            )
            emulator = await stack.enter_async_context(serve_emulator(sandbox))
            db = tmp / f"bot-{time.monotonic_ns()}.db"
            config.update(
                zadarma_url=emulator.url,
                zadarma_key=sandbox.key,
                zadarma_secret=sandbox.secret,
                db_path=str(db),
                client_rate_limit=client_rate_limit,
            )
        bot = await BotProcess.start(config, tmp / f"{kind}-{time.monotonic_ns()}.log", env=clean_env())
        try:
            yield Run(fake, bot, emulator)
        finally:
            await bot.stop()


async def warm_up(run: Run) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """One order per country with a cold catalog, then one order alone with a warm one.

    Returns the emulator's calls for the cold orders and for the warm one.
    """
    assert run.emulator is not None
    sandbox = run.emulator.sandbox
    routes = routes_for(sandbox, len(ROUTES))
    by_country = {r.iso: r for r in reversed(routes)}
    [customer] = run.customers(1)
    phase = Phase("warm-up", 1, 0.0)
    before = Counter(sandbox.calls)
    for route in by_country.values():
        customer.route = route
        await customer.order(phase)
    await run.bot.call("drain")
    cold = Counter(sandbox.calls) - before
    before = Counter(sandbox.calls)
    customer.route = by_country["US"]
    await customer.order(phase)
    await run.bot.call("drain")
    warm = Counter(sandbox.calls) - before
    if phase.failures:
        raise SystemExit(f"warm-up failed: {phase.failures}")
    return cold, warm


# ---------------------------------------------------------------------------- reporting


def ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def print_latency(phase: Phase, indent: str = "  ") -> None:
    for which, label in (("first", "first reply"), ("done", "step done")):
        values = phase.latencies(which)
        print(
            f"{indent}{label:<12} p50 {ms(percentile(values, 50)):>7} ms"
            f"   p95 {ms(percentile(values, 95)):>7} ms   p99 {ms(percentile(values, 99)):>7} ms"
            f"   max {ms(max(values, default=math.nan)):>7} ms"
            f"   ({len(values)} updates)"
        )


def print_steps(phase: Phase, indent: str = "  ") -> None:
    heads = f"{'first p50':>11}{'first p99':>11}{'done p50':>10}{'done p99':>10}"
    print(f"{indent}{'step':<11}{'n':>6}{heads}  (ms)")
    for step in STEPS:
        first, done = phase.latencies("first", step), phase.latencies("done", step)
        if not first:
            continue
        print(
            f"{indent}{step:<11}{len(first):>6}{ms(percentile(first, 50)):>11}{ms(percentile(first, 99)):>11}"
            f"{ms(percentile(done, 50)):>10}{ms(percentile(done, 99)):>10}"
        )


def print_step_percentiles(phase: Phase, indent: str = "  ") -> None:
    """For every step of the order flow: first reply and step done, p50/p95/p99/max."""
    print(f"{indent}{'step':<11}{'':<12}{'n':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}  (ms)")
    for step in STEPS:
        for which, label in (("first", "first reply"), ("done", "step done")):
            values = phase.latencies(which, step)
            if not values:
                continue
            cells = "".join(f"{ms(percentile(values, q)):>9}" for q in (50, 95, 99))
            print(
                f"{indent}{step if which == 'first' else '':<11}{label:<12}{len(values):>6}{cells}"
                f"{ms(max(values)):>9}"
            )


def print_log_volume(bot: BotProcess, phase: Phase, indent: str = "  ") -> None:
    """How much the bot logged so far (all its log, not only this phase), to show the level is live."""
    lines = bot.log_lines()
    size = bot.log_path.stat().st_size if bot.log_path.exists() else 0
    by_logger = Counter(logger_of(line) or "(not a log line)" for line in lines)
    print(
        f"{indent}bot log so far: {len(lines)} lines, {size / 1024:.0f} kB (this phase: "
        + (f"{phase.updates} updates" if phase.updates else f"{sum(phase.calls.values())} calls")
        + "); lines by logger: "
        + ", ".join(f"{name} {n}" for name, n in by_logger.most_common(6))
    )


def print_resources(phase: Phase, indent: str = "  ") -> None:
    cpu, wall, hcpu = phase.bot_cpu(), phase.bot_wall(), phase.harness_cpu()
    main = phase.bot_delta("thread_cpu")
    per = phase.updates or 1
    print(
        f"{indent}bot process:     {cpu:6.2f} CPU s = {cpu / per * 1000:6.3f} ms per update"
        f" ({cpu / wall:4.0%} of one core over {wall:.2f} s; event-loop thread {main / wall:4.0%},"
        f" other threads {max(0.0, cpu - main) / wall:4.0%})"
    )
    count, seconds = phase.bot_delta("gc_count"), phase.bot_delta("gc_s")
    longest = phase.bot[1]["gc_longest_s"] if phase.bot else [0.0] * 3
    print(
        f"{indent}bot garbage collector: {count[2]} full collections ({seconds[2] * 1000:.0f} ms in all,"
        f" longest {longest[2] * 1000:.0f} ms), {count[0] + count[1]} young"
        f" ({(seconds[0] + seconds[1]) * 1000:.0f} ms); CPU per update without the full collections"
        f" {(cpu - seconds[2]) / per * 1000:.3f} ms"
    )
    api = ", ".join(f"{m} {n / per:.2f}" for m, n in phase.api.most_common())
    print(f"{indent}Bot API calls per update: {sum(phase.api.values()) / per:.2f} ({api})")
    assert phase.harness is not None
    hgc = sum(phase.harness[1]["gc_count"]) - sum(phase.harness[0]["gc_count"])
    print(
        f"{indent}harness process: {hcpu:6.2f} CPU s = {hcpu / per * 1000:6.3f} ms per update"
        f" ({hcpu / phase.wall:4.0%} of one core; {hgc} GC runs) [fake Bot API, emulator, users: not counted]"
    )


def print_calls(phase: Phase, orders: int, indent: str = "  ") -> None:
    total = sum(phase.calls.values())
    each = total / max(orders, 1)
    print(f"{indent}Zadarma calls: {total} for {orders} completed orders = {each:.2f} per order")
    for (method, route), count in sorted(phase.calls.items(), key=lambda kv: -kv[1]):
        print(f"{indent}  {method:<5}{route:<34}{count:>7}   {count / max(orders, 1):6.2f} per order")
    refused = {k: v for k, v in phase.statuses.items() if k[0] >= 400}
    if refused:
        print(f"{indent}  refused replies: {dict(refused)}")


def rss_line(mark: dict[str, Any]) -> str:
    """RSS now and at its peak (``VmHWM``; ``ru_maxrss`` agrees unless it kept the harness image
    the process was forked from: Linux carries that over ``execve``)."""
    rss, hwm, maxrss = mark.get("rss_kb", 0) / 1024, mark.get("hwm_kb", 0) / 1024, mark["maxrss_kb"] / 1024
    line = f"VmRSS {rss:.1f} MB, peak VmHWM {hwm:.1f} MB"
    if abs(maxrss - hwm) <= 1:
        return line + f" (ru_maxrss {maxrss:.1f} MB)"
    return line + f" (ru_maxrss {maxrss:.1f} MB includes the harness image it was forked from)"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_failures(phase: Phase) -> None:
    if phase.failures:
        common = Counter(phase.failures).most_common(3)
        print(f"  !! {len(phase.failures)} users stopped early: {common}")
    if phase.collisions:
        print(f"  note: {phase.collisions} confirmations found the number taken meanwhile (picked again)")
    if phase.any_number:
        print(f"  note: {phase.any_number} times every number on the page was chosen already: 'Any number'")


def print_bot_log(bot: BotProcess) -> None:
    lines = bot.warning_lines()
    if lines:
        print(f"  the bot logged {len(lines)} WARNING+ lines; first: {lines[0][:160]}")


def print_profile(path: Path, count: int = 30) -> None:
    print(f"\n--- cProfile of the bot process ({path}) ---")
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(count)
    stats.sort_stats("cumulative").print_stats(count)


# ---------------------------------------------------------------------------- modes


@dataclass
class Results:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    ratio_line: str = ""

    def add(self, name: str, measured: str, target: str, ok: bool, *, info: bool = False) -> None:
        self.rows.append((name, measured, target, "(info)" if info else verdict(ok)))


async def baseline_runs(
    run: Run, args: argparse.Namespace, label: str, *, mirror: bool = False
) -> list[Phase]:
    """One customer's warm-up round, then ``args.baseline_repeats`` phases of all users' rounds."""
    customers = await baseline_warm_up(run, args, label, mirror=mirror)
    return [
        await baseline_phase(run, args, label, customers, mirror=mirror) for _ in range(args.baseline_repeats)
    ]


async def baseline_warm_up(
    run: Run, args: argparse.Namespace, label: str, *, mirror: bool = False
) -> list[Customer]:
    """One customer's round on the minimal bot (``mirror``: making the product's calls); returns the users."""
    customers = run.customers(args.users)
    [warmer] = run.customers(1)
    await run.phase(f"{label} warm-up", [warmer], lambda c, p: c.baseline_round(p, mirror=mirror))
    return customers


async def baseline_phase(
    run: Run, args: argparse.Namespace, label: str, customers: list[Customer], *, mirror: bool = False
) -> Phase:
    """One measured phase of the minimal bot: every user's ``args.rounds`` rounds, no pause."""

    async def rounds(customer: Customer, phase: Phase) -> None:
        for _ in range(args.rounds):
            await customer.baseline_round(phase, mirror=mirror)

    return await run.phase(label, customers, rounds)


async def product_saturation(run: Run, args: argparse.Namespace, customers: list[Customer]) -> Phase:
    """(a): the warm-up, then every customer ordering ``args.rounds`` times with no pause; printed."""
    await product_warm_up(run)
    sat = await product_phase(run, args, customers)
    print_saturation(run, args, sat, [sat])
    return sat


async def product_warm_up(run: Run) -> None:
    """One order per country with a cold catalog, then one alone with a warm one; printed."""
    assert run.emulator is not None
    print(
        f"bot under test: pid {run.bot.pid}, mode {run.bot.ready['mode']}, RSS after start "
        f"{run.bot.ready.get('rss_kb', 0) / 1024:.1f} MB; emulator and client rate limits lifted"
    )
    cold, warm = await warm_up(run)
    print(
        f"warm-up: 3 orders with a cold catalog took {sum(cold.values())} Zadarma calls; one order alone"
        f" with a warm catalog took {sum(warm.values())}: "
        + ", ".join(f"{m} {r}" + (f" x{c}" if c > 1 else "") for (m, r), c in sorted(warm.items()))
    )


async def product_phase(
    run: Run, args: argparse.Namespace, customers: list[Customer], orders: int | None = None
) -> Phase:
    """One measured saturation phase: every customer ordering ``orders`` (``args.rounds``) times, no pause."""

    async def saturate(customer: Customer, phase: Phase) -> None:
        for _ in range(args.rounds if orders is None else orders):
            await customer.order(phase)

    if profiling(args):
        await run.bot.call("profile", on=True)
    sat = await run.phase("saturation", customers, saturate)
    if profiling(args):
        await run.bot.call("profile", on=False, path=str(args.profile))
    return sat


async def calls_phase(run: Run, users: int, orders: int, name: str = "zadarma calls") -> Phase:
    """The Zadarma calls of ``users`` x ``orders`` of the product's orders, made alone by its client.

    Each user's numbers are put on the market first (the calls process gets them in its plan); the
    users order at once, each one number after another, as in the product's saturation phase.
    """
    assert run.emulator is not None and run.market is not None
    market = run.market
    plan = [
        [
            [route.direction_id, number.id, number.number]
            for number in (market.refill(route.direction_id) for _ in range(orders))
        ]
        for route in routes_for(run.emulator.sandbox, users)
    ]
    phase = Phase(name, users, 0.0)
    calls0 = Counter(run.emulator.sandbox.calls)
    bot0 = await run.bot.call("mark")
    gc.collect()
    gc.disable()
    harness0 = harness_usage()
    phase.started = time.perf_counter()
    bot1 = await run.bot.call("orders", plan=plan, within=600)
    phase.ended = time.perf_counter()
    harness1 = harness_usage()
    gc.enable()
    phase.calls = Counter(run.emulator.sandbox.calls) - calls0
    phase.orders = users * orders
    phase.bot, phase.harness = (bot0, bot1), (harness0, harness1)
    return phase


def print_calls_alone(calls: Phase, runs: list[Phase], label: str) -> None:
    """The calls-alone section: CPU per order and per call, and the calls made."""
    total = sum(calls.calls.values())
    cpu = calls.bot_cpu()
    print(
        f"\n{label} the product's Zadarma calls alone: its client (same transport, heap settings and"
        " logging) making each order's calls, the product's, with no bot around them; run"
        f" {len(runs)} times, on an emulator of its own that grows as the product's does"
    )
    print(
        f"  {calls.orders} orders in {calls.wall:.2f} s; CPU per order by run: "
        + ", ".join(f"{r.bot_cpu() / r.orders * 1000:.3f} ms" for r in runs)
        + f"; {cpu / calls.orders * 1000:.3f} ms per order, {cpu / max(total, 1) * 1000:.3f} ms per call"
    )
    print_calls(calls, calls.orders)


def profiling(args: argparse.Namespace) -> bool:
    """Whether the saturation phase runs under cProfile (``--profile FILE``)."""
    return args.profile is not None and args.profile_phase == "saturation"


def print_saturation(
    run: Run, args: argparse.Namespace, sat: Phase, runs: list[Phase], orders: int | None = None
) -> None:
    """Section (a): ``sat``, the ``runs`` of the saturation phase (``orders`` per user each) merged."""
    print(
        f"\n(a) saturation: {args.users} users x {args.rounds if orders is None else orders} orders,"
        " no pause between steps"
        + (f"; run {len(runs)} times, figures over all runs" if len(runs) > 1 else "")
        + (" [under cProfile: slower]" if profiling(args) else "")
    )
    print(
        f"  completed orders: {sat.orders}; updates handled: {sat.updates} in {sat.wall:.2f} s"
        f" = {sat.updates / sat.wall:.1f} updates/s ({sat.orders / sat.wall:.1f} orders/s)"
        + ("; CPU per update by run: " + by_run(runs) if len(runs) > 1 else "")
    )
    print_resources(sat)
    print_latency(sat)
    print("  (closed loop without pauses: latency ~ users / throughput, so it is not the latency figure)")
    print_calls(sat, sat.orders)
    print_failures(sat)
    print_log_volume(run.bot, sat)


def by_run(runs: list[Phase]) -> str:
    """Each run's CPU per update, in the order they ran."""
    return ", ".join(f"{r.bot_cpu() / r.updates * 1000:.3f} ms" for r in runs)


async def baseline_section(args: argparse.Namespace, tmp: Path, label: str = "(c)") -> Phase:
    """The minimal aiogram bot, one message an update, ``args.baseline_repeats`` runs; printed."""
    webhook = args.transport == "webhook"
    log = LogSetup.of(args)
    async with started("baseline", tmp, webhook, rate_limit=None, client_rate_limit=None, log=log) as base:
        refs = await baseline_runs(base, args, "baseline")
        return await print_baseline(base, args, refs, label)


async def print_baseline(base: Run, args: argparse.Namespace, refs: list[Phase], label: str) -> Phase:
    """The baseline's section: its ``refs`` runs merged, which it returns."""
    log = LogSetup.of(args)
    ref = merged(refs)
    print(
        f"\n{label} baseline: minimal aiogram bot (Dispatcher + Bot, one sendMessage per update), same"
        f" transport, heap freeze and logging ({log.level} {log.format}), {args.users} users x"
        f" {args.rounds} x 6 updates, no pauses; run {len(refs)} times, figures over all runs"
    )
    print(
        f"  updates handled: {ref.updates} in {ref.wall:.2f} s = {ref.updates / ref.wall:.1f} updates/s;"
        " CPU per update by run: "
        + ", ".join(
            f"{r.bot_cpu() / r.updates * 1000:.3f} ms ({r.bot_delta('gc_count')[2]} full GCs)" for r in refs
        )
    )
    print_resources(ref)
    print_latency(ref)
    print_failures(ref)
    print(f"  baseline bot memory: {rss_line(ref.bot[1] if ref.bot else base.bot.ready)}")
    heap = await base.bot.call("heap", top=1)
    print(f"  baseline heap: {heap['frozen']} objects frozen before serving (the product's settle_heap)")
    print_log_volume(base.bot, ref)
    print_bot_log(base.bot)
    return ref


async def mirror_section(args: argparse.Namespace, tmp: Path, label: str = "(d)") -> Phase:
    """The minimal aiogram bot making the product's Bot API calls for the same updates; printed."""
    webhook = args.transport == "webhook"
    async with started(
        "baseline", tmp, webhook, rate_limit=None, client_rate_limit=None, mirror=True, log=LogSetup.of(args)
    ) as same_calls:
        mirrors = await baseline_runs(same_calls, args, "mirror", mirror=True)
        return print_mirror(same_calls, mirrors, label)


def print_mirror(same_calls: Run, mirrors: list[Phase], label: str) -> Phase:
    """The mirror's section: its ``mirrors`` runs merged, which it returns."""
    mirror = merged(mirrors)
    print(
        f"\n{label} aiogram alone making this bot's Bot API calls: the minimal bot, but each order's 6"
        " updates cause the product's 16 calls (4 sendMessage, 4 answerCallbackQuery, 6 editMessageText,"
        f" 2 editMessageReplyMarkup); same heap freeze and logging; run {len(mirrors)} times"
    )
    print(
        f"  updates handled: {mirror.updates} in {mirror.wall:.2f} s"
        f" = {mirror.updates / mirror.wall:.1f} updates/s; CPU per update by run: {by_run(mirrors)}"
    )
    print_resources(mirror)
    print_failures(mirror)
    print_log_volume(same_calls.bot, mirror)
    return mirror


def compare(
    sat: Phase, ref: Phase, mirror: Phase, results: Results, *, interleaved: bool, calls: Phase | None = None
) -> None:
    """The product against the baseline and the mirror (saturation figures); sets ``results.ratio_line``.

    With ``calls`` (the product's Zadarma calls made alone), also what those calls cost per update
    of the product's flow, as a share of the mirror: ``own_share`` cannot go below it with them.

    Not ``interleaved`` (the product measured first, the others after it), ``own_share`` is
    printed for information only: on shared cores a machine that slows under a long load
    favours whatever runs first, and ``--mode ratio``, which takes turns, is the figure of record.
    """
    ours_cpu = sat.bot_cpu() / sat.updates
    base_cpu = ref.bot_cpu() / ref.updates
    mirror_cpu = mirror.bot_cpu() / mirror.updates
    ours_rate = sat.updates / sat.wall
    base_rate = ref.updates / ref.wall
    own_share = (ours_cpu - mirror_cpu) / mirror_cpu
    print("\nbot vs baseline (saturation, same harness, same heap freeze and logging):")
    print(
        f"  CPU per update: {ours_cpu * 1000:.3f} ms vs {base_cpu * 1000:.3f} ms = {ours_cpu / base_cpu:.2f}x"
    )
    print(f"  throughput:     {ours_rate:.1f} vs {base_rate:.1f} updates/s = {ours_rate / base_rate:.2f}x")
    print(
        f"  aiogram making the same Bot API calls alone: {mirror_cpu * 1000:.3f} ms per update"
        f" = {mirror_cpu / base_cpu:.2f}x the baseline; the bot's own work on top of that:"
        f" {(ours_cpu - mirror_cpu) * 1000:.3f} ms per update = {own_share:.2f} of the mirror's"
        " (conversations, storage, Zadarma calls, rendering, its own log lines)"
    )
    if calls is not None:
        # per update of the product's flow: the calls' CPU per order over the product's updates per order
        calls_cpu = calls.bot_cpu() / calls.orders / (sat.updates / sat.orders)
        floor = calls_cpu / mirror_cpu
        print(
            f"  of which at least the Zadarma calls: made alone by the product's client, an order's calls"
            f" cost {calls_cpu * 1000:.3f} ms per update of the flow = {floor:.2f} of the mirror's: the"
            " lowest own_share can go while an order makes these calls"
        )
        results.add("  Zadarma calls alone: (calls) / mirror", f"{floor:.2f}", "", True, info=True)
    print(
        f"  CPU-bound ceiling (1 / CPU per update): {1 / ours_cpu:.0f} updates/s"
        f" (baseline {1 / base_cpu:.0f}); the bot's threads share one GIL, so one core is all it can use"
    )
    ratio = ours_cpu / base_cpu
    results.add(
        "updates handled per second (saturation)",
        f"{ours_rate:.1f}/s",
        f">= {TARGET_UPDATES_PER_S:.0f}/s",
        ours_rate >= TARGET_UPDATES_PER_S,
    )
    results.add("CPU per update vs baseline", f"{ratio:.2f}x", "", True, info=True)
    results.add(
        "  the same Bot API calls by aiogram alone vs baseline",
        f"{mirror_cpu / base_cpu:.2f}x",
        "",
        True,
        info=True,
    )
    if interleaved:
        results.add(
            "own share: (bot - mirror) / mirror", f"{own_share:.2f}", "<= 0.5", own_share <= TARGET_OWN_SHARE
        )
    else:
        print("  (measured one after another, the product first: see --mode ratio, which takes turns)")
        label = "own share, one after another (see --mode ratio)"
        results.add(label, f"{own_share:.2f}", "", True, info=True)
    results.ratio_line = (
        f"cpu_per_update_ms={ours_cpu * 1000:.3f} baseline_ms={base_cpu * 1000:.3f}"
        f" mirror_ms={mirror_cpu * 1000:.3f} ratio={ratio:.2f} own_share={own_share:.2f}"
    )
    print(f"  {results.ratio_line}")


async def throughput(args: argparse.Namespace, tmp: Path, results: Results) -> None:
    webhook = args.transport == "webhook"
    log = LogSetup.of(args)
    print(
        f"\n=== throughput: {args.users} users, transport {args.transport},"
        f" bot log {log.level} {log.format} ==="
    )
    print(
        "bot CPU = time.process_time() of the bot's own process (event loop + aiosqlite thread); the fake"
        " Bot API server, the emulator and the users run in the harness process and are reported apart"
    )
    async with started(
        "product", tmp, webhook, rate_limit=UNLIMITED, client_rate_limit=UNLIMITED, log=log
    ) as run:
        assert run.emulator is not None
        routes = routes_for(run.emulator.sandbox, args.users)
        customers = run.customers(args.users, routes=routes)
        sat = await product_saturation(run, args, customers)

        async def paced(customer: Customer, phase: Phase) -> None:
            await asyncio.sleep(random.uniform(0, args.think))
            for _ in range(args.latency_rounds):
                await customer.order(phase, think=args.think)

        profiling = args.profile is not None and args.profile_phase == "latency"
        if profiling:
            await run.bot.call("profile", on=True)
        lat = await run.phase("latency", customers, paced, think=args.think)
        if profiling:
            await run.bot.call("profile", on=False, path=str(args.profile))
        print(
            f"\n(b) latency: the same {args.users} users x {args.latency_rounds} orders, pausing"
            f" {args.think / 2:.2f}-{args.think * 1.5:.2f} s (uniform) before each step; no round trips"
            " injected (see --mode latency)"
        )
        print(
            f"  completed orders: {lat.orders}; updates: {lat.updates} in {lat.wall:.2f} s"
            f" = {lat.updates / lat.wall:.1f} updates/s offered"
        )
        print_latency(lat)
        slow = sum(1 for v in lat.latencies("first") if v > TARGET_P99_MS)
        print(f"  first replies slower than {TARGET_P99_MS:.0f} ms: {slow} of {len(lat.samples)}")
        print_steps(lat)
        print_resources(lat)
        print_calls(lat, lat.orders)
        print_failures(lat)
        end = await run.bot.call("mark")
        print(f"  bot memory at the end: {rss_line(end)}")
        heap = await run.bot.call("heap")
        print(
            f"  bot heap: {heap['frozen']} objects frozen at start-up; tracked by generation"
            f" {heap['generations']}; oldest by type: "
            + ", ".join(f"{kind} {count}" for kind, count in heap["oldest_by_type"][:8])
        )
        print_bot_log(run.bot)

    ref = await baseline_section(args, tmp)
    mirror = await mirror_section(args, tmp)
    compare(sat, ref, mirror, results, interleaved=False)
    total_orders = sat.orders + lat.orders
    total_calls = sum(sat.calls.values()) + sum(lat.calls.values())
    p99 = percentile(lat.latencies("first"), 99)
    results.add(
        f"reply latency p99, {args.users} users (think {args.think:g} s)",
        f"{p99:.1f} ms",
        "<= 50 ms",
        p99 <= TARGET_P99_MS,
    )
    per_order = total_calls / max(total_orders, 1)
    each = [sum(p.calls.values()) / max(p.orders, 1) for p in (sat, lat)]
    split = f"{each[0]:.1f}/{each[1]:.1f}"
    results.add(
        "Zadarma calls per completed order (warm; (a)/(b))",
        f"{per_order:.2f} ({split})",
        "<= 4",
        per_order <= TARGET_CALLS_PER_ORDER and total_orders > 0,
    )
    peak = end.get("hwm_kb", end["maxrss_kb"]) / 1024
    results.add("peak RSS, throughput run", f"{peak:.1f} MB", "", True, info=True)


async def ratio(args: argparse.Namespace, tmp: Path, results: Results) -> None:
    """Saturation only: the product, the baseline and the mirror taking turns; ends with the one-line summary.

    The three bots run side by side (each with its own fake Bot API; the ones not measured are
    idle) and take turns, ``args.baseline_repeats`` phases each, the order rotated every round so
    that each goes first, second and third once in three rounds: a machine that is faster or
    slower for a while (on shared cores, by tens of percent) then weighs on all three alike.
    """
    webhook = args.transport == "webhook"
    log = LogSetup.of(args)
    rounds = args.baseline_repeats
    # The account grows by every order, and the emulator (the harness) renders the whole list for the
    # check before each one: the product's phases share out --rounds orders per user, so that the
    # account stays about the size one phase of --rounds orders leaves.
    orders = math.ceil(args.rounds / rounds)
    print(
        f"\n=== ratio: product, baseline and mirror taking turns at saturation, {rounds} phases each, the"
        f" order rotated every round; {args.users} users, each phase {orders} orders a user (product) or"
        f" {args.rounds} x 6 updates a user (baseline, mirror); transport {args.transport},"
        f" bot log {log.level} {log.format} ==="
    )
    async with (
        started("product", tmp, webhook, rate_limit=UNLIMITED, client_rate_limit=UNLIMITED, log=log) as run,
        started("baseline", tmp, webhook, rate_limit=None, client_rate_limit=None, log=log) as base,
        started(
            "baseline", tmp, webhook, rate_limit=None, client_rate_limit=None, mirror=True, log=log
        ) as same_calls,
        started("calls", tmp, webhook, rate_limit=UNLIMITED, client_rate_limit=UNLIMITED, log=log) as alone,
    ):
        assert run.emulator is not None
        customers = run.customers(args.users, routes=routes_for(run.emulator.sandbox, args.users))
        await product_warm_up(run)
        base_users = await baseline_warm_up(base, args, "baseline")
        mirror_users = await baseline_warm_up(same_calls, args, "mirror", mirror=True)
        await calls_phase(alone, len(ROUTES) + 1, 1, "calls warm-up")  # as many orders as the product's
        turns: dict[str, Callable[[], Awaitable[Phase]]] = {
            "product": lambda: product_phase(run, args, customers, orders),
            "baseline": lambda: baseline_phase(base, args, "baseline", base_users),
            "mirror": lambda: baseline_phase(same_calls, args, "mirror", mirror_users, mirror=True),
            "calls": lambda: calls_phase(alone, args.users, orders),
        }
        kinds = list(turns)
        phases: dict[str, list[Phase]] = {kind: [] for kind in kinds}
        order: list[str] = []
        for i in range(rounds):
            shift = i % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                phases[kind].append(await turns[kind]())
                order.append(kind)
        print(f"turns: {', '.join(order)}")
        sat = merged(phases["product"])
        print_saturation(run, args, sat, phases["product"], orders)
        print_bot_log(run.bot)
        ref = await print_baseline(base, args, phases["baseline"], "(b)")
        mirror = print_mirror(same_calls, phases["mirror"], "(c)")
        calls = merged(phases["calls"])
        print_calls_alone(calls, phases["calls"], "(d)")
        print_log_volume(alone.bot, calls)
    shares = [
        (p.bot_cpu() / p.updates) / (m.bot_cpu() / m.updates) - 1
        for p, m in zip(phases["product"], phases["mirror"], strict=True)
    ]
    print(f"\nown_share by round (each round's product phase against its mirror phase): {fmt_list(shares)}")
    compare(sat, ref, mirror, results, interleaved=True, calls=calls)


def fmt_list(values: list[float]) -> str:
    """``values`` to two decimals, comma-separated."""
    return ", ".join(f"{v:.2f}" for v in values)


async def latency(args: argparse.Namespace, tmp: Path, results: Results) -> None:
    """Paced users with real round trips injected: Zadarma answers late, so does the Bot API."""
    webhook = args.transport == "webhook"
    log = LogSetup.of(args)
    think = args.latency_think
    print(
        f"\n=== latency: {', '.join(map(str, args.latency_users))} paced users"
        f" x {args.latency_rounds} orders;"
        f" round trips injected on 127.0.0.1: Zadarma {args.zadarma_rtt_ms} ms per call, Bot API"
        f" {args.bot_api_rtt_ms} ms per call (and per update delivered); pause"
        f" {think / 2:.2f}-{think * 1.5:.2f} s (uniform) before each step; transport {args.transport},"
        f" bot log {log.level} {log.format} ==="
    )
    print(
        "first reply: update made available -> the bot's first sendMessage/editMessageText for that chat"
        " arrives; step done: -> the message showing the step's next menu arrives"
    )
    async with started(
        "product", tmp, webhook, rate_limit=UNLIMITED, client_rate_limit=UNLIMITED, log=log
    ) as run:
        assert run.emulator is not None
        cold, warm = await warm_up(run)  # without round trips: the catalog is warm before measuring
        print(f"warm-up: {sum(cold.values())} + {sum(warm.values())} Zadarma calls, no round trips injected")
        run.emulator.sandbox.set_faults(latency_ms=args.zadarma_rtt_ms)
        run.fake.round_trip = args.bot_api_rtt_ms / 1000

        async def paced(customer: Customer, phase: Phase) -> None:
            # Starts spread over one order's pauses, so that the users are not in step with each other
            # (in step, a direction's users all choose from its first page at once, and collide).
            await asyncio.sleep(random.uniform(0, think * len(STEPS)))
            for _ in range(args.latency_rounds):
                await customer.order(phase, think=think)

        for users in args.latency_users:
            routes = routes_for(run.emulator.sandbox, users)
            customers = run.customers(users, routes=routes)
            phase = await run.phase(f"latency {users}", customers, paced, think=think)
            cpu = phase.bot_cpu() / phase.bot_wall()
            # Each user sends one update per (pause + step time): the rate offered while all are active.
            step_s = sum(phase.latencies("done")) / max(len(phase.samples), 1) / 1000
            print(
                f"\n{users} paced users: {phase.orders} orders completed; {phase.updates} updates in"
                f" {phase.wall:.1f} s = {phase.updates / phase.wall:.1f} updates/s over the whole phase"
                f" (ramp-up and tail included); offered while all users are active: {users} / ({think:g} s"
                f" pause + {step_s:.2f} s mean step) = {users / (think + step_s):.1f} updates/s; the bot"
                f" used {cpu:.0%} of one core ({phase.bot_cpu() / max(phase.updates, 1) * 1000:.2f} ms CPU"
                " per update)"
            )
            print_latency(phase)
            print_step_percentiles(phase)
            print_resources(phase)
            print_calls(phase, phase.orders)
            print_failures(phase)
            p99 = percentile(phase.latencies("first"), 99)
            results.add(
                f"first reply p99, {users} paced users, round trips",
                f"{p99:.1f} ms",
                f"<= {TARGET_RTT_P99_MS:.0f} ms",
                p99 <= TARGET_RTT_P99_MS,
                info=users != LATENCY_TARGET_USERS,
            )
        print_bot_log(run.bot)


async def ratelimit(args: argparse.Namespace, tmp: Path, results: Results) -> None:
    webhook = args.transport == "webhook"
    print(
        f"\n=== ratelimit: {args.users} users for {args.seconds:g} s; emulator {REAL_LIMIT} requests per"
        f" {REAL_WINDOW:.0f} s window, client's default limiter; transport {args.transport} ==="
    )
    async with started(
        "product", tmp, webhook, rate_limit=REAL_LIMIT, client_rate_limit=None, log=LogSetup.of(args)
    ) as run:
        assert run.emulator is not None
        cold, warm = await warm_up(run)
        minimum = sum(warm.values())
        print(
            f"warm-up: {sum(cold.values())} calls for 3 cold orders; one warm order alone took"
            f" {minimum} calls (the fewest an order needs)"
        )
        # Fresh windows on both sides, so the measured time starts with a whole budget.
        run.emulator.sandbox.limiter.reset()
        await run.bot.call("reset_limiter")
        routes = routes_for(run.emulator.sandbox, args.users)
        customers = run.customers(args.users, routes=routes)
        deadline = time.perf_counter() + args.seconds

        async def until_deadline(customer: Customer, phase: Phase) -> None:
            while (left := deadline - time.perf_counter()) > 0:
                await customer.order(phase, within=left)

        phase = await run.phase("ratelimit", customers, until_deadline, seconds=args.seconds)
        print_bot_log(run.bot)
    seconds = args.seconds
    per_minute = phase.orders / seconds * 60
    ceiling = REAL_LIMIT / minimum
    windows = math.ceil(seconds / REAL_WINDOW - 1e-9)
    allowed = REAL_LIMIT * windows // minimum
    calls = sum(phase.calls.values())
    paid = sum(n for (m, r), n in phase.calls.items() if r == "direct_numbers.order")
    refused = sum(n for (status, _), n in phase.statuses.items() if status == 429)
    print(
        f"  completed orders (final card shown): {phase.orders} in {seconds:g} s"
        f" = {per_minute:.1f} orders/min; orders paid at Zadarma in that time: {paid}"
    )
    print(
        f"  ceiling: {REAL_LIMIT} calls/min / {minimum} calls per order = {ceiling:.1f} orders/min;"
        f" from fresh windows {seconds:g} s spans {windows} window(s) = {REAL_LIMIT * windows} calls"
        f" = {allowed} orders"
        f" -> {phase.orders / max(allowed, 1):.0%} of that reached"
    )
    print(f"  calls in the time: {calls} ({calls / seconds * 60:.0f}/min), refused with 429: {refused}")
    print_calls(phase, phase.orders)
    print("  steps finished, all users together: " + ", ".join(f"{s} {phase.reached[s]}" for s in STEPS))
    print(
        "  waiting for the bot when the time ran out: "
        + (", ".join(f"{n} in {step}" for step, n in phase.cut.most_common()) or "nobody")
    )
    if phase.order_times:
        done = sorted(t - phase.started for t in phase.order_times)
        print(f"  first order completed after {done[0]:.1f} s, the last after {done[-1]:.1f} s")
    print_latency(phase)
    results.add(
        f"orders in {seconds:g} s at {REAL_LIMIT} req/min, {args.users} users",
        f"{phase.orders} ({per_minute:.1f}/min)",
        f"ceiling {allowed} ({ceiling:.1f}/min)",
        True,
        info=True,
    )


async def memory(args: argparse.Namespace, tmp: Path, results: Results) -> None:
    webhook = args.transport == "webhook"
    count = args.conversations
    print(f"\n=== memory: {count} customers each open the order flow (/order); {args.transport} ===")
    async with started(
        "product", tmp, webhook, rate_limit=UNLIMITED, client_rate_limit=UNLIMITED, log=LogSetup.of(args)
    ) as run:
        start = run.bot.ready
        [first] = run.customers(1)
        warm = Phase("warm-up", 1, 0.0)
        await first.step(
            warm,
            "/order",
            lambda: run.fake.send_text(first.user, "/order"),
            has_button(first.watch, "United States"),
        )
        before = await run.bot.call("drain")
        customers = run.customers(count - 1)
        queue: Iterator[Customer] = iter(customers)

        async def worker(_: Customer | None, phase: Phase) -> None:
            for customer in queue:
                await customer.step(
                    phase,
                    "/order",
                    functools.partial(run.fake.send_text, customer.user, "/order"),
                    has_button(customer.watch, "United States"),
                )

        phase = await run.phase("memory", [], worker, workers=min(args.users, count))
        after = phase.bot[1] if phase.bot else before
        stored = (await run.bot.call("conversations"))["count"]
        size = files_size(tmp, "bot-") / 2**20
        print(f"  bot after start:          {rss_line(start)}")
        print(f"  after the first /order:   {rss_line(before)}")
        print(f"  with {stored} conversations: {rss_line(after)}")
        print(
            f"  {phase.updates} updates in {phase.wall:.1f} s ({phase.updates / phase.wall:.0f}/s);"
            f" SQLite files {size:.1f} MB"
        )
        grew = (after.get("rss_kb", 0) - before.get("rss_kb", 0)) / 1024
        each = grew * 1024 / max(phase.updates, 1)
        print(f"  RSS growth for {phase.updates} new customers: {grew:.1f} MB ({each:.2f} kB each)")
        print_failures(phase)
        print_bot_log(run.bot)
    async with started(
        "baseline", tmp, webhook, rate_limit=None, client_rate_limit=None, log=LogSetup.of(args)
    ) as base:
        customers = base.customers(min(args.users, count))
        ref = await base.phase("baseline", customers, lambda c, p: c.baseline_round(p))
        assert ref.bot is not None
        print(
            f"  for scale, the minimal aiogram bot (baseline) after {ref.updates} updates:"
            f" {rss_line(ref.bot[1])}"
        )
    peak = after.get("hwm_kb", after["maxrss_kb"]) / 1024
    results.add(
        f"peak RSS with {stored} stored conversations", f"{peak:.1f} MB", "<= 150 MB", peak <= TARGET_RSS_MB
    )


# ---------------------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> None:
    aiogram = importlib.metadata.version("aiogram")
    print(
        f"order_flow bench: Python {platform.python_version()}, aiogram {aiogram},"
        f" {os.cpu_count()} cores; bot and harness in separate processes (harness pid {os.getpid()})"
    )
    print(
        "updates by "
        + (
            "long polling (getUpdates against the fake Bot API server; the product's default)"
            if args.transport == "polling"
            else "webhook (the fake Bot API server POSTs each update to the bot's webhook route)"
        )
        + "; SQLite store in a temp file; Zadarma emulator over a real socket on 127.0.0.1"
    )
    loop = args.event_loop if args.event_loop != "auto" else ("uvloop" if uvloop_available() else "asyncio")
    print(f"event loop of every bot: {loop} (--event-loop {args.event_loop}; production: EVENT_LOOP=auto)")
    gc.callbacks.append(HARNESS_GC)
    results = Results()
    with tempfile.TemporaryDirectory(prefix="order-flow-") as name:
        tmp = Path(name)
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            tmp = args.keep
            print(f"the bots' logs and databases are kept in {tmp}")
        if args.mode in ("throughput", "all"):
            await throughput(args, tmp, results)
        if args.mode == "ratio":
            await ratio(args, tmp, results)
        if args.mode in ("latency", "all"):
            await latency(args, tmp, results)
        if args.mode in ("memory", "all"):
            await memory(args, tmp, results)
        if args.mode in ("ratelimit", "all"):
            await ratelimit(args, tmp, results)
    print("\n=== targets (2-core machine) ===")
    print(f"{'figure':<52}{'measured':>18}{'target':>24}  result")
    for name, measured, target, outcome in results.rows:
        print(f"{name:<52}{measured:>18}{target:>24}  {outcome}")
    if args.profile and args.mode in ("throughput", "ratio", "all"):
        print_profile(args.profile)
    if args.mode == "ratio":
        print(results.ratio_line)  # the last line, for scripts


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="concurrent customers (default 100)")
    parser.add_argument(
        "--mode",
        choices=("throughput", "ratio", "latency", "ratelimit", "memory", "all"),
        default="throughput",
        help="all = throughput, latency, memory, ratelimit (default throughput)",
    )
    parser.add_argument("--transport", choices=("polling", "webhook"), default="polling")
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text", help="the bot's log lines (default text)"
    )
    parser.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="INFO",
        help="the bot's log level, product and baseline alike (default INFO, as in production)",
    )
    parser.add_argument(
        "--event-loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="the bots' event loop, product, baseline and mirror alike (default auto: uvloop where"
        " installed, as in production's EVENT_LOOP)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="orders per user, saturation phase (default 5)")
    parser.add_argument(
        "--latency-rounds", type=int, default=2, help="orders per user, latency phase (default 2)"
    )
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean pause before each step, latency phase (default 1 s)"
    )
    parser.add_argument(
        "--latency-users",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[100, LATENCY_TARGET_USERS],
        help="paced users, latency mode, comma-separated (default 100,300)",
    )
    parser.add_argument(
        "--latency-think",
        type=float,
        default=1.5,
        help="mean pause before each step, latency mode (default 1.5 s)",
    )
    parser.add_argument(
        "--zadarma-rtt-ms", type=int, default=80, help="Zadarma round trip, latency mode (default 80)"
    )
    parser.add_argument(
        "--bot-api-rtt-ms", type=int, default=40, help="Bot API round trip, latency mode (default 40)"
    )
    parser.add_argument("--seconds", type=float, default=90.0, help="ratelimit run length (default 90)")
    parser.add_argument("--conversations", type=int, default=10_000, help="memory mode (default 10000)")
    parser.add_argument(
        "--baseline-repeats", type=int, default=3, help="runs of the baseline's updates (default 3)"
    )
    parser.add_argument("--keep", type=Path, help="keep the bots' logs and SQLite files in this directory")
    parser.add_argument("--profile", type=Path, help="cProfile the bot during one phase; write stats here")
    parser.add_argument("--profile-phase", choices=("saturation", "latency"), default="saturation")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
