"""Replicas benchmark: one bot on SQLite against 1, 2 and 3 replicas on PostgreSQL + Redis.

Run: ``.venv/bin/python bench/replicas.py [--users 40] [--saturate 15] [--paced 12] [--think 0.5]
[--budget 100] [--configs sqlite:1,pg:1,pg:2,pg:3]``. About 40 s a configuration on 2 cores.

Each configuration starts, on 127.0.0.1 only:

* the Zadarma emulator (``Sandbox.app()``, its real limit: ``--budget`` requests per 60 s per key),
  recording the time and status of every API call;
* the fake Telegram Bot API of the tests (``bench/order_flow.py``'s timed subclass), POSTing the
  updates to the webhook URL over up to ``--connections`` requests at once (Telegram's
  ``max_connections``, default 40);
* ``bench/rr_proxy.py``, a round-robin proxy: the webhook URL points at it and it spreads the
  updates over the replicas (as HAProxy does in ``deploy/compose.yaml``), one hop for every row;
* N real ``python -m bot run`` processes, configured only through the environment: webhook
  mode, ``ZADARMA_RATE_LIMIT=--budget`` (the account's budget, shared through Redis), and either
  a SQLite file, or a fresh PostgreSQL database (created from ``TEST_POSTGRES_URL`` and dropped
  afterwards) with ``REDIS_URL`` (``TEST_REDIS_URL``) under a unique ``REDIS_PREFIX`` (its keys
  deleted afterwards).

Simulated customers (``bench/order_flow.py``'s ``Customer``) browse the order flow again and again:
``/order``, the country, a direction (its free numbers); two directions, so the catalog caches of
every replica are exercised and the Zadarma calls stay within the budget. Phases: warm-up; (a)
saturation, no pause, ``--saturate`` s: updates/s and CPU per update (utime+stime of every replica
from ``/proc``, summed; the PostgreSQL and Redis servers are shared with other work and not
counted); (b) paced, a pause of ``--think`` s (0.5x-1.5x) before each step, ``--paced`` s: reply
latency (update available -> first answering message at the fake). The Zadarma calls of the whole
run, start-up included, are checked against the budget: at most ``--budget`` in any 60 s and no 429.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import contextlib
import os
import platform
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
for folder in (ROOT, BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from order_flow import (  # noqa: E402
    Customer,
    Phase,
    Route,
    StepTimeout,
    TimedTelegram,
    clean_env,
    free_port,
    has_button,
)
from support import percentile  # noqa: E402

from bot.sandbox import Sandbox, SandboxConfig  # noqa: E402
from tests.external import POSTGRES, REDIS  # noqa: E402
from tests.fakes.telegram_api import SECRET_HEADER, Injected  # noqa: E402

WEBHOOK_PATH = "/telegram/webhook"
WEBHOOK_SECRET = "bench-replicas-secret"
DIRECTIONS = (("US", "New York"), ("US", "Los Angeles"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------- the emulator, timed


@dataclass
class ApiLog:
    """Every Zadarma API call the emulator answered: (monotonic time, status)."""

    calls: list[tuple[float, int]] = field(default_factory=list)

    def between(self, start: float, end: float) -> int:
        return sum(1 for t, _ in self.calls if start <= t < end)

    def max_in_window(self, seconds: float = 60.0) -> int:
        times = sorted(t for t, _ in self.calls)
        return max((bisect.bisect_left(times, t + seconds) - i for i, t in enumerate(times)), default=0)

    def refused(self) -> int:
        return sum(1 for _, status in self.calls if status == 429)


@contextlib.asynccontextmanager
async def emulator(budget: int) -> AsyncIterator[tuple[Sandbox, str, ApiLog]]:
    sandbox = Sandbox(SandboxConfig(balance=Decimal("1000000.00"), rate_limit=budget, rate_window_seconds=60))
    log = ApiLog()

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        if not request.path.startswith("/_sandbox"):
            log.calls.append((time.monotonic(), response.status))
        return response

    app = sandbox.app()
    app.middlewares.append(record)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield sandbox, f"http://127.0.0.1:{runner.addresses[0][1]}", log
    finally:
        await runner.cleanup()


class ParallelTelegram(TimedTelegram):
    """The timed fake Bot API, delivering webhook updates over up to ``connections`` requests at once.

    The tests' fake POSTs one update at a time and waits for each answer; Telegram keeps up to
    ``max_connections`` (default 40) requests open to a webhook, which is what lets several
    replicas work at once. Each customer waits for the bot's answer before its next update, so a
    chat's updates still arrive in order. With ``retry`` an update whose POST got no 200 is sent
    again, with growing pauses, until one does (as Telegram does; ``retried`` counts them).
    """

    def __init__(self, connections: int = 40, *, retry: bool = False) -> None:
        super().__init__()
        self._slots = asyncio.Semaphore(connections)
        self._deliveries: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._retry = retry
        self.retried = 0

    def _push(self, injected: Injected) -> None:
        task = asyncio.create_task(self._deliver(injected))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, injected: Injected) -> None:
        async with self._slots:
            if self._session is None:
                self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
            headers = {SECRET_HEADER: self.webhook_secret} if self.webhook_secret else {}
            for attempt in range(60 if self._retry else 1):
                if attempt:
                    self.retried += 1
                    await asyncio.sleep(min(0.25 * 2 ** (attempt - 1), 4.0))
                try:
                    post = self._session.post(self.webhook_url, json=injected.payload, headers=headers)
                    async with post as reply:
                        await reply.read()
                        injected.pushed_status = reply.status
                except aiohttp.ClientError:
                    injected.pushed_status = 0
                self.webhook_responses.append((injected.update_id, injected.pushed_status))
                if injected.pushed_status == 200:
                    return

    async def close(self) -> None:
        for task in list(self._deliveries):
            task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        await super().close()


# ---------------------------------------------------------------------------- PostgreSQL and Redis


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new database on the ``TEST_POSTGRES_URL`` server, dropped afterwards."""
    import asyncpg

    admin = POSTGRES.url
    name = f"bench_replicas_{secrets.token_hex(6)}"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    parts = urlsplit(admin)
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


@contextlib.asynccontextmanager
async def redis_prefix() -> AsyncIterator[str]:
    """A unique key prefix on the ``TEST_REDIS_URL`` server; its keys are deleted afterwards."""
    import redis.asyncio as redis

    prefix = f"bench-replicas-{secrets.token_hex(6)}:"
    try:
        yield prefix
    finally:
        client = redis.from_url(REDIS.url)
        try:
            keys = [key async for key in client.scan_iter(match=prefix + "*", count=500)]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


# ---------------------------------------------------------------------------- processes


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Replica:
    proc: asyncio.subprocess.Process
    port: int
    log: Path

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


async def start_replica(env: dict[str, str], port: int, log: Path) -> Replica:
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=ROOT, stdout=out, stderr=out
        )
    return Replica(proc, port, log)


async def wait_healthy(replica: Replica, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if replica.proc.returncode is not None:
                raise SystemExit(f"a replica exited ({replica.proc.returncode}):\n{replica.tail()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{replica.port}/healthz") as reply:
                    if reply.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise SystemExit(f"a replica was not healthy within {within:.0f} s:\n{replica.tail()}")


async def stop_process(proc: asyncio.subprocess.Process, within: float = 30.0) -> None:
    """SIGTERM (the drain), then SIGKILL after ``within`` seconds; only this process, by its id."""
    if proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), within)
    except TimeoutError:
        proc.kill()
        await proc.wait()


@contextlib.asynccontextmanager
async def round_robin(upstreams: list[str], log: Path) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(BENCH / "rr_proxy.py"),
            str(port),
            *upstreams,
            stdout=asyncio.subprocess.PIPE,
            stderr=out,
        )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if line.strip() != b"ready":
            raise SystemExit(f"the proxy did not start: {line!r}")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        await stop_process(proc, 5)


# ---------------------------------------------------------------------------- load


@dataclass
class Row:
    replicas: int
    backend: str
    updates_per_s: float
    p50_ms: float
    p99_ms: float
    p99_done_ms: float
    cpu_ms: float
    calls_per_min: float
    max_60s: int
    refused: int
    spread: list[int]
    failures: int
    first_failure: str
    load: float  # the machine's 1-minute load average when the saturation phase ended
    replicas_cpu: float  # cores busy during saturation, all replicas together
    proxy_cpu: float
    harness_cpu: float


async def browse(
    customer: Customer, route: Route, phase: Phase, deadline: float, think: float, failures: list[str]
) -> None:
    """Open the order flow, pick the country, open a direction; again until ``deadline``."""
    fake, user, watch = customer.fake, customer.user, customer.watch
    steps = (
        ("/order", lambda: fake.send_text(user, "/order"), has_button(watch, "United States")),
        ("country", lambda: fake.send_text(user, route.iso), has_button(watch, route.city)),
        ("direction", lambda: customer.press(route.city), has_button(watch, "Any number")),
    )
    while True:
        for name, inject, done in steps:
            left = deadline - time.perf_counter()
            if left <= think * 1.5:
                return
            try:
                await customer.step(phase, name, inject, done, think=think, within=left)
            except StepTimeout as error:
                if deadline - time.perf_counter() > 0.5:
                    failures.append(str(error))
                return


async def measure(
    args: argparse.Namespace, replicas: int, backend: str, tmp: Path, database_url: str, redis: str
) -> Row:
    async with contextlib.AsyncExitStack() as stack:
        sandbox, api_url, api_log = await stack.enter_async_context(emulator(args.budget))
        fake = ParallelTelegram(args.connections)
        await stack.enter_async_context(fake)
        ports = [free_port() for _ in range(replicas)]
        proxy, proxy_pid = await stack.enter_async_context(
            round_robin([f"http://127.0.0.1:{p}" for p in ports], tmp / "proxy.log")
        )
        env = {
            **clean_env(),
            "ZADARMA_API_URL": api_url,
            "ZADARMA_KEY": sandbox.key,
            "ZADARMA_SECRET": sandbox.secret,
            "ZADARMA_RATE_LIMIT": str(args.budget),
            "DATABASE_URL": database_url,
            "STATE_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE": fake.base_url,
            "TELEGRAM_WEBHOOK_URL": proxy + WEBHOOK_PATH,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "HTTP_HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "text",
        }
        if redis:
            env |= {"REDIS_URL": REDIS.url, "REDIS_PREFIX": redis}
        started = [
            await start_replica({**env, "HTTP_PORT": str(port)}, port, tmp / f"replica-{i}.log")
            for i, port in enumerate(ports)
        ]
        try:
            await asyncio.gather(*(wait_healthy(r) for r in started))
            await fake.wait_for(lambda: fake.webhook_url == proxy + WEBHOOK_PATH, within=30)
            by_name = {(d.country_iso, d.name_en): d for d in sandbox.catalog.directions.values()}
            routes = [Route(iso, city, by_name[(iso, city)].id, 0) for iso, city in DIRECTIONS]
            users = [
                Customer(fake, fake.user(first_name=f"Customer{i}", language_code="en"), None, None)
                for i in range(args.users)
            ]
            failures: list[str] = []

            async def phase(name: str, seconds: float, think: float, who: list[Customer]) -> Phase:
                result = Phase(name, len(who), think)
                deadline = time.perf_counter() + seconds
                result.started = time.perf_counter()
                await asyncio.gather(
                    *(
                        browse(c, routes[i % len(routes)], result, deadline, think, failures)
                        for i, c in enumerate(who)
                    )
                )
                result.ended = time.perf_counter()
                return result

            async def quiet(seconds: float = 1.0, within: float = 20.0) -> None:
                # A step cut off at a phase's end is still answered afterwards: wait until the bot has
                # made no Bot API call for ``seconds``, so that no late answer lands in the next phase.
                end = time.monotonic() + within
                while time.monotonic() < end:
                    before = len(fake.calls)
                    await asyncio.sleep(seconds)
                    if len(fake.calls) == before:
                        return

            # Warm-up: every replica sees every step of both directions at least once.
            await phase("warm-up", 3.0 + replicas, 0.0, users[: 2 * replicas])
            await quiet()
            saturation_start = time.monotonic()
            cpu0 = sum(cpu_seconds(r.proc.pid) for r in started)
            others0 = (cpu_seconds(proxy_pid), time.process_time())
            saturation = await phase("saturation", args.saturate, 0.0, users)
            cpu1 = sum(cpu_seconds(r.proc.pid) for r in started)
            others1 = (cpu_seconds(proxy_pid), time.process_time())
            saturation_end = time.monotonic()
            load = os.getloadavg()[0]
            await quiet()
            paced_start = time.monotonic()
            paced = await phase("paced", args.paced, args.think, users)
            paced_end = time.monotonic()
            calls = api_log.between(saturation_start, saturation_end)
            calls += api_log.between(paced_start, paced_end)
            async with aiohttp.ClientSession() as session, session.get(proxy + "/_proxy/stats") as reply:
                spread = await reply.json()
        finally:
            await asyncio.gather(*(stop_process(r.proc) for r in started))
        handled = len(saturation.samples)
        first = paced.latencies("first")
        return Row(
            replicas=replicas,
            backend=backend,
            updates_per_s=handled / saturation.wall,
            p50_ms=percentile(first, 50),
            p99_ms=percentile(first, 99),
            p99_done_ms=percentile(paced.latencies("done"), 99),
            cpu_ms=(cpu1 - cpu0) / max(handled, 1) * 1000,
            calls_per_min=calls / (saturation_end - saturation_start + paced_end - paced_start) * 60,
            max_60s=api_log.max_in_window(),
            refused=api_log.refused(),
            spread=[spread.get(f"http://127.0.0.1:{p}", 0) for p in ports],
            failures=len(failures),
            first_failure=failures[0] if failures else "",
            load=load,
            replicas_cpu=(cpu1 - cpu0) / saturation.wall,
            proxy_cpu=(others1[0] - others0[0]) / saturation.wall,
            harness_cpu=(others1[1] - others0[1]) / saturation.wall,
        )


async def run_config(args: argparse.Namespace, backend: str, replicas: int) -> Row:
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as name:
        tmp = Path(name)
        if backend == "sqlite":
            return await measure(args, replicas, "SQLite", tmp, f"sqlite:///{tmp / 'bot.db'}", "")
        async with fresh_database() as database, redis_prefix() as prefix:
            url = f"{database}?pool_size={args.pool_size}" if args.pool_size else database
            return await measure(args, replicas, "PostgreSQL+Redis", tmp, url, prefix)


async def main_async(args: argparse.Namespace) -> int:
    print(
        f"replicas bench: Python {platform.python_version()}, {os.cpu_count()} cores (shared with other"
        f" work); {args.users} customers; saturation {args.saturate:g} s, paced {args.paced:g} s"
        f" (think {args.think:g} s); Zadarma budget {args.budget}/min (emulator limit and ZADARMA_RATE_LIMIT)"
    )
    rows = []
    for config in args.configs.split(","):
        backend, _, count = config.partition(":")
        row = await run_config(args, backend, int(count))
        rows.append(row)
        print(
            f"  done: {row.replicas} x {row.backend}: {row.updates_per_s:.1f} updates/s;"
            f" updates per replica {row.spread}; {row.failures} customers stopped early"
            + (f" (first: {row.first_failure})" if row.failures else "")
            + f"; load average {row.load:.1f}; during saturation"
            f" CPU busy: replicas {row.replicas_cpu:.0%}, proxy {row.proxy_cpu:.0%}, harness"
            f" (fake Bot API, emulator, customers) {row.harness_cpu:.0%} of one core",
            flush=True,
        )
    head = (
        "| replicas | backend | updates/s | p50 / p99 first reply (ms) | p99 step done (ms) |"
        " CPU per update (ms) | Zadarma calls/min during load | most calls in any 60 s | 429s |"
    )
    print("\n" + head)
    print("|" + " --- |" * 9)
    within = True
    for row in rows:
        ok = row.max_60s <= args.budget and row.refused == 0
        within &= ok
        print(
            f"| {row.replicas} | {row.backend} | {row.updates_per_s:.0f}"
            f" | {row.p50_ms:.0f} / {row.p99_ms:.0f} | {row.p99_done_ms:.0f} | {row.cpu_ms:.2f}"
            f" | {row.calls_per_min:.0f}"
            f" | {row.max_60s} (budget {args.budget}: {'ok' if ok else 'EXCEEDED'}) | {row.refused} |"
        )
    print(
        f"\nZadarma budget across all replicas: {'never exceeded' if within else 'EXCEEDED'}"
        f" (at most {max(r.max_60s for r in rows)} calls in any 60 s, budget {args.budget})"
    )
    return 0 if within else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=40, help="concurrent customers (default 40)")
    parser.add_argument("--saturate", type=float, default=15.0, help="saturation phase, seconds (default 15)")
    parser.add_argument("--paced", type=float, default=12.0, help="paced phase, seconds (default 12)")
    parser.add_argument(
        "--think", type=float, default=0.5, help="mean pause before a step, paced (default 0.5)"
    )
    parser.add_argument(
        "--connections", type=int, default=40, help="webhook requests open at once (Telegram's default 40)"
    )
    parser.add_argument(
        "--pool-size", type=int, default=0, help="PostgreSQL connections per replica (default: the bot's)"
    )
    parser.add_argument("--budget", type=int, default=100, help="Zadarma requests per minute (default 100)")
    parser.add_argument(
        "--configs", default="sqlite:1,pg:1,pg:2,pg:3", help="backend:replicas, comma-separated"
    )
    args = parser.parse_args()
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
