"""Signed requests to the Slack adapter's real HTTP endpoint, built the way Slack builds them."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from adapters.slack import SlackPart, actions
from bot.metrics import Metrics
from bot.sandbox import Sandbox
from bot.services import Services
from bot.storage import Storage
from tests.fakes.slack_api import TEAM_ID, FakeSlackApi

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
SIGNING_SECRET = "test-signing-secret-0123456789"
ADMIN = "UADMIN1"
OTHER_ADMIN = "UADMIN2"
STRANGER = "USTRANGER"
CHANNEL = "COPS"
DM = "DADMIN1"
ALERTS = "CALERTS"


@dataclass
class SlackStack:
    """Everything a test touches."""

    sandbox: Sandbox
    storage: Storage
    services: Services
    fake: FakeSlackApi
    part: SlackPart
    slack: SignedSlack
    base_url: str
    http: aiohttp.ClientSession
    metrics: Metrics | None = None

    def owned(self, status: str = "on") -> str:
        """Digits of a number the account holds in ``status`` (the emulator's seeded fleet)."""
        for number in sorted(self.sandbox.state.numbers.values(), key=lambda n: n.number):
            if number.status == status:
                return number.number
        raise AssertionError(f"no number in status {status}")

    async def idle(self) -> None:
        """Wait until the adapter finished the work the last requests started."""
        assert await self.part.wait_idle(10.0)


def sign(body: str, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """``v0=`` HMAC-SHA256 of ``v0:<timestamp>:<body>``, as ``SignatureVerifier`` checks it."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass
class Reply:
    """The adapter's HTTP answer."""

    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


class SignedSlack:
    """Plays Slack: posts commands, interactions and events to ``/slack/events``."""

    def __init__(self, http: aiohttp.ClientSession, url: str, fake: FakeSlackApi) -> None:
        self.http = http
        self.url = url
        self.fake = fake
        self._ids = itertools.count(1)

    def trigger(self) -> str:
        return f"trigger-{next(self._ids)}"

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
    ) -> Reply:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature if signature is not None else sign(body, ts),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        async with self.http.post(self.url, data=body.encode(), headers=headers) as response:
            return Reply(response.status, await response.text())

    def command_body(
        self,
        text: str,
        *,
        user: str = ADMIN,
        channel: str = CHANNEL,
        response_url: str | None = None,
        trigger_id: str | None = None,
    ) -> str:
        return urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM_ID,
                "channel_id": channel,
                "user_id": user,
                "command": "/numbers",
                "text": text,
                "response_url": response_url or self.fake.response_url(),
                "trigger_id": trigger_id or self.trigger(),
                "api_app_id": "A0TEST",
            }
        )

    async def command(self, text: str, **kwargs: Any) -> Reply:
        """``/numbers <text>``."""
        return await self.post(self.command_body(text, **kwargs), "application/x-www-form-urlencoded")

    def action_payload(
        self,
        action_id: str,
        value: str,
        *,
        user: str = ADMIN,
        channel: str = CHANNEL,
        response_url: str | None = None,
        trigger_id: str | None = None,
        message: dict[str, Any] | None = None,
        ephemeral: bool = True,
    ) -> dict[str, Any]:
        container: dict[str, Any] = {"type": "message", "channel_id": channel, "is_ephemeral": ephemeral}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM_ID},
            "user": {"id": user},
            "api_app_id": "A0TEST",
            "container": container,
            "channel": {"id": channel},
            "trigger_id": trigger_id or self.trigger(),
            "response_url": response_url or self.fake.response_url(),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if message is not None:
            payload["message"] = message
            container["message_ts"] = message.get("ts")
        return payload

    async def interaction(self, payload: dict[str, Any], *, retry_num: int | None = None) -> Reply:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", retry_num=retry_num)

    async def press(self, button: dict[str, Any], **kwargs: Any) -> Reply:
        """Press a rendered Block Kit button."""
        return await self.interaction(self.action_payload(button["action_id"], button["value"], **kwargs))

    async def submit_view(self, view: dict[str, Any], values: dict[str, str], *, user: str = ADMIN) -> Reply:
        """Submit a modal (as ``views.open``/``views.update`` left it) with ``block_id -> value``."""
        state: dict[str, dict[str, Any]] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input" or block["block_id"] not in values:
                continue
            element = block["element"]
            raw = values[block["block_id"]]
            item: dict[str, Any] = {"type": element["type"]}
            if element["type"] == "static_select":
                item["selected_option"] = {"value": raw, "text": {"type": "plain_text", "text": raw}}
            elif element["type"] == "datepicker":
                item["selected_date"] = raw
            else:
                item["value"] = raw
            state[block["block_id"]] = {element["action_id"]: item}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID},
            "user": {"id": user},
            "api_app_id": "A0TEST",
            "trigger_id": self.trigger(),
            "view": {
                "id": view.get("id", "V0"),
                "hash": view.get("hash", ""),
                "type": "modal",
                "callback_id": view.get("callback_id", ""),
                "private_metadata": view.get("private_metadata", ""),
                "state": {"values": state},
            },
        }
        return await self.interaction(payload)

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> Reply:
        """An Events API delivery."""
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM_ID,
                "api_app_id": "A0TEST",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._ids):08d}",
                "event_time": int(time.time()),
                "event": event,
            }
        )
        return await self.post(body, "application/json", retry_num=retry_num)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button of a message or view, in order."""
    found = []
    for block in blocks:
        if block.get("type") == "actions":
            found += [e for e in block["elements"] if e.get("type") == "button"]
    return found


def button_labelled(blocks: list[dict[str, Any]], fragment: str) -> dict[str, Any]:
    """The first button whose label contains ``fragment`` (case-insensitive)."""
    for element in buttons(blocks):
        if fragment.lower() in element["text"]["text"].lower():
            return element
    labels = [b["text"]["text"] for b in buttons(blocks)]
    raise AssertionError(f"no button like {fragment!r} among {labels}")


def text_of(blocks: list[dict[str, Any]]) -> str:
    """All text of a message's sections and contexts."""
    parts: list[str] = []
    for block in blocks:
        if "text" in block and isinstance(block["text"], dict):
            parts.append(block["text"]["text"])
        for field in block.get("fields", []):
            parts.append(field["text"])
        if block.get("type") == "context":
            parts += [e.get("text", "") for e in block["elements"]]
    return "\n".join(parts)


def answers_to(fake: FakeSlackApi, url: str) -> list[dict[str, Any]]:
    """What the adapter sent to one message's ``response_url``, oldest first."""
    return [c.args for c in fake.calls_to("response_url") if c.path.endswith(url.rsplit("/", 1)[1])]


async def press_labelled(stack: SlackStack, blocks: list[dict[str, Any]], fragment: str) -> dict[str, Any]:
    """Press the button labelled ``fragment`` of a message; the last answer to that message."""
    url = stack.fake.response_url()
    await stack.slack.press(button_labelled(blocks, fragment), response_url=url)
    await stack.idle()
    return answers_to(stack.fake, url)[-1]


async def open_form_modal(
    stack: SlackStack, blocks: list[dict[str, Any]], label: str = "Fill in the form"
) -> tuple[dict[str, Any], str]:
    """Press a screen's form button (``label``): the modal as Slack shows it last, and the message's url.

    A loading view opens at once; the form replaces it (``views.update`` with the view's hash).
    """
    url = stack.fake.response_url()
    opened_before = len(stack.fake.calls_to("views.open"))
    await stack.slack.press(button_labelled(blocks, label), response_url=url)
    await stack.idle()
    opened = stack.fake.calls_to("views.open")
    assert len(opened) == opened_before + 1
    assert opened[-1].args["view"]["callback_id"] == actions.FORM_VIEW
    updated = stack.fake.calls_to("views.update")[-1]
    assert updated.args["hash"]
    view: dict[str, Any] = stack.fake.views[updated.args["view_id"]]
    assert view["callback_id"] == actions.FORM_VIEW
    return view, url
