"""Malformed requests at ``/slack/events``: never a 500, never a traceback, never an operator without a user.

Every request here is correctly signed (except where the signature itself is
the point): the sender holds the signing secret, or Slack itself sent
something odd. Each gets a 4xx or is acknowledged and ignored; the log has no
ERROR and no traceback from it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from adapters.slack import actions
from tests.e2e.slack.slack_helpers import ADMIN, CHANNEL, SlackStack, buttons, sign
from tests.fakes.slack_api import TEAM_ID
from tests.fuzz_json import mutants

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _interaction(payload: Any) -> str:
    return urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)})


def _action(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": ADMIN},
        "api_app_id": "A0TEST",
        "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": True},
        "channel": {"id": CHANNEL},
        "trigger_id": f"trigger-{time.time_ns()}",
        "response_url": "http://127.0.0.1:9/nowhere",
        "actions": [
            {
                "type": "button",
                "action_id": actions.wizard_action_id(0, 0),
                "value": actions.wizard_value("team", "forged"),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def _event(event: Any, **overrides: Any) -> str:
    body: dict[str, Any] = {
        "token": "legacy",
        "team_id": TEAM_ID,
        "api_app_id": "A0TEST",
        "type": "event_callback",
        "event_id": f"Ev{time.time_ns()}",
        "event_time": int(time.time()),
        "event": event,
    }
    body.update(overrides)
    return json.dumps(body)


def _command(**fields: str) -> str:
    values = {
        "team_id": TEAM_ID,
        "channel_id": CHANNEL,
        "user_id": ADMIN,
        "command": "/numbers",
        "text": "list",
        "response_url": "http://127.0.0.1:9/nowhere",
        "trigger_id": f"trigger-{time.time_ns()}",
    }
    values.update(fields)
    return urlencode({k: v for k, v in values.items() if v != "<drop>"})


MALFORMED: list[tuple[str, str, str]] = [
    ("empty body", "", FORM),
    ("empty json", "", JSON),
    ("json that is not json", "{", JSON),
    ("a json list", "[]", JSON),
    ("a json string", '"hello"', JSON),
    ("json null", "null", JSON),
    ("deeply nested json", "[" * 5000 + "]" * 5000, JSON),
    ("a json object with nothing", "{}", JSON),
    ("payload that is not json", _interaction("{not json"), FORM),
    ("payload that is a list", _interaction("[1, 2]"), FORM),
    ("payload that is a string", _interaction('"x"'), FORM),
    ("payload without a type", _interaction({"user": {"id": ADMIN}}), FORM),
    ("block_actions with actions a string", _interaction(_action(actions="x")), FORM),
    ("block_actions with an empty list", _interaction(_action(actions=[])), FORM),
    ("block_actions with a number for an action", _interaction(_action(actions=[1])), FORM),
    ("block_actions with an empty action", _interaction(_action(actions=[{}])), FORM),
    ("block_actions with user a string", _interaction(_action(user=ADMIN)), FORM),
    ("block_actions with user a number", _interaction(_action(user=5)), FORM),
    ("block_actions with channel a string", _interaction(_action(channel="C1", container="x")), FORM),
    ("block_actions with message a string", _interaction(_action(message="x")), FORM),
    (
        "autorenew with a container list",
        _interaction(
            _action(
                container=[],
                message={"ts": "1.2", "blocks": "x"},
                actions=[{"action_id": actions.wizard_action_id(0, 1), "value": "x", "action_ts": "1"}],
            )
        ),
        FORM,
    ),
    (
        "view_submission without a view",
        _interaction({"type": "view_submission", "user": {"id": ADMIN}}),
        FORM,
    ),
    (
        "view_submission with a string view",
        _interaction({"type": "view_submission", "user": {"id": ADMIN}, "view": "x", "trigger_id": "t-v1"}),
        FORM,
    ),
    (
        "view_submission with odd state",
        _interaction(
            {
                "type": "view_submission",
                "user": {"id": ADMIN},
                "trigger_id": "t-v2",
                "view": {"callback_id": actions.FORM_VIEW, "private_metadata": 7, "state": {"values": "x"}},
            }
        ),
        FORM,
    ),
    (
        "view_submission of the text view, odd",
        _interaction(
            {
                "type": "view_submission",
                "user": {"id": ADMIN},
                "trigger_id": "t-v3",
                "view": {"callback_id": actions.TEXT_VIEW, "private_metadata": "{", "state": []},
            }
        ),
        FORM,
    ),
    ("shortcut with nothing", _interaction({"type": "shortcut", "callback_id": "x"}), FORM),
    ("event that is a string", _event("x"), JSON),
    ("event that is a list", _event([]), JSON),
    ("event with a numeric type", _event({"type": 5}), JSON),
    (
        "home opened by a dict user",
        _event({"type": "app_home_opened", "user": {"id": ADMIN}, "tab": 5}),
        JSON,
    ),
    (
        "file shared with a string file",
        _event({"type": "file_shared", "channel_id": "D1", "user_id": ADMIN, "file": "x"}),
        JSON,
    ),
    (
        "dm message with a dict text",
        _event({"type": "message", "channel_type": "im", "channel": "D1", "user": ADMIN, "text": {"a": 1}}),
        JSON,
    ),
    # Shapes the checks above Bolt do not look at, which Bolt's own parsing trips over.
    (
        "event with a number for its enterprise",
        _event({"type": "message", "user": ADMIN, "enterprise": 5}),
        JSON,
    ),
    (
        "a request of an unknown type with a list for a user id",
        json.dumps({"type": "app_rate_limited", "team_id": TEAM_ID, "user": {"id": [ADMIN]}}),
        JSON,
    ),
    ("event_id a list", _event({"type": "app_home_opened", "user": ADMIN}, event_id=[1]), JSON),
    ("url_verification without challenge", json.dumps({"type": "url_verification"}), JSON),
    ("command with an empty command", _command(command=""), FORM),
    ("command with a strange command", _command(command="/other", text="\x00\u202e"), FORM),
    ("command with a huge text", _command(text="9" * 5000), FORM),
    ("form body with repeated keys", "payload=1&payload=2", FORM),
    ("form body that is not form", "%%%", FORM),
]


@pytest.mark.parametrize(
    ("body", "content_type"), [(b, c) for _, b, c in MALFORMED], ids=[name for name, _, _ in MALFORMED]
)
async def test_a_signed_malformed_request_gets_no_500_and_no_traceback(
    stack: SlackStack, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    reply = await stack.slack.post(body, content_type)
    await stack.idle()
    assert reply.status < 500
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], [(r.name, r.getMessage(), r.exc_info) for r in bad]
    assert stack.sandbox.call_count("prolong") == 0


async def _post_bytes(stack: SlackStack, body: bytes, timestamp: str, signature: str) -> int:
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
    async with stack.http.post(stack.slack.url, data=body, headers=headers) as response:
        return response.status


async def test_a_body_that_is_not_utf8_is_refused_without_a_traceback(
    stack: SlackStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    now = str(int(time.time()))
    body = b"payload=\xff\xfe\xfa"
    assert await _post_bytes(stack, body, now, "v0=deadbeef") == 401
    # Correctly signed over the raw bytes: still not a request Slack could send.
    import hashlib
    import hmac

    from tests.e2e.slack.slack_helpers import SIGNING_SECRET

    digest = hmac.new(
        SIGNING_SECRET.encode(), b"v0:" + now.encode() + b":" + body, hashlib.sha256
    ).hexdigest()
    assert await _post_bytes(stack, body, now, f"v0={digest}") == 400
    # Odd timestamps are refused too, never parsed into a crash.
    for stamp in ("²", "9" * 5000, "-1", " 1"):
        assert await _post_bytes(stack, b"x=1", stamp, sign("x=1", stamp)) == 401
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], [(r.name, r.getMessage()) for r in bad]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 6  # one line per refused request


async def _prolong_confirmation(stack: SlackStack, number: str) -> list[dict[str, Any]]:
    """The admin's real confirmation of prolonging ``number`` by a month (its blocks)."""
    url = stack.fake.response_url()
    await stack.slack.command(f"prolong {number} 1", response_url=url)
    await stack.idle()
    blocks: list[dict[str, Any]] = stack.fake.calls_to("response_url")[-1].args["blocks"]
    return blocks


async def test_a_signed_button_press_without_a_user_is_refused(stack: SlackStack) -> None:
    number = stack.owned()
    before = stack.sandbox.state.numbers[number].stop_date
    confirmation = await _prolong_confirmation(stack, number)
    value = next(b["value"] for b in buttons(confirmation) if "pay" in b["text"]["text"].lower())
    for user in (..., None, "", {}, {"id": ""}):
        payload = _action(
            user=user,
            actions=[{"action_id": actions.wizard_action_id(0, 0), "value": value, "action_ts": "1"}],
        )
        reply = await stack.slack.post(_interaction(payload), FORM)
        assert reply.status < 500
    await stack.idle()
    assert stack.sandbox.call_count("prolong") == 0
    assert stack.sandbox.state.numbers[number].stop_date == before


async def test_a_signed_command_without_a_user_changes_nothing(stack: SlackStack) -> None:
    number = next(n for n in stack.sandbox.state.numbers.values() if n.status == "on" and n.autorenew)
    for user in ("<drop>", ""):
        reply = await stack.slack.post(_command(user_id=user, text=f"autorenew {number.number} off"), FORM)
        assert reply.status < 500
    await stack.idle()
    assert stack.sandbox.state.numbers[number.number].autorenew
    assert stack.sandbox.call_count("autoprolongation", "PUT") == 0


async def test_a_signed_event_without_a_user_does_nothing(stack: SlackStack) -> None:
    # Acknowledged with an empty 200 (Slack must not retry it); no refusal, since nobody is there to tell.
    for user in ({}, {"user": ""}):
        replies = [
            await stack.slack.post(_event({"type": "app_home_opened", "tab": "home", **user}), JSON),
            await stack.slack.post(
                _event({"type": "message", "channel_type": "im", "channel": "D1", "text": "hi", **user}), JSON
            ),
        ]
        assert [(r.status, r.text) for r in replies] == [(200, ""), (200, "")]
    await stack.idle()
    assert stack.fake.calls_to("views.publish") == []
    assert stack.fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("seed", [2020, 5, 7])  # 5 and 7 found shapes that crashed Bolt's own middleware
async def test_fuzzed_signed_requests_get_no_500_and_no_traceback(
    stack: SlackStack, caplog: pytest.LogCaptureFixture, seed: int
) -> None:
    """Seeded random mutations of a button press, a modal submission, events and a command, signed."""
    caplog.set_level(logging.INFO)
    submission = {
        "type": "view_submission",
        "team": {"id": TEAM_ID},
        "user": {"id": ADMIN},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "group_form",
            "private_metadata": "",
            "state": {"values": {}},
        },
    }
    interactions = [_action(), submission]
    events = [
        json.loads(_event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})),
        json.loads(
            _event({"type": "message", "channel_type": "im", "channel": "D1", "user": ADMIN, "text": "hi"})
        ),
    ]
    command = {
        "team_id": TEAM_ID,
        "channel_id": CHANNEL,
        "user_id": ADMIN,
        "command": "/numbers",
        "text": "list",
        "response_url": "http://127.0.0.1:9/nowhere",
        "trigger_id": "trigger-1",
    }
    requests: list[tuple[str, str]] = []
    for payload in mutants(interactions, 40, seed=seed):
        requests.append((_interaction(payload), FORM))
    for index, body in enumerate(mutants(events, 30, seed=seed + 1)):
        if isinstance(body, dict):
            body["event_id"] = f"EvFuzz{index}"
        requests.append((json.dumps(body), JSON))
    for fields in mutants([command], 30, seed=seed + 2):
        pairs = fields.items() if isinstance(fields, dict) else []
        requests.append(
            (urlencode({k: json.dumps(v) if not isinstance(v, str) else v for k, v in pairs}), FORM)
        )
    statuses = []
    for body, content_type in requests:
        statuses.append((await stack.slack.post(body, content_type)).status)
    await stack.idle()
    assert max(statuses) < 500, statuses
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], [(r.name, r.getMessage(), r.exc_info) for r in bad]
    assert stack.sandbox.call_count("prolong") == 0
