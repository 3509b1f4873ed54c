"""CPU of the account check before an order: the whole list read, or only the item asked for.

Run: ``.venv/bin/python bench/account_check.py [--numbers 500,5000] [--rounds 7]``.
The real :class:`~bot.zadarma.ZadarmaClient` (signing, its limiter, the reply read
as in production) calls ``GET /v1/direct_numbers/`` of the emulator seeded
with ``--numbers`` owned numbers; its answer is then replayed at once, so only
the client's CPU is measured. Per size, rounds alternate:

* ``json.loads`` and :func:`bot.zadarma.jsontext.loads` of the body alone;
* ``direct_numbers``: the whole list read into records (items seen before are
  kept by their JSON text, as from the second read on) and searched, the check
  as it was;
* ``find_direct_number``: the check as it is, for the last item (``find one``)
  and for a number the account does not hold (``absent``: the answer before
  almost every order).

Medians of CPU milliseconds per call are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx

from bot.sandbox import Sandbox, SandboxConfig
from bot.zadarma import RateLimiter, ZadarmaClient, jsontext


class Replay(httpx.AsyncBaseTransport):
    """The emulator's first answer, then the same bytes again at once (only the client is measured)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._inner = sandbox.transport()
        self.body: bytes | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.body is None:
            response = await self._inner.handle_async_request(request)
            self.body = await response.aread()
        return httpx.Response(200, content=self.body)


async def cpu_ms(call: Callable[[], Awaitable[object]], repeat: int) -> float:
    """Median CPU milliseconds of ``call`` over ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        await call()
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)


async def measure(count: int, rounds: int) -> dict[str, list[float]]:
    sandbox = Sandbox(SandboxConfig(rate_limit=10**9))
    sandbox.seed_owned_numbers(count)
    replay = Replay(sandbox)
    http = httpx.AsyncClient(transport=replay)
    client = ZadarmaClient(
        http,
        base_url="http://127.0.0.1:1",
        key=sandbox.key,
        secret=sandbox.secret,
        limiter=RateLimiter(10**9),
    )
    # The emulator answers once; every item is read once, as after the first check.
    last = (await client.direct_numbers())[-1].number.lstrip("+")
    body = replay.body
    assert body is not None

    async def whole_list() -> object:
        return next((r for r in await client.direct_numbers() if r.number.lstrip("+") == last), None)

    async def parse_json() -> object:
        return json.loads(body)

    async def parse_exact() -> object:
        return jsontext.loads(body)

    repeat = max(3, 20_000 // count)
    absent = "1" + last  # one digit more: no listed number holds it
    figures: dict[str, list[float]] = {
        "json.loads": [],
        "jsontext.loads": [],
        "whole": [],
        "find": [],
        "absent": [],
    }
    for _ in range(rounds):
        figures["json.loads"].append(await cpu_ms(parse_json, repeat))
        figures["jsontext.loads"].append(await cpu_ms(parse_exact, repeat))
        figures["whole"].append(await cpu_ms(whole_list, repeat))
        figures["find"].append(await cpu_ms(lambda: client.find_direct_number(last), repeat))
        figures["absent"].append(await cpu_ms(lambda: client.find_direct_number(absent), repeat))
    await http.aclose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", default="500,5000", help="list sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    header = (
        f"{'numbers':>8} {'json.loads':>11} {'jsontext':>9} {'whole list':>11} {'find one':>9} {'absent':>7}"
    )
    print(header + "  (ms CPU, medians)")
    for count in (int(n) for n in args.numbers.split(",")):
        f = asyncio.run(measure(count, args.rounds))
        row = [statistics.median(f[k]) for k in ("json.loads", "jsontext.loads", "whole", "find", "absent")]
        print(f"{count:>8} {row[0]:>11.3f} {row[1]:>9.3f} {row[2]:>11.3f} {row[3]:>9.3f} {row[4]:>7.3f}")


if __name__ == "__main__":
    main()
