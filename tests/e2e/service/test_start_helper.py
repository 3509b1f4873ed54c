"""The service tests' start helper trusts only the process it started: another server answering
``/healthz`` on the port (another test's service, say) is never taken for it; and a start cancelled
while waiting leaves no process behind."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest
from aiohttp import web

from bot.sandbox import Sandbox
from tests.e2e.service.support import start_service, telegram_env
from tests.fakes.telegram_api import FakeTelegram


async def test_a_port_held_by_a_healthy_stranger_is_not_taken_for_the_service(
    emulator: tuple[Sandbox, str],
) -> None:
    asked: list[str] = []

    async def healthz(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.json_response({"ok": True, "parts": {}})

    stranger = web.Application()
    stranger.router.add_get("/healthz", healthz)
    runner = web.AppRunner(stranger)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
        async with FakeTelegram() as telegram:
            env = telegram_env(emulator, telegram, DATABASE_URL="memory://")
            with pytest.raises(AssertionError, match="did not become healthy") as failed:
                await start_service(env, port=port, within=20)
            assert "address already in use" in str(failed.value).lower()

            service = await start_service(env)  # its own free port, read from its own log
            try:
                assert service.port != port
                assert service.listening_on() == service.port
            finally:
                assert await service.stop() == 0
    finally:
        await runner.cleanup()
    assert asked == []  # the stranger was never asked


async def test_a_start_cancelled_while_waiting_leaves_no_process_behind(
    emulator: tuple[Sandbox, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spawned: list[asyncio.subprocess.Process] = []
    spawn = asyncio.create_subprocess_exec

    async def recording(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        proc = await spawn(*args, **kwargs)
        spawned.append(proc)
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recording)
    async with FakeTelegram() as telegram:
        env = telegram_env(emulator, telegram, DATABASE_URL="memory://")
        starting = asyncio.create_task(start_service(env))
        while not spawned:
            await asyncio.sleep(0.01)
        starting.cancel()  # a harness stopping while a service starts (a soak's last restart, say)
        with pytest.raises(asyncio.CancelledError):
            await starting
        assert await asyncio.wait_for(spawned[0].wait(), timeout=10) == -signal.SIGKILL
