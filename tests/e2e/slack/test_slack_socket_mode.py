"""Socket Mode: the same app over the fake's WebSocket; no HTTP route, no signing secret needed."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from adapters.slack import SlackPart
from adapters.slack.texts import REFUSAL as REFUSAL_KEY
from adapters.slack.texts import say
from bot.sandbox import Sandbox
from tests.e2e.slack.slack_helpers import ADMIN, APP_TOKEN, BOT_TOKEN, CHANNEL, STRANGER
from tests.fakes.slack_api import TEAM_ID, FakeSlackApi
from tests.stack import open_stack

REFUSAL = say("en", REFUSAL_KEY)  # the test stack has no Slack locale: English


@pytest.fixture
async def socket_part(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[tuple[SlackPart, FakeSlackApi]]:
    async with (
        FakeSlackApi(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as fake,
        open_stack(
            sandbox,
            database_url=f"sqlite:///{tmp_path / 'bot.db'}",
            slack_bot_token=BOT_TOKEN,
            slack_app_token=APP_TOKEN,
            slack_api_base=fake.api_base,
            slack_admin_users=ADMIN,
        ) as core,
    ):
        settings = core.settings
        part = SlackPart(
            bot_token=settings.slack_bot_token.get_secret_value(),
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            app_token=settings.slack_app_token.get_secret_value(),
            api_base=settings.slack_api_base,
            admin_users=settings.slack_admins,
            engine=core.engine,
            services=core.services,
            storage=core.storage,
        )
        try:
            yield part, fake
        finally:
            await part.stop()


def command(text: str, user: str, fake: FakeSlackApi) -> dict[str, str]:
    return {
        "team_id": TEAM_ID,
        "channel_id": CHANNEL,
        "user_id": user,
        "command": "/numbers",
        "text": text,
        "response_url": fake.response_url(),
        "trigger_id": f"trigger-{user}-{text}",
    }


async def test_socket_mode_runs_commands_and_acknowledges_envelopes(
    socket_part: tuple[SlackPart, FakeSlackApi],
) -> None:
    part, fake = socket_part
    app = web.Application()
    part.install_routes(app)
    assert all(r.resource is None or r.resource.canonical != "/slack/events" for r in app.router.routes())
    assert part.health()["ok"] is False

    await part.start()
    await fake.wait_for_socket()
    [opened] = fake.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN

    envelope = await fake.send_envelope("slash_commands", command("list", ADMIN, fake))
    ack = await fake.wait_for_ack(envelope)
    assert ack["envelope_id"] == envelope
    await fake.wait_for("response_url")
    assert await part.wait_idle()
    assert "Numbers" in fake.calls_to("response_url")[0].args["text"]
    assert part.health() == {"ok": True, "mode": "socket", "last_error": None}

    refused = await fake.send_envelope("slash_commands", command("list", STRANGER, fake))
    assert (await fake.wait_for_ack(refused))["payload"] == {"response_type": "ephemeral", "text": REFUSAL}

    await part.stop()
    assert part.health()["ok"] is False


def test_a_part_without_a_signing_secret_trusts_no_http_request(
    socket_part: tuple[SlackPart, FakeSlackApi],
) -> None:
    part, _ = socket_part
    body = b"command=%2Fnumbers&text=list&user_id=" + ADMIN.encode()
    stamp = str(int(time.time()))
    # Signed with the empty key it holds: still not proof the request came from Slack.
    digest = hmac.new(b"", b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}
    assert part.verified(body, headers) is False
