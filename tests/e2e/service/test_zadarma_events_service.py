"""``python -m bot run`` receiving Zadarma's pushed events from the emulator over real sockets.

An SMS and a call on a customer's number reach that customer's Telegram chat (fake Bot API)
once, in their language, also when the event is retried and across a restart; a forged event
is refused and never shown; an SMS on a number nobody owns reaches the team's Slack channel.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from bot.sandbox import Sandbox
from bot.storage import SqliteStorage, UserRef
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.ratelimit import RateLimiter
from tests.e2e.service.support import (
    SLACK_SIGNING,
    SLACK_TOKEN,
    ZADARMA_SECRET,
    Service,
    start_service,
    telegram_env,
)
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.telegram_api import FakeTelegram


def leases_held(db: Path) -> list[tuple[str, str]]:
    """The storage leases still held in the bot's file (read with a connection of our own)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [(row[0], row[1]) for row in conn.execute("SELECT name, holder FROM leases")]
    finally:
        conn.close()


def by_hand(data: str) -> str:
    mac = hmac.new(ZADARMA_SECRET.encode(), data.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(mac.encode()).decode()


@pytest.fixture
async def api(emulator: tuple[Sandbox, str]) -> AsyncIterator[ZadarmaClient]:
    sandbox, url = emulator
    async with httpx.AsyncClient(timeout=10) as http:
        yield ZadarmaClient(
            http, base_url=url, key=sandbox.key, secret=ZADARMA_SECRET, limiter=RateLimiter(1000)
        )


async def test_sms_and_calls_reach_the_owner_once_and_forged_events_never(
    emulator: tuple[Sandbox, str], api: ZadarmaClient, tmp_path: Path
) -> None:
    sandbox, zadarma_url = emulator
    owned, unowned = sandbox.seed_owned_numbers(2)
    db = tmp_path / "bot.db"
    async with FakeTelegram() as telegram, FakeSlackApi(bot_token=SLACK_TOKEN) as slack:
        ola = telegram.user(language_code="pl")
        store = await SqliteStorage.open(db)
        try:
            customer = UserRef("telegram", str(ola.id))
            await store.users.upsert(customer, chat_id=str(ola.chat_id), default_language="pl")
            await store.ownership.assign_number(owned, customer, "test")
            await store.number_events.set_prefs(owned, calls_to_chat=True)
        finally:
            await store.close()
        env = {
            **telegram_env(emulator, telegram),
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SIGNING,
            "SLACK_API_BASE": slack.api_base,
            "SLACK_ADMIN_USERS": "UADMIN1",
            "SLACK_ALERT_CHANNEL": "CALERTS",
            "DATABASE_URL": f"sqlite:///{db}",
            "ALERT_INTERVAL": "3600",
        }
        service: Service = await start_service(env)
        events_url = service.base + "/zadarma/events"

        def texts() -> list[str]:
            return [t for t in telegram.texts(ola.chat_id) if "📩" in t or "📞" in t]

        try:
            assert await api.set_webhook_url(events_url) == events_url  # the emulator's echo check passed
            await api.set_webhook_hooks(sms=True)
            await api.set_callinfo_url(events_url)
            await api.set_call_notifications(notify_start=True, notify_end=True)
            async with httpx.AsyncClient(base_url=zadarma_url, timeout=10) as control:
                sent = await control.post(
                    "/_sandbox/sms", json={"number": owned, "from": "48600100200", "text": "Kod: 4711"}
                )
                assert sent.json()["deliveries"] == [{"event": "SMS", "status": 200}]
                await telegram.wait_for(lambda: len(texts()) == 1, within=15)
                assert texts()[0].startswith("📩 SMS na +")
                assert texts()[0].endswith("od +48 600 100 200: Kod: 4711")

                # Zadarma retrying the same event: acknowledged, not shown again
                result = json.dumps(
                    {"caller_id": "48600100200", "caller_did": owned, "text": "Kod: 4711"}, ensure_ascii=False
                )
                async with aiohttp.ClientSession() as http:
                    async with http.post(
                        events_url,
                        data={"event": "SMS", "result": result},
                        headers={"Signature": by_hand(result)},
                    ) as retry:
                        assert retry.status == 200
                    forged = json.dumps({"caller_id": "1", "caller_did": owned, "text": "FORGED-9931"})
                    for signature in (by_hand(forged + " "), None):
                        headers = {"Signature": signature} if signature else {}
                        async with http.post(
                            events_url, data={"event": "SMS", "result": forged}, headers=headers
                        ) as refused:
                            assert refused.status == 401
                    async with http.get(events_url, params={"zd_echo": "abc123"}) as echo:
                        assert await echo.text() == "abc123"

                await control.post(
                    "/_sandbox/call", json={"number": owned, "from": "48600100201", "duration": 0}
                )
                await control.post(
                    "/_sandbox/call", json={"number": owned, "from": "48600100202", "duration": 130}
                )
                await telegram.wait_for(lambda: len(texts()) == 3, within=15)
                assert texts()[1].startswith("📞 Nieodebrane połączenie od +48 600 100 201 o ")
                assert texts()[2].startswith("📞 Połączenie od +48 600 100 202 trwało 3 min")

                await control.post(
                    "/_sandbox/sms", json={"number": unowned, "from": "48600100300", "text": "Team?"}
                )

                def team_posts() -> list[dict[str, object]]:
                    return [
                        c.args for c in slack.calls_to("chat.postMessage") if "Team?" in json.dumps(c.args)
                    ]

                await slack.wait_until(lambda: len(team_posts()) == 1, seconds=15)
                assert team_posts()[0]["channel"] == "CALERTS"

                code = await service.stop()
                assert code == 0, service.stderr.decode()[-2000:]
                assert leases_held(db) == []  # given back: the next process delivers at once
                service = await start_service(env, port=int(service.base.rsplit(":", 1)[1]))
                await control.post(
                    "/_sandbox/sms", json={"number": owned, "from": "48600100200", "text": "Po restarcie"}
                )
                await telegram.wait_for(lambda: len(texts()) == 4, within=15)
                await asyncio.sleep(1.0)  # nothing earlier is sent again after the restart
            assert len(texts()) == 4 and texts()[3].endswith("Po restarcie")
            assert sum("Kod: 4711" in t for t in texts()) == 1
            assert not any("FORGED-9931" in t for t in telegram.texts(ola.chat_id))
        finally:
            await service.stop()
