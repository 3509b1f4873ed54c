"""``python -m bot run`` with credentials that are refused: /healthz says so (503) and one line says why."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox import Sandbox
from tests.e2e.service.support import ROOT, ZADARMA_SECRET, free_port
from tests.fakes.telegram_api import FakeTelegram
from tests.waiting import eventually


async def _run_until_reported(env: dict[str, str]) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ZADARMA_", "TELEGRAM_", "SLACK_"))}
    environ.update(env, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port), LOG_FORMAT="json", LOG_LEVEL="INFO")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=environ, stderr=asyncio.subprocess.PIPE
    )
    status, report = 0, {}
    try:
        async with aiohttp.ClientSession() as http:

            async def reported() -> bool:
                nonlocal status, report
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        status, report = response.status, await response.json()
                        return "error" in report["parts"].get("zadarma", {})
                except aiohttp.ClientError:
                    return False

            with contextlib.suppress(AssertionError):  # the last answer is returned either way
                # a cold start imports aiogram's models: about 3 s on an idle machine, far more on a busy one
                await eventually(reported, within=60, every=0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.stderr is not None
        err = await asyncio.wait_for(proc.stderr.read(), timeout=30)
        await asyncio.wait_for(proc.wait(), timeout=30)
    records = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    return status, report, records


@pytest.mark.exact_emulator_only(
    "every Zadarma reply is a refusal; the realistic mode varies successful ones only"
)
async def test_a_wrong_zadarma_key_makes_healthz_503_with_the_reason(
    emulator: tuple[Sandbox, str], tmp_path: Path
) -> None:
    _, zadarma_url = emulator
    async with FakeTelegram() as telegram:
        status, report, records = await _run_until_reported(
            {
                "ZADARMA_API_URL": zadarma_url,
                "ZADARMA_KEY": "not-the-key",
                "ZADARMA_SECRET": ZADARMA_SECRET,
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE": telegram.base_url,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
                "ALERT_INTERVAL": "3600",
            }
        )
    assert status == 503
    assert report["ok"] is False
    assert "ZADARMA_KEY" in report["parts"]["zadarma"]["error"]
    assert "401" in report["parts"]["zadarma"]["error"]
    errors = [r for r in records if r.get("level") in {"ERROR", "CRITICAL"}]
    assert len(errors) == 1, errors
    assert "Zadarma refused" in errors[0]["message"]
    assert not any("zadarma retry" in r.get("message", "") for r in records)
    assert not any("exc_info" in r or "traceback" in json.dumps(r).lower() for r in records)
    assert ZADARMA_SECRET not in json.dumps(records)
