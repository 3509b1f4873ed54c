"""Alert scan time and memory for a large account, against the emulator on loopback.

Run: ``.venv/bin/python bench/alerts.py [--numbers 10000,50000,100000] [--owners 1000] [--in-process]``.

Each size runs in a process of its own (so one size's memory does not count
towards the next), one table per size.

Starts ``python -m bot sandbox`` on a free 127.0.0.1 port (rate limit lifted;
``--in-process`` uses the in-process transport instead), seeds it with N
owned numbers (varied stop dates, statuses and auto-renewal), gives them to
Telegram customers in the bot's SQLite store, then measures with an
:class:`~bot.services.alerts.AlertScheduler`:

* the first scan (no stored snapshot: every due warning is claimed),
* delivering what it claimed (null sinks, so this is the bot's own cost),
* a steady-state scan (nothing changed) and a scan one emulated day later.

Each scenario runs twice on a fresh store: once for wall time, once under
``tracemalloc`` for the Python allocation peak. ``CPU s`` is this process's
CPU time during the timed step: the bot's own work (most of the rest of the
wall time is waiting for the emulator to render the list). ``RSS MiB`` is the process's
resident set after each timed step; ``RSS peak`` is its high-water mark
during that step (Linux: the mark is reset before each step through
``/proc/self/clear_refs``; elsewhere it is the process's mark so far). API
calls are counted by the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.sandbox import DEFAULT_KEY, DEFAULT_SECRET, Sandbox, SandboxConfig
from bot.services.alerts import (
    CUSTOMERS,
    TEAM,
    AlertMessage,
    AlertRoute,
    AlertRoutes,
    AlertScheduler,
    DeliveryResult,
)
from bot.storage import SqliteStorage, UserRef
from bot.zadarma import RateLimiter, ZadarmaClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from api_client import spawn_emulator  # noqa: E402


class NullSink:
    """A chat platform that accepts everything at once."""

    def __init__(self) -> None:
        self.count = 0

    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        self.count += 1
        return DeliveryResult.sent()


@dataclass
class Emulator:
    base: str
    http: httpx.AsyncClient
    control: Callable[[str, str, dict[str, Any] | None], Awaitable[dict[str, Any]]]


def rss_mb() -> float:
    """Current resident set size in MiB (Linux ``/proc``; else the high-water mark)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    """The resident set's high-water mark in MiB (since the last :func:`reset_peak_rss`)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Start a new high-water mark at the current resident set (Linux; elsewhere a no-op)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


@contextlib.asynccontextmanager
async def emulator(in_process: bool) -> AsyncIterator[Emulator]:
    if in_process:
        sandbox = Sandbox(SandboxConfig(rate_limit=100_000_000))
        async with httpx.AsyncClient(transport=sandbox.transport()) as http:
            base = "http://sandbox.local"

            async def control(method: str, path: str, params: dict[str, Any] | None) -> dict[str, Any]:
                reply = await http.request(method, base + path, params=params)
                reply.raise_for_status()
                return dict(reply.json())

            yield Emulator(base, http, control)
        return
    proc, base = spawn_emulator()
    try:
        async with httpx.AsyncClient(timeout=120) as http:

            async def control(method: str, path: str, params: dict[str, Any] | None) -> dict[str, Any]:
                reply = await http.request(method, base + path, params=params)
                reply.raise_for_status()
                return dict(reply.json())

            for _ in range(100):
                try:
                    await control("GET", "/_sandbox/stats", None)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                raise SystemExit("the emulator did not start")
            yield Emulator(base, http, control)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def api_calls(emu: Emulator) -> int:
    return int((await emu.control("GET", "/_sandbox/stats", None))["total"])


@dataclass
class Row:
    label: str
    seconds: float
    cpu: float
    peak_mib: float
    rss_mib: float
    rss_peak_mib: float
    calls: int
    claimed: int


async def run(count: int, owners: int, in_process: bool) -> None:
    baseline = rss_mb()
    async with emulator(in_process) as emu:
        client = ZadarmaClient(
            emu.http, base_url=emu.base, key=DEFAULT_KEY, secret=DEFAULT_SECRET, limiter=RateLimiter(10**8)
        )
        with tempfile.TemporaryDirectory() as tmp:
            rows: dict[str, list[Row]] = {}
            for traced in (False, True):
                # the same seeded account for both runs
                await emu.control("POST", "/_sandbox/reset", None)
                await emu.control("POST", "/_sandbox/numbers/seed", {"count": count})
                numbers = [n.number for n in await client.number_briefs()]
                db = Path(tmp) / f"bench-{'traced' if traced else 'timed'}.db"
                storage = await SqliteStorage.open(db)
                try:
                    for i, number in enumerate(numbers):
                        user = UserRef("telegram", str(100_000 + i % owners))
                        await storage.ownership.assign_number(number, user, assigned_by="bench")
                    routes = AlertRoutes(
                        [
                            AlertRoute("telegram", CUSTOMERS, NullSink()),
                            AlertRoute("slack", TEAM, NullSink(), "C0ALERTS"),
                        ]
                    )
                    scheduler = AlertScheduler(client, storage, routes, digest_hour=0, lease_holder="bench")
                    for label, step in steps(emu, scheduler):
                        row = await measure(emu, label, step, traced)
                        rows.setdefault(label, []).append(row)
                finally:
                    await storage.close()
    print(
        f"alerts bench: {count} numbers, {owners} Telegram owners, emulator "
        f"{'in-process' if in_process else 'on 127.0.0.1'}, SQLite store"
    )
    print(
        f"{'step':<30}{'time s':>9}{'CPU s':>7}{'py peak MiB':>13}{'RSS MiB':>9}{'RSS peak':>10}"
        f"{'API calls':>11}{'alerts':>9}"
    )
    for label, (timed, traced_row) in rows.items():
        print(
            f"{label:<30}{timed.seconds:>9.3f}{timed.cpu:>7.2f}{traced_row.peak_mib:>13.1f}{timed.rss_mib:>9.1f}"
            f"{timed.rss_peak_mib:>10.1f}{timed.calls:>11}{timed.claimed:>9}"
        )
    whole = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"RSS before seeding: {baseline:.1f} MiB; process high-water mark "
        f"(seeding and tracemalloc included): {whole:.1f} MiB"
    )


def steps(emu: Emulator, scheduler: AlertScheduler) -> list[tuple[str, Callable[[], Awaitable[int]]]]:
    """The measured steps, in order; each returns how many alerts it claimed or sent."""
    return [
        ("first scan (no snapshot)", lambda: claimed(scheduler)),
        ("deliver all claimed (batches)", lambda: drain(scheduler)),
        ("steady-state scan", lambda: claimed(scheduler)),
        ("scan one day later", lambda: next_day(emu, scheduler)),
    ]


async def drain(scheduler: AlertScheduler) -> int:
    """Deliver until nothing is due (each call is bounded: 20 batches of 50)."""
    total = 0
    while sent := await scheduler.deliver_due():
        total += sent
    return total


async def claimed(scheduler: AlertScheduler) -> int:
    report = await scheduler.scan_once()
    return report.claimed


async def next_day(emu: Emulator, scheduler: AlertScheduler) -> int:
    await emu.control("POST", "/_sandbox/clock/advance", {"days": 1})
    return await claimed(scheduler)


async def measure(emu: Emulator, label: str, step: Callable[[], Awaitable[int]], traced: bool) -> Row:
    calls_before = await api_calls(emu)
    reset_peak_rss()
    if traced:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = await step()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = 0.0
    if traced:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    peak_rss = peak_rss_mb()
    calls = await api_calls(emu) - calls_before
    return Row(label, seconds, cpu, peak, rss_mb(), peak_rss, calls, result)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--numbers",
        default="10000,50000,100000",
        help="account sizes, comma-separated; each runs in a process of its own",
    )
    parser.add_argument("--owners", type=int, default=1_000)
    parser.add_argument("--in-process", action="store_true", help="run the emulator in this process")
    args = parser.parse_args()
    sizes = [int(size) for size in str(args.numbers).split(",") if size.strip()]
    if len(sizes) == 1:
        asyncio.run(run(sizes[0], args.owners, args.in_process))
        return
    for size in sizes:
        command = [sys.executable, __file__, "--numbers", str(size), "--owners", str(args.owners)]
        if args.in_process:
            command.append("--in-process")
        subprocess.run(command, check=True)
        print(flush=True)


if __name__ == "__main__":
    main()
