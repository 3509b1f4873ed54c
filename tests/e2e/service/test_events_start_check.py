"""``python -m bot run`` with ``ZADARMA_EVENTS_URL``: one line at start about the account's event settings.

The line warns (naming ``python -m bot events setup``) while the account's
URL is missing or points elsewhere, says "ready" once it is set up, and the
start never changes the settings itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from bot.sandbox import Sandbox
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.ratelimit import RateLimiter
from tests.e2e.service.support import ZADARMA_SECRET, Service, free_port, start_service, telegram_env
from tests.fakes.telegram_api import FakeTelegram
from tests.waiting import eventually


async def events_line(service: Service, within: float = 15.0) -> dict[str, object]:
    """The start-up line about Zadarma events, from the process's JSON log."""

    def logged() -> dict[str, object] | None:
        for raw in service.stderr.decode().splitlines():
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if "Zadarma events" in str(record.get("message", "")):
                return dict(record)
        return None

    return await eventually(logged, within=within, every=0.1, what="the line about Zadarma events")
    raise AssertionError(f"no events line at start:\n{service.stderr.decode()[-3000:]}")


async def test_start_reports_the_events_settings_and_changes_nothing(
    emulator: tuple[Sandbox, str], tmp_path: Path
) -> None:
    async with FakeTelegram() as telegram:
        await check_three_starts(emulator, tmp_path, telegram)


async def check_three_starts(emulator: tuple[Sandbox, str], tmp_path: Path, telegram: FakeTelegram) -> None:
    sandbox, zadarma_url = emulator
    port = free_port()
    events_url = f"http://127.0.0.1:{port}/zadarma/events"
    env = {
        **telegram_env(emulator, telegram),
        "ZADARMA_EVENTS_URL": events_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }

    # nothing set on the account: a warning with the command, and the account left as it was
    service = await start_service(env, port=port)
    try:
        line = await events_line(service)
        assert line["level"] in ("WARNING", "warning"), line
        assert "NOT set up" in str(line["message"]) and "python -m bot events setup" in str(line["message"])
        assert sandbox.state.notify.webhook_url == "" and not sandbox.state.notify.hooks["sms"]
        assert sandbox.state.notify.callinfo_url == ""

        # set up by the command's code while the bot answers the echo check: the next start says ready
        from bot.events_setup import setup

        async with httpx.AsyncClient(timeout=10) as http:
            api = ZadarmaClient(
                http, base_url=zadarma_url, key=sandbox.key, secret=ZADARMA_SECRET, limiter=RateLimiter(1000)
            )
            assert (await setup(api, events_url))[0]
    finally:
        assert await service.stop() == 0
    service = await start_service(env, port=port)
    try:
        line = await events_line(service)
        assert line["level"] in ("INFO", "info"), line
        assert "Zadarma events ready" in str(line["message"])
    finally:
        assert await service.stop() == 0

    # SMS events sent elsewhere and call events switched off: a warning; the other URL is kept
    sandbox.state.notify.webhook_url = "https://elsewhere.example/hook"
    sandbox.state.notify.notifications["notify_end"] = False
    service = await start_service(env, port=port)
    try:
        line = await events_line(service)
        assert line["level"] in ("WARNING", "warning"), line
        message = str(line["message"])
        assert "https://elsewhere.example/hook" in message and "(end off)" in message
        assert "python -m bot events setup" in message
    finally:
        assert await service.stop() == 0
    assert sandbox.state.notify.webhook_url == "https://elsewhere.example/hook"
    assert sandbox.state.notify.notifications["notify_end"] is False
