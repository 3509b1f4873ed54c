"""``python -m bot run`` as a subprocess: Telegram (polling) and Slack (HTTP) against fakes, the
emulator on 127.0.0.1, JSON logs. Health, a whole order, a Slack command, a clean SIGTERM, and
logs that carry correlation ids and never a secret, a token, a document or a form answer."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bot.sandbox import Sandbox
from tests.e2e.service.support import (
    ROOT,
    SLACK_SIGNING,
    SLACK_TOKEN,
    ZADARMA_SECRET,
    act,
    slack_signed,
    start_service,
    telegram_env,
)
from tests.fakes import scans
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.telegram_api import FakeTelegram

SECRET_FORM_ANSWER = "Przybyszewska-Qwkxjvz"  # a last name (letters only) found nowhere else
DOCUMENT_MARKER = b"DOCUMENT-CONTENT-MARKER-93f1"
JPEG = scans.jpeg(marker=DOCUMENT_MARKER * 40)


async def test_the_service_runs_every_part_and_keeps_secrets_out_of_its_logs(
    emulator: tuple[Sandbox, str], tmp_path: Path
) -> None:
    sandbox = emulator[0]
    async with FakeTelegram() as telegram, FakeSlackApi(bot_token=SLACK_TOKEN) as slack:
        env = {
            **telegram_env(emulator, telegram),
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SIGNING,
            "SLACK_API_BASE": slack.api_base,
            "SLACK_ADMIN_USERS": "UADMIN1",
            "SLACK_ALERT_CHANNEL": "CALERTS",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "ALERT_INTERVAL": "3600",
        }
        service = await start_service(env)
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(service.base + "/healthz") as response:
                    health = await response.json()
                assert set(health["parts"]) >= {"telegram", "slack", "alerts", "database", "zadarma"}
                assert health["ok"] is True
                assert health["parts"]["database"]["write_ms"] >= 0  # the probe wrote to the file

                ann = telegram.user(language_code="en")
                assert "What would you like to do?" in await act(
                    telegram, ann, lambda: telegram.send_command(ann, "start")
                )
                await act(telegram, ann, lambda: telegram.send_command(ann, "order"))
                await act(telegram, ann, lambda: telegram.send_text(ann, "PL"))
                await act(telegram, ann, lambda: telegram.press(ann, "Kraków"))
                await act(telegram, ann, lambda: telegram.press(ann, "Any number"))
                await act(telegram, ann, lambda: telegram.press(ann, "New document group"))
                await act(telegram, ann, lambda: telegram.press(ann, "Ms"))
                answers = [
                    "Anna",
                    SECRET_FORM_ANSWER,
                    "ann@example.com",
                    "+48600100200",
                    "PL",
                    "Kraków",
                    "30-001",
                    "Floriańska",
                    "12",
                    "Floriańska 12, 30-001 Kraków",
                    "ABC123456",
                ]
                for answer in answers:
                    await act(telegram, ann, functools.partial(telegram.send_text, ann, answer))
                await act(telegram, ann, lambda: telegram.press(ann, "Skip"))
                await act(telegram, ann, lambda: telegram.press(ann, "Create"))
                shown = await act(telegram, ann, lambda: telegram.send_photo(ann, JPEG))
                assert "(2 of 2)" in shown  # the passport was taken; the next document is asked for
                assert sandbox.call_count("documents.upload") == 1

                body = urlencode(
                    {
                        "command": "/numbers",
                        "text": "list",
                        "user_id": "UADMIN1",
                        "team_id": "T1",
                        "channel_id": "C1",
                        "trigger_id": "1.2.3",
                        "response_url": slack.response_url(),
                    }
                )
                async with http.post(
                    service.base + "/slack/events", data=body, headers=slack_signed(body)
                ) as r:
                    assert r.status == 200
                async with http.post(
                    service.base + "/slack/events", data=body, headers=slack_signed(body, "wrong-secret")
                ) as r:
                    assert r.status == 401
        finally:
            code = await service.stop()
    assert code == 0, service.stderr.decode()[-3000:]

    lines = service.stderr.decode().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert records, "the service logged nothing"
    # EVENT_LOOP=auto: everything above ran on uvloop, a dependency wherever it is built
    assert [r["event_loop"] for r in records if r["message"] == "starting"] == ["uvloop"]
    updates = [r for r in records if r["message"] == "telegram update"]
    calls = [r for r in records if r["message"] == "zadarma call"]
    assert len(updates) >= 15 and calls
    update_ids = {r["cid"] for r in updates}
    assert any(r["cid"] in update_ids for r in calls), "API calls do not carry the update's correlation id"
    assert any(r["message"] == "slack request" for r in records)
    text = service.stderr.decode()
    for secret in (
        ZADARMA_SECRET,
        telegram.token,
        SLACK_TOKEN,
        SLACK_SIGNING,
        SECRET_FORM_ANSWER,
        DOCUMENT_MARKER.decode(),
        "ann@example.com",
        "ABC123456",
    ):
        assert secret not in text, f"{secret!r} leaked into the logs"


async def test_configuration_problems_stop_the_start_with_one_line_each(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ZADARMA_", "TELEGRAM_", "SLACK_"))}
    environ.update(ZADARMA_KEY="k", SLACK_BOT_TOKEN="xoxb-1", HTTP_PORT="not-a-port")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=environ, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 2
    assert "HTTP_PORT" in err.decode() and "Traceback" not in err.decode()
    environ["HTTP_PORT"] = "0"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=environ, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    problems = err.decode().strip().splitlines()
    assert proc.returncode == 2
    assert any("ZADARMA_SECRET" in p for p in problems)
    assert any("SLACK_SIGNING_SECRET" in p for p in problems)
    assert any("SLACK_ADMIN_USERS" in p for p in problems)
    assert all(p.startswith("configuration error:") for p in problems)
