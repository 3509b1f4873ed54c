"""Signed calls per second against the standalone emulator on loopback.

Run: ``.venv/bin/python bench/api_client.py [--calls 2000] [--concurrency 20]``.
Starts ``python -m bot sandbox`` on a free 127.0.0.1 port (rate limit lifted),
then measures ``GET /v1/info/balance/`` through :class:`ZadarmaClient`,
sequentially and with N concurrent callers. The baseline is the same HTTP
round trip without the client (an unsigned ``GET /_sandbox/stats`` with bare
httpx), so the difference is what signing, limiting and parsing cost.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bot.zadarma import RateLimiter, ZadarmaClient

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_ready(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(100):
            try:
                await http.get(url + "/_sandbox/stats")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise SystemExit("the emulator did not start")


async def measure(total: int, concurrency: int, call: Callable[[], Awaitable[object]]) -> float:
    per_worker = total // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return per_worker * concurrency / (time.perf_counter() - started)


async def run(calls: int, concurrency: int) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--rate-limit", "100000000"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits) as http:
            client = ZadarmaClient(
                http,
                base_url=base,
                key="sandbox-key",
                secret="sandbox-secret",
                limiter=RateLimiter(100_000_000),
            )

            async def bare() -> None:
                (await http.get(base + "/_sandbox/stats")).raise_for_status()

            await measure(100, 1, client.balance)  # warm up
            rows = []
            for label, conc in (("sequential", 1), (f"{concurrency} concurrent", concurrency)):
                signed = await measure(calls, conc, client.balance)
                baseline = await measure(calls, conc, bare)
                rows.append((label, signed, baseline))
        print(f"signed GET /v1/info/balance/ via ZadarmaClient, {calls} calls, emulator on 127.0.0.1")
        print(f"{'mode':<16}{'signed calls/s':>16}{'baseline req/s':>16}{'ratio':>8}")
        for label, signed, baseline in rows:
            print(f"{label:<16}{signed:>16.0f}{baseline:>16.0f}{signed / baseline:>8.2f}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.concurrency))


if __name__ == "__main__":
    main()
