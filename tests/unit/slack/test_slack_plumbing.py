"""Delivery outcomes, who acts and which delivery it is, trusted file hosts, background tasks."""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.slack_response import SlackResponse

from adapters.slack.delivery import DeliveryOutcome, outcome_of_error
from adapters.slack.files import FileTooBig, SlackFileFetcher
from adapters.slack.gate import acting_user, delivery_key, is_dm_text
from adapters.slack.tasks import BackgroundTasks


def api_error(error: str, status: int = 200, headers: dict[str, str] | None = None) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("failed", response)  # type: ignore[no-untyped-call]  # slack_sdk leaves __init__ unannotated


def test_delivery_outcomes() -> None:
    assert DeliveryOutcome.delivered("1.2") == DeliveryOutcome(True, ts="1.2")
    assert outcome_of_error(api_error("ratelimited", 429, {"Retry-After": "12"})) == DeliveryOutcome(
        False, "ratelimited", 12.0
    )
    assert outcome_of_error(api_error("ratelimited", 429, {"Retry-After": "soon"})).retry_after == 60.0
    assert outcome_of_error(api_error("not_in_channel")) == DeliveryOutcome(False, "not_in_channel", None)
    assert outcome_of_error(api_error("fatal_error", 500)).retry_after == 60.0
    transport = outcome_of_error(aiohttp.ClientConnectionError())
    assert not transport.sent and transport.retry_after == 30.0
    assert outcome_of_error(TimeoutError()).error == "transport: TimeoutError"


def test_delivery_keys_and_users() -> None:
    event = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "file_shared", "user_id": "U1"}}
    assert delivery_key(event) == "slack:event:Ev1"
    assert acting_user(event) == "U1"
    command = {"command": "/numbers", "trigger_id": "t1", "user_id": "U2"}
    assert delivery_key(command) == "slack:command:t1"
    assert acting_user(command) == "U2"
    press = {
        "type": "block_actions",
        "trigger_id": "t2",
        "user": {"id": "U3"},
        "actions": [{"action_ts": "9.1"}],
    }
    assert delivery_key(press) == "slack:block_actions:t2:9.1"
    assert acting_user(press) == "U3"
    assert delivery_key({"type": "url_verification"}) is None
    assert acting_user({"type": "event_callback", "event": {"type": "tokens_revoked"}}) is None
    typed = {"type": "message", "channel_type": "im", "text": "hi", "user": "U1"}
    assert is_dm_text(typed)
    assert not is_dm_text(typed | {"subtype": "file_share"})
    assert not is_dm_text(typed | {"bot_id": "B1"})
    assert not is_dm_text(typed | {"channel_type": "channel"})


def test_the_token_goes_only_to_slack_or_the_configured_api_host() -> None:
    fetcher = SlackFileFetcher(AsyncWebClient(token="xoxb-1"), "xoxb-1", extra_trusted_host="127.0.0.1:8000")
    assert fetcher.trusted("https://files.slack.com/files-pri/T1-F1/download/a.png")
    assert fetcher.trusted("http://127.0.0.1:8000/files-pri/x")
    assert not fetcher.trusted("http://files.slack.com/files-pri/x")  # not over plain HTTP
    assert not fetcher.trusted("https://files.slack.com.evil.example/x")
    assert not fetcher.trusted("https://127.0.0.1:9000/x")
    assert FileTooBig(30 * 1024 * 1024, 20 * 1024 * 1024).max_mb == 20


async def test_background_tasks_are_tracked_reported_and_cancelled() -> None:
    failures: list[BaseException] = []
    tasks = BackgroundTasks(on_error=failures.append)
    done = asyncio.Event()

    async def works() -> None:
        await asyncio.sleep(0)
        done.set()

    async def fails() -> None:
        raise RuntimeError("boom")

    tasks.spawn(works(), "works")
    tasks.spawn(fails(), "fails")
    assert await tasks.wait_idle(1.0)
    assert done.is_set() and len(tasks) == 0
    assert [type(f) for f in failures] == [RuntimeError]

    stuck = tasks.spawn(asyncio.sleep(3600), "stuck")
    assert not await tasks.wait_idle(0.01)
    await tasks.close(0.01)
    assert stuck.cancelled()
