"""Two real ``python -m bot run`` processes on one SQLite file: the one delivering an alert is
killed with SIGKILL in the middle of the send; the next process delivers it once the short delivery
lease has run out (``ALERT_LEASE_TTL``, small here; the default is checked to keep a stall <= 30 s)."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.sandbox import Sandbox, SandboxConfig
from bot.services.alerts import OutboxSettings
from bot.services.alerts.scheduler import DEFAULT_DELIVERY_INTERVAL
from bot.storage import DeliveryStatus, SqliteStorage
from tests.e2e.service.support import start_service
from tests.fakes.slack_api import FakeSlackApi
from tests.waiting import eventually

SLACK_TOKEN = "xoxb-lease-test-token-71d0"
ZADARMA_SECRET = "zadarma-secret-for-the-lease-test"
CHANNEL = "CALERTS"
KEY = "expiry:48221234567:2026-12-01:7"
LEASE_TTL = 6.0
PARAMS = {
    "number": "48221234567",
    "stop_date": "2026-12-01",
    "days_left": "7",
    "lead_days": "7",
    "monthly_fee": "5.00",
    "currency": "USD",
}


@pytest.fixture
async def zadarma_url() -> AsyncIterator[str]:
    runner = web.AppRunner(Sandbox(SandboxConfig(secret=ZADARMA_SECRET, rate_limit=10_000)).app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{next(a[1] for a in runner.addresses if isinstance(a, tuple))}"
    await runner.cleanup()


def environment(zadarma_url: str, slack: FakeSlackApi, database: Path) -> dict[str, str]:
    return {
        "ZADARMA_API_URL": zadarma_url,
        "ZADARMA_KEY": SandboxConfig().key,
        "ZADARMA_SECRET": ZADARMA_SECRET,
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": "signing-secret-for-the-lease-test",
        "SLACK_API_BASE": slack.api_base,
        "SLACK_ADMIN_USERS": "UADMIN1",
        "SLACK_ALERT_CHANNEL": CHANNEL,
        "DATABASE_URL": f"sqlite:///{database}",
        "ALERT_INTERVAL": "3600",
        "ALERT_LEASE_TTL": str(LEASE_TTL),
    }


async def recorded_as_sent(database: Path) -> None:
    await eventually(lambda: status_of(database) == "sent", every=0.05, what="the delivery recorded as sent")


def status_of(database: Path) -> str:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT status FROM alert_deliveries WHERE alert_key = ?", (KEY,)).fetchone()
    finally:
        conn.close()
    return str(row[0])


def about_the_alert(args: dict[str, object]) -> bool:
    """A post of the seeded alert (the start-up scans may post alerts of the emulator's own numbers)."""
    text = json.dumps([args.get("text"), args.get("blocks")], ensure_ascii=False)
    return PARAMS["number"] in "".join(ch for ch in text if ch.isdigit() or ch == " ").replace(" ", "")


def test_the_default_lease_keeps_a_stall_after_a_crash_within_30_seconds() -> None:
    assert OutboxSettings().lease_ttl + DEFAULT_DELIVERY_INTERVAL <= 30


async def test_a_killed_deliverer_is_taken_over_after_the_lease_ttl(zadarma_url: str, tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    async with await SqliteStorage.open(database) as storage:
        payload = {"params": PARAMS, "actions": ["prolong", "autorenew_on"]}
        assert await storage.alerts.claim(
            KEY, "expiry_warning", PARAMS["number"], payload, [f"slack:{CHANNEL}"]
        )

    async with FakeSlackApi(bot_token=SLACK_TOKEN) as slack:
        slack.hold("chat.postMessage")
        first = await start_service(environment(zadarma_url, slack, database), within=20)
        try:
            await slack.wait_for("chat.postMessage", seconds=20)  # the send is under way, lease held
        finally:
            first.proc.send_signal(signal.SIGKILL)
            await first.proc.wait()
        killed = time.monotonic()
        slack.release("chat.postMessage")

        second = await start_service(environment(zadarma_url, slack, database), within=20)
        try:
            await slack.wait_for("chat.postMessage", count=2, seconds=LEASE_TTL + 15)
            posts = [p for p in slack.calls_to("chat.postMessage") if about_the_alert(p.args)]
            took = time.monotonic() - killed
            await recorded_as_sent(database)
        finally:
            await second.stop()

    assert took <= LEASE_TTL + DEFAULT_DELIVERY_INTERVAL + 5  # 5 s for the second process to start
    assert [p.args.get("channel") for p in posts] == [CHANNEL, CHANNEL]
    async with await SqliteStorage.open(database) as storage:
        (delivery,) = await storage.alerts.deliveries(KEY)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)  # the dead one recorded nothing
