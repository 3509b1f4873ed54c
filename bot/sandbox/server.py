"""The standalone emulator server: ``python -m bot sandbox``.

Usage::

    python -m bot sandbox [--host 127.0.0.1] [--port 8090] [--key K] [--secret S]
                          [--balance AMOUNT] [--rate-limit PER_MINUTE] [--realistic]
                          [--reserve-when-short] [--mixed-currencies]

Prints the base URL and the (demo, not secret) credentials, then serves
until SIGINT or SIGTERM. ``--port 0`` picks a free port; the printed URL
shows which.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from aiohttp import web

from bot.logs import quiet_malformed_requests
from bot.sandbox.config import DEFAULT_KEY, DEFAULT_SECRET, SandboxConfig
from bot.sandbox.emulator import Sandbox

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090


async def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    key: str = DEFAULT_KEY,
    secret: str = DEFAULT_SECRET,
    balance: Decimal | str = "100.00",
    rate_limit: int = 100,
    *,
    realistic: bool = False,
    reserve_when_short: bool = False,
    mixed_currencies: bool = False,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[str, Sandbox], None] | None = None,
) -> None:
    """Serve a fresh :class:`Sandbox` until ``stop`` is set (or SIGINT/SIGTERM arrives).

    ``on_ready`` is called with the base URL (real port, also for ``port=0``)
    and the sandbox once the socket listens.
    """
    sandbox = Sandbox(
        SandboxConfig(
            key=key,
            secret=secret,
            balance=Decimal(balance),
            rate_limit=rate_limit,
            realistic=realistic,
            reserve_when_short=reserve_when_short,
            mixed_currencies=mixed_currencies,
        )
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    quiet_malformed_requests()
    runner = web.AppRunner(sandbox.app(), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = port
        for address in runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                bound_port = int(address[1])
                break
        url = f"http://{host}:{bound_port}"
        if on_ready is not None:
            on_ready(url, sandbox)
        await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await runner.cleanup()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot sandbox", description="Run the Zadarma API emulator."
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port (default 8090; 0 picks a free one)"
    )
    parser.add_argument("--key", default=DEFAULT_KEY, help="API key to accept")
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="API secret requests are signed with")
    parser.add_argument("--balance", default="100.00", help="starting balance in USD (default 100.00)")
    parser.add_argument(
        "--rate-limit", type=int, default=100, help="requests per minute per key (default 100)"
    )
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="vary replies like a real API: extra fields, nulls, numbers as strings, [] for {}, "
        "available capped at 20 and shuffled",
    )
    parser.add_argument(
        "--reserve-when-short",
        action="store_true",
        help="answer an order the balance does not cover with a reservation (activated by a top-up)",
    )
    parser.add_argument(
        "--mixed-currencies",
        action="store_true",
        help="keep the catalogue's own currencies (PLN, EUR, GBP) beside the USD account",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        balance = Decimal(args.balance)
    except InvalidOperation:
        parser.error(f"--balance must be a number, got {args.balance!r}")
    if not balance.is_finite() or balance < 0:
        parser.error("--balance must be a non-negative number")
    if args.rate_limit < 1:
        parser.error("--rate-limit must be at least 1")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")

    def ready(url: str, sandbox: Sandbox) -> None:
        mode = " (realistic replies)" if sandbox.config.realistic else ""
        print(f"Zadarma sandbox listening on {url}{mode}", flush=True)
        print(f"  base URL: {url}", flush=True)
        print(f"  key:      {sandbox.key}", flush=True)
        print(f"  secret:   {sandbox.secret}", flush=True)
        print(
            "  control:  POST /_sandbox/clock/advance?days=N, /_sandbox/faults, /_sandbox/reset, "
            "/_sandbox/balance?amount=A, /_sandbox/reservations; GET /_sandbox/stats",
            flush=True,
        )
        print("Press Ctrl+C to stop.", flush=True)

    try:
        asyncio.run(
            serve(
                args.host,
                args.port,
                args.key,
                args.secret,
                balance,
                args.rate_limit,
                realistic=args.realistic,
                reserve_when_short=args.reserve_when_short,
                mixed_currencies=args.mixed_currencies,
                on_ready=ready,
            )
        )
    except OSError as exc:
        print(f"cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print("Zadarma sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
