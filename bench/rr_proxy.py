"""A small round-robin HTTP proxy for the benchmarks (what HAProxy does in deploy/compose.yaml).

Run: ``python bench/rr_proxy.py PORT UPSTREAM [UPSTREAM...]`` (each ``http://127.0.0.1:8081``).
Listens on 127.0.0.1:PORT and sends each request to the next upstream in turn (method, path,
query, body and headers, hop-by-hop headers left out), answering with the upstream's reply.
A connection error or a 503 moves the request to the next upstream (at most once round), as
``retry-on conn-failure 503`` does in deploy/haproxy.cfg. ``GET /_proxy/stats`` answers how many
requests went to each upstream. Prints ``ready`` on stdout once listening.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


def build(upstreams: list[str]) -> web.Application:
    """The proxy's aiohttp application over ``upstreams``."""
    turns = itertools.cycle(range(len(upstreams)))
    counts: Counter[str] = Counter()
    app = web.Application(client_max_size=25 * 1024 * 1024)

    async def session_ctx(app: web.Application) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=200)
        app["session"] = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        yield
        await app["session"].close()

    app.cleanup_ctx.append(session_ctx)

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(dict(counts))

    async def forward(request: web.Request) -> web.StreamResponse:
        session: aiohttp.ClientSession = request.app["session"]
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        first = next(turns)
        for attempt in range(len(upstreams)):
            upstream = upstreams[(first + attempt) % len(upstreams)]
            try:
                async with session.request(
                    request.method, upstream + request.rel_url.raw_path_qs, data=body, headers=headers
                ) as reply:
                    content = await reply.read()
                    if reply.status == 503 and attempt + 1 < len(upstreams):
                        continue
                    counts[upstream] += 1
                    kept = {k: v for k, v in reply.headers.items() if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=reply.status, body=content, headers=kept)
            except aiohttp.ClientConnectionError:
                continue
        return web.Response(status=502, text="no upstream answered")

    app.router.add_get("/_proxy/stats", stats)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


async def serve(port: int, upstreams: list[str]) -> None:
    """Serve until SIGTERM/SIGINT."""
    runner = web.AppRunner(build(upstreams), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    asyncio.run(serve(int(argv[1]), [u.rstrip("/") for u in argv[2:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
