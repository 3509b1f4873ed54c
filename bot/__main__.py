"""Command line: ``python -m bot {run,demo,sandbox,api,check}``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, load_settings

HTTP_METHODS = ("GET", "POST", "PUT", "DELETE")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Zadarma numbers bot")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="run every configured part: Telegram, Slack, alerts, web server")

    demo = sub.add_parser("demo", help="the whole order flow in this terminal, against the built-in emulator")
    demo.add_argument("--lang", choices=["en", "pl"], default=None, help="language of the demo")
    demo.add_argument("--db", default=None, help="SQLite file to keep the conversation in (resumable)")
    demo.add_argument(
        "--realistic", action="store_true", help="the built-in emulator varies its replies like a real API"
    )

    sandbox = sub.add_parser("sandbox", help="serve the Zadarma emulator on a local port")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.add_argument("--key", default=None)
    sandbox.add_argument("--secret", default=None)
    sandbox.add_argument("--balance", default=None)
    sandbox.add_argument("--rate-limit", type=int, default=100, dest="rate_limit")
    sandbox.add_argument(
        "--realistic",
        action="store_true",
        help="vary replies like a real API (extra fields, nulls, type swaps, [] for {}, capped lists)",
    )
    sandbox.add_argument(
        "--reserve-when-short",
        action="store_true",
        help="answer an order the balance does not cover with a reservation (activated by a top-up)",
    )
    sandbox.add_argument(
        "--mixed-currencies",
        action="store_true",
        help="keep the catalogue's own currencies (PLN, EUR, GBP) beside the USD account",
    )

    api = sub.add_parser("api", help="make one signed call and print the JSON reply")
    api.add_argument(
        "method", type=str.upper, choices=HTTP_METHODS, metavar="METHOD", help="GET, POST, PUT or DELETE"
    )
    api.add_argument("path", help="e.g. /v1/info/balance/")
    api.add_argument("params", nargs="*", help="name=value parameters")

    sub.add_parser(
        "check",
        help="check the credentials: Zadarma's balance, Telegram's getMe and Slack's auth.test (when set)",
    )
    events = sub.add_parser("events", help="Zadarma's SMS and call events (ZADARMA_EVENTS_URL)")
    events.add_argument("action", choices=["setup", "show"])
    events.add_argument("--force", action="store_true", help="replace a URL that points elsewhere")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "sandbox":
        from bot.sandbox.server import main as sandbox_main

        forwarded = ["--host", args.host, "--port", str(args.port), "--rate-limit", str(args.rate_limit)]
        for flag, value in (("--key", args.key), ("--secret", args.secret), ("--balance", args.balance)):
            if value is not None:
                forwarded += [flag, value]
        for flag, on in (
            ("--realistic", args.realistic),
            ("--reserve-when-short", args.reserve_when_short),
            ("--mixed-currencies", args.mixed_currencies),
        ):
            if on:
                forwarded.append(flag)
        return sandbox_main(forwarded)
    if args.command == "demo":
        from bot.app import run_demo

        return run_demo(lang=args.lang, db=args.db, realistic=args.realistic)
    try:
        settings = load_settings(for_run=args.command == "run")
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        return 2
    if args.command == "run":
        from bot.app import run

        return run(settings)
    if args.command == "api":
        return asyncio.run(_api(settings, args.method, args.path, args.params))
    if args.command == "events":
        return asyncio.run(_events(settings, args.action, args.force))
    return asyncio.run(_check(settings))


def _require_credentials(settings: Settings) -> bool:
    missing = settings.missing_zadarma()
    if missing:
        print(f"configuration error: {', '.join(missing)} not set", file=sys.stderr)
        return False
    return True


async def _api(settings: Settings, method: str, path: str, raw_params: list[str]) -> int:
    from bot.app import zadarma_client
    from bot.zadarma.errors import ZadarmaError

    if not _require_credentials(settings):
        return 2
    params: dict[str, str] = {}
    for item in raw_params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"parameter {item!r} is not name=value", file=sys.stderr)
            return 2
        params[name] = value
    async with zadarma_client(settings) as client:
        try:
            reply = await client.request(method, path, params)
        except ZadarmaError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(json.dumps(reply, indent=2, ensure_ascii=False))
    return 0


async def _events(settings: Settings, action: str, force: bool) -> int:
    from bot.app import zadarma_client
    from bot.events_setup import describe, setup
    from bot.zadarma.errors import ZadarmaError

    if not _require_credentials(settings):
        return 2
    async with zadarma_client(settings) as client:
        try:
            if action == "setup":
                ok, line = await setup(client, settings.zadarma_events_url, force=force)
            else:
                ok, line = await describe(client, settings.zadarma_events_url)
        except ZadarmaError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(f"{'ok' if ok else 'error'}: {line}", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


async def _check(settings: Settings) -> int:
    from bot.check import report, run_checks
    from bot.logs import configure_logging

    configure_logging(settings.log_format, "WARNING", settings.secret_values())
    if not _require_credentials(settings):
        return 2
    return report(await run_checks(settings), settings.log_format)


if __name__ == "__main__":
    sys.exit(main())
