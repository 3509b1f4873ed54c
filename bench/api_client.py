"""Signed calls per second against the standalone emulator on loopback.

Run: ``.venv/bin/python bench/api_client.py [--calls 2000] [--concurrency 20] [--repeats 3]``.
Starts ``python -m bot sandbox`` on a free 127.0.0.1 port (rate limit lifted),
then measures ``GET /v1/info/balance/`` through :class:`ZadarmaClient`,
sequentially and with N concurrent callers. The baseline is the same signed
request without the client: bare httpx sending ``GET /v1/info/balance/`` with
an ``Authorization`` header signed once beforehand (the signature of a request
without parameters does not change), and checking only the status. The
emulator does the same work for both (signature check, rate-limit window,
balance), so the difference is what the client's signing, limiting and
parsing cost.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bot.zadarma import RateLimiter, ZadarmaClient
from bot.zadarma.signing import authorization_header

ROOT = Path(__file__).resolve().parents[1]
KEY = "sandbox-key"
SECRET = "sandbox-secret"
BALANCE_PATH = "/v1/info/balance/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_emulator() -> tuple[subprocess.Popen[bytes], str]:
    """The standalone emulator (``python -m bot sandbox``) on a free loopback port, practically unlimited."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--rate-limit", "100000000"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}"


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


async def run(calls: int, concurrency: int, repeats: int) -> None:
    proc, base = spawn_emulator()
    try:
        await wait_ready(base)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits) as http:
            client = ZadarmaClient(
                http,
                base_url=base,
                key=KEY,
                secret=SECRET,
                limiter=RateLimiter(100_000_000),
            )

            signed = {"Authorization": authorization_header(KEY, BALANCE_PATH, "", SECRET)}

            async def bare() -> None:
                (await http.get(base + BALANCE_PATH, headers=signed)).raise_for_status()

            await measure(100, 1, client.balance)  # warm up
            await measure(100, 1, bare)
            rows = []
            for label, conc in (("sequential", 1), (f"{concurrency} concurrent", concurrency)):
                # Alternated runs, median of each side: a busy moment of the machine hits both alike.
                client_rates, bare_rates = [], []
                for _ in range(repeats):
                    client_rates.append(await measure(calls, conc, client.balance))
                    bare_rates.append(await measure(calls, conc, bare))
                rows.append((label, statistics.median(client_rates), statistics.median(bare_rates)))
        print(
            f"signed GET {BALANCE_PATH} via ZadarmaClient against the same signed request with bare httpx,"
            f" {calls} calls a run, {repeats} runs each alternated (medians), emulator on 127.0.0.1"
        )
        print(f"{'mode':<16}{'client calls/s':>16}{'baseline req/s':>16}{'ratio':>8}")
        for label, through_client, baseline in rows:
            print(f"{label:<16}{through_client:>16.0f}{baseline:>16.0f}{through_client / baseline:>8.2f}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="alternated runs of each side (default 3)")
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.concurrency, args.repeats))


if __name__ == "__main__":
    main()
