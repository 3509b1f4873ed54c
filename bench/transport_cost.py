"""CPU per signed Zadarma call: httpx's own transport against the aiohttp one (``httpx-aiohttp``).

Run: ``.venv/bin/python bench/transport_cost.py [--calls 1000] [--rounds 5] [--concurrency 20]``.
Starts ``python -m bot sandbox`` (the emulator, served by aiohttp) on a free
127.0.0.1 port in a separate process, so this process's CPU time is the
client's alone. Each transport (``ZADARMA_TRANSPORT``) is put under the production
HTTP client (:func:`bot.app.http_client`: its timeouts, pool limits,
HTTP/1.1 with keep-alive) and a :class:`ZadarmaClient`, which makes signed
``GET /v1/info/balance/`` calls, one caller at a time and N at once. Rounds
alternate the transports; the medians over the rounds are printed, in
microseconds of this process's CPU per call, with the wall-clock rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from bot.app import http_client
from bot.config import Settings
from bot.zadarma import RateLimiter, ZadarmaClient
from bot.zadarma.transport import TRANSPORT_NAMES, TransportName

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from api_client import spawn_emulator, wait_ready  # noqa: E402


async def measure(client: ZadarmaClient, total: int, concurrency: int) -> tuple[float, float]:
    """(CPU microseconds per call, calls per second) for ``total`` calls by ``concurrency`` callers."""
    per_worker = total // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await client.balance()

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    done = per_worker * concurrency
    return (time.process_time() - cpu) / done * 1e6, done / (time.perf_counter() - wall)


async def one_round(
    name: TransportName, settings: Settings, calls: int, conc: int
) -> dict[str, tuple[float, float]]:
    settings = settings.model_copy(update={"zadarma_transport": name})
    async with http_client(settings) as http:
        client = ZadarmaClient(
            http,
            base_url=settings.zadarma_api_url,
            key=settings.zadarma_key,
            secret=settings.zadarma_secret.get_secret_value(),
            limiter=RateLimiter(10_000),
            timeout=settings.zadarma_timeout,
        )
        await measure(client, 50, 1)  # connect, warm up
        return {
            "sequential": await measure(client, calls, 1),
            f"{conc} concurrent": await measure(client, calls, conc),
        }


async def run(calls: int, rounds: int, concurrency: int) -> None:
    proc, base = spawn_emulator()
    settings = Settings(zadarma_api_url=base, zadarma_key="sandbox-key", zadarma_secret="sandbox-secret")
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    try:
        await wait_ready(base)
        for _ in range(rounds):
            for name in TRANSPORT_NAMES:
                for mode, figures in (await one_round(name, settings, calls, concurrency)).items():
                    results.setdefault((name, mode), []).append(figures)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"signed GET /v1/info/balance/, {calls} calls x {rounds} rounds, emulator on 127.0.0.1 (aiohttp)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'transport':<10}{'mode':<16}{'CPU us/call (median)':>22}{'min':>8}{'max':>8}{'calls/s':>10}")
    for (kind, mode), runs in results.items():
        cpu = [run[0] for run in runs]
        rate = statistics.median(run[1] for run in runs)
        print(
            f"{kind:<10}{mode:<16}{statistics.median(cpu):>22.0f}{min(cpu):>8.0f}{max(cpu):>8.0f}{rate:>10.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.rounds, args.concurrency))


if __name__ == "__main__":
    main()
