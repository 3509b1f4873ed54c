"""The gate fails closed: no user, no operator; a body not shaped like Slack's is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.gate import Gate, acting_user
from adapters.slack.outbox import Outbox
from adapters.slack.payloads import MalformedRequest, problem, read_body
from adapters.slack.tasks import BackgroundTasks
from bot.storage.memory import MemoryStorage


def _gate() -> Gate:
    return Gate(
        admin_users=frozenset({"UADMIN"}),
        storage=MemoryStorage(),
        outbox=Outbox(AsyncWebClient(token="xoxb-x", base_url="http://127.0.0.1:9/")),
        tasks=BackgroundTasks(),
        now=lambda: datetime.now(UTC),
    )


async def _passes(gate: Gate, body: dict[str, Any]) -> tuple[bool, int | None]:
    called = []

    async def nxt() -> None:
        called.append(True)

    response = await gate.guard(body, nxt)
    return bool(called), None if response is None else response.status


PRESS = {"type": "block_actions", "trigger_id": "t1", "actions": [{"action_id": "zb.x", "action_ts": "1"}]}


@pytest.mark.parametrize("user", [None, "", {}, {"id": ""}, {"id": 5}, 5, ["UADMIN"]])
async def test_a_press_without_a_usable_user_never_reaches_a_listener(user: Any) -> None:
    body = dict(PRESS, trigger_id=f"t-{user!r}", user=user)
    passed, status = await _passes(_gate(), body)
    assert not passed
    assert status is not None and 400 <= status < 500


async def test_a_command_without_a_user_never_reaches_a_listener() -> None:
    for fields in ({}, {"user_id": ""}):
        body = {"command": "/numbers", "text": "autorenew 48221234567 off", "trigger_id": "t", **fields}
        passed, status = await _passes(_gate(), body)
        assert (passed, status) == (False, 400)


async def test_an_event_without_a_user_is_acknowledged_and_ignored() -> None:
    body = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "app_home_opened", "tab": "home"}}
    assert await _passes(_gate(), body) == (False, 200)


async def test_the_admin_passes_and_a_user_given_as_a_string_is_read_the_same() -> None:
    body = dict(PRESS, user={"id": "UADMIN"})
    assert await _passes(_gate(), body) == (True, None)
    event = {"type": "event_callback", "event_id": "Ev2", "event": {"type": "message", "user": "UADMIN"}}
    assert acting_user(event) == "UADMIN"


def test_well_formed_bodies_have_no_problem() -> None:
    assert problem({"command": "/numbers", "user_id": "U1", "text": ""}) is None
    assert problem(dict(PRESS, user={"id": "U1"})) is None
    assert problem({"type": "url_verification", "challenge": "abc"}) is None
    assert problem({"ssl_check": "1", "token": "x"}) is None


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"\xff\xfe", "application/json"),
        (b"", "application/json"),
        (b"[1]", "application/json"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "application/json"),
        (b"payload=%7B", "application/x-www-form-urlencoded"),
        (b"xpayloadx=1", "application/x-www-form-urlencoded"),
    ],
)
def test_unreadable_bodies_are_malformed(raw: bytes, content_type: str) -> None:
    with pytest.raises(MalformedRequest):
        read_body(raw, content_type)
