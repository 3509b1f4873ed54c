"""``python -m bot check``: every configured credential, a short time limit, the URL named, JSON lines."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.sandbox import Sandbox, SandboxConfig
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[3]
SECRET = "check-secret-0123"
SLACK_TOKEN = "xoxb-check-token-1234"


@pytest.fixture
async def zadarma(sandbox_realistic: bool) -> AsyncIterator[tuple[Sandbox, str]]:
    """The emulator on a real socket, once exact and once realistic."""
    sandbox = Sandbox(SandboxConfig(secret=SECRET, realistic=sandbox_realistic))
    runner = web.AppRunner(sandbox.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    yield sandbox, f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


async def _check(**env: str) -> tuple[int, str, str, float]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("ZADARMA_", "TELEGRAM_", "SLACK_", "LOG_"))
    }
    environ.update(env)
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "check",
        cwd=ROOT,
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode(), time.monotonic() - started


async def test_an_api_that_never_answers_fails_fast_and_is_named(silent: str) -> None:
    code, out, err, took = await _check(ZADARMA_API_URL=silent, ZADARMA_KEY="k", ZADARMA_SECRET="s")
    assert (code, out) == (1, "")
    assert took < 20
    assert err.strip() == f"error: zadarma {silent}: no answer within 5 s (no reply: ReadTimeout)"
    assert "zadarma retry" not in err and "Traceback" not in err


async def test_every_configured_token_is_checked(zadarma: tuple[Sandbox, str]) -> None:
    sandbox, url = zadarma
    async with FakeTelegram() as telegram, FakeSlackApi(bot_token=SLACK_TOKEN) as slack:
        base = {"ZADARMA_API_URL": url, "ZADARMA_KEY": sandbox.key, "ZADARMA_SECRET": SECRET}
        code, out, err, _ = await _check(
            **base,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE=telegram.base_url,
            SLACK_BOT_TOKEN=SLACK_TOKEN,
            SLACK_API_BASE=slack.api_base,
        )
        assert (code, err) == (0, "")
        lines = out.splitlines()
        assert [line.split(" ")[:2] for line in lines] == [
            ["ok:", "zadarma"],
            ["ok:", "telegram"],
            ["ok:", "slack"],
        ]
        assert telegram.base_url in lines[1] and slack.api_base.rstrip("/") in lines[2]

        code, out, err, _ = await _check(
            **base,
            TELEGRAM_BOT_TOKEN="999:not-the-token",
            TELEGRAM_API_BASE=telegram.base_url,
            SLACK_BOT_TOKEN="xoxb-not-the-token",
            SLACK_API_BASE=slack.api_base,
        )
        assert code == 1
        assert f"error: telegram {telegram.base_url}: TELEGRAM_BOT_TOKEN refused (401)" in err
        assert "SLACK_BOT_TOKEN refused (invalid_auth)" in err
        assert "not-the-token" not in out + err
        assert out.startswith("ok: zadarma")


async def test_json_log_format_gives_json_lines(zadarma: tuple[Sandbox, str]) -> None:
    _, url = zadarma
    code, out, err, _ = await _check(
        ZADARMA_API_URL=url, ZADARMA_KEY="wrong-key", ZADARMA_SECRET=SECRET, LOG_FORMAT="json"
    )
    assert code == 1 and out == ""
    [line] = err.splitlines()
    result = json.loads(line)
    assert result["check"] == "zadarma" and result["ok"] is False and result["url"] == url
    assert "401" in result["detail"]
