"""Socket Mode: the same app over the fake's WebSocket; no HTTP route, no signing secret needed."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from adapters.slack import SlackPart
from adapters.slack.texts import REFUSAL as REFUSAL_KEY
from adapters.slack.texts import say
from bot.metrics import Metrics
from bot.sandbox import Sandbox
from tests.e2e.slack.slack_helpers import ADMIN, APP_TOKEN, BOT_TOKEN, CHANNEL, STRANGER
from tests.fakes.slack_api import TEAM_ID, FakeSlackApi
from tests.stack import open_stack

REFUSAL = say("en", REFUSAL_KEY)  # the test stack has no Slack locale: English


@pytest.fixture
async def socket_part(
    sandbox: Sandbox, tmp_path: Path
) -> AsyncIterator[tuple[SlackPart, FakeSlackApi, Metrics]]:
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
        metrics = Metrics()
        part = SlackPart(
            bot_token=settings.slack_bot_token.get_secret_value(),
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            app_token=settings.slack_app_token.get_secret_value(),
            api_base=settings.slack_api_base,
            admin_users=settings.slack_admins,
            engine=core.engine,
            services=core.services,
            storage=core.storage,
            observer=metrics,
        )
        try:
            yield part, fake, metrics
        finally:
            await part.stop()


async def outcomes(metrics: Metrics) -> dict[str, float]:
    """Slack requests counted in /metrics, by outcome."""
    text = (await metrics.render()).decode()
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "zadarma_bot_updates_total" and sample.labels.get("platform") == "slack"
    }


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
    socket_part: tuple[SlackPart, FakeSlackApi, Metrics],
) -> None:
    part, fake, _ = socket_part
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
    socket_part: tuple[SlackPart, FakeSlackApi, Metrics],
) -> None:
    part, _, _ = socket_part
    body = b"command=%2Fnumbers&text=list&user_id=" + ADMIN.encode()
    stamp = str(int(time.time()))
    # Signed with the empty key it holds: still not proof the request came from Slack.
    digest = hmac.new(b"", b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}
    assert part.verified(body, headers) is False


async def test_a_malformed_envelope_is_acknowledged_counted_and_never_acted_on(
    socket_part: tuple[SlackPart, FakeSlackApi, Metrics],
) -> None:
    # Over HTTP such a body is refused before Bolt; over Socket Mode the gate meets it first.
    part, fake, metrics = socket_part
    await part.start()
    await fake.wait_for_socket()
    press: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": ADMIN},
        "channel": {"id": CHANNEL},
        "trigger_id": "trigger-malformed",
        "response_url": fake.response_url(),
        "actions": "not a list of actions",
    }

    envelope = await fake.send_envelope("interactive", press)

    # Acknowledged (else Slack delivers it again), with nothing to show.
    assert await fake.wait_for_ack(envelope) == {"envelope_id": envelope}
    assert await part.wait_idle()
    assert fake.calls_to("response_url") == []
    assert await outcomes(metrics) == {"malformed": 1}

    # A repeated delivery of it is still malformed, not a duplicate of something handled.
    again = await fake.send_envelope("interactive", press, retry_attempt=1)
    assert await fake.wait_for_ack(again) == {"envelope_id": again}
    assert await outcomes(metrics) == {"malformed": 2}

    # The connection still serves well-formed requests.
    listed = await fake.send_envelope("slash_commands", command("list", ADMIN, fake))
    await fake.wait_for_ack(listed)
    await fake.wait_for("response_url")
    assert await part.wait_idle()  # handled: its work has ended, not only its acknowledgement
    assert await outcomes(metrics) == {"malformed": 2, "handled": 1}
    assert part.health()["ok"] is True
