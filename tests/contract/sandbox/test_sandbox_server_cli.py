"""The standalone server: ``serve()`` in-process and ``main()`` as a subprocess."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.server import main, serve
from tests.unit.sandbox.sandbox_helpers import SignedClient

ROOT = Path(__file__).resolve().parents[3]


async def test_serve_until_stopped() -> None:
    stop = asyncio.Event()
    ready: asyncio.Future[tuple[str, Sandbox]] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(
            "127.0.0.1",
            0,
            "k",
            "s",
            "7.25",
            2,
            stop=stop,
            on_ready=lambda url, sb: ready.set_result((url, sb)),
        )
    )
    url, sandbox = await asyncio.wait_for(ready, 10)
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    async with httpx.AsyncClient(base_url=url) as http:
        client = SignedClient(http, "k", "s")
        body = await client.ok("GET", "/v1/info/balance/")
        assert body["balance"] == 7.25
        await client.get("/v1/info/balance/")
        limited = await client.get("/v1/info/balance/")
        assert limited.status_code == 429 and limited.headers["x-ratelimit-limit"] == "2"
    assert sandbox.call_count("info.balance") == 3
    stop.set()
    await asyncio.wait_for(task, 10)


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--balance", "lots"], ["--rate-limit", "0"], ["--port", "70000"], ["--balance", "-1"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    assert "--balance" in capsys.readouterr().err


def test_cli_serves_until_sigint() -> None:
    code = (
        "import sys; from bot.sandbox.server import main; "
        "sys.exit(main(['--port', '0', '--key', 'cli-key', '--secret', 'cli-secret', "
        "'--balance', '42.50', '--rate-limit', '5']))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        assert lines[0].startswith("Zadarma sandbox listening on http://127.0.0.1:"), lines
        url = lines[0].rsplit(" ", 1)[1].strip()
        assert "cli-key" in lines[2] and "cli-secret" in lines[3]

        async def probe() -> httpx.Response:
            async with httpx.AsyncClient(base_url=url) as http:
                return await SignedClient(http, "cli-key", "cli-secret").get("/v1/info/balance/")

        response = asyncio.run(probe())
        assert response.json()["balance"] == 42.5
        assert response.headers["x-ratelimit-limit"] == "5"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        assert process.returncode == 0, err
        assert "stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
