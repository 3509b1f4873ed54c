"""Signatures, retried deliveries and who may use the bot, over the real HTTP endpoint."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from adapters.slack import actions
from adapters.slack.texts import REFUSAL as REFUSAL_KEY
from adapters.slack.texts import say
from tests.e2e.slack.slack_helpers import ADMIN, DM, STRANGER, SlackStack, button_labelled, sign, text_of
from tests.fakes.slack_api import TEAM_ID

REFUSAL = say("en", REFUSAL_KEY)  # the test stack has no Slack locale: English


async def test_a_bad_signature_is_refused_with_401_and_nothing_runs(stack: SlackStack) -> None:
    body = stack.slack.command_body("list")
    reply = await stack.slack.post(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert reply.status == 401
    forged = sign(body, str(int(time.time())), secret="not-the-secret")
    reply = await stack.slack.post(body, "application/x-www-form-urlencoded", signature=forged)
    assert reply.status == 401
    await stack.idle()
    assert stack.fake.calls == []


async def test_an_old_timestamp_is_refused_with_401(stack: SlackStack) -> None:
    body = stack.slack.command_body("list")
    old = int(time.time()) - 6 * 60
    reply = await stack.slack.post(
        body, "application/x-www-form-urlencoded", timestamp=old, signature=sign(body, str(old))
    )
    assert reply.status == 401
    reply = await stack.slack.post(body, "application/x-www-form-urlencoded", signature="")
    assert reply.status == 401
    await stack.idle()
    assert stack.fake.calls == []


async def test_a_stranger_gets_a_polite_ephemeral_refusal_and_nothing_happens(stack: SlackStack) -> None:
    number = stack.owned()
    before = stack.sandbox.state.numbers[number].stop_date
    reply = await stack.slack.command(f"prolong {number} 1", user=STRANGER)
    assert reply.status == 200
    assert reply.json() == {"response_type": "ephemeral", "text": REFUSAL}

    # A confirmation button (copied from an admin's message) does nothing either.
    url = stack.fake.response_url()
    await stack.slack.command(f"prolong {number} 1", response_url=url)
    await stack.idle()
    confirmation = stack.fake.calls_to("response_url")[-1].args["blocks"]
    pay = button_labelled(confirmation, "Confirm and pay")
    reply = await stack.slack.interaction(
        stack.slack.action_payload(pay["action_id"], pay["value"], user=STRANGER)
    )
    assert reply.status == 200
    await stack.idle()
    assert stack.sandbox.call_count("prolong") == 0
    assert stack.sandbox.state.numbers[number].stop_date == before
    refusal = stack.fake.calls_to("response_url")[-1]
    assert REFUSAL in text_of(refusal.args["blocks"])

    # The home tab and a DM say the same, and show no account data.
    await stack.slack.event({"type": "app_home_opened", "user": STRANGER, "tab": "home", "channel": "D9"})
    await stack.slack.event(
        {"type": "message", "channel_type": "im", "channel": "DSTRANGER", "user": STRANGER, "text": "hi"}
    )
    await stack.idle()
    [home] = stack.fake.calls_to("views.publish")
    assert home.args["user_id"] == STRANGER
    assert text_of(home.args["view"]["blocks"]) == REFUSAL
    [dm] = stack.fake.calls_to("chat.postMessage")
    assert dm.args["channel"] == "DSTRANGER"
    assert REFUSAL in dm.args["text"]


async def test_a_stranger_cannot_submit_a_modal(stack: SlackStack) -> None:
    view = {"callback_id": actions.FORM_VIEW, "private_metadata": "", "blocks": []}
    reply = await stack.slack.submit_view(view, {}, user=STRANGER)
    assert reply.status == 200
    assert reply.json()["response_action"] == "update"
    assert REFUSAL in text_of(reply.json()["view"]["blocks"])


async def test_a_retried_event_delivery_is_dropped(stack: SlackStack) -> None:
    event = {"type": "message", "channel_type": "im", "channel": DM, "user": ADMIN, "text": "hello"}
    first = await stack.slack.event(event, event_id="Ev-same")
    again = await stack.slack.event(event, event_id="Ev-same", retry_num=1)
    assert (first.status, again.status) == (200, 200)
    assert again.text == ""
    await stack.idle()
    assert len(stack.fake.calls_to("chat.postMessage")) == 1


async def test_health_reports_http_mode(stack: SlackStack) -> None:
    async with stack.http.get(f"{stack.base_url}/healthz") as response:
        report = await response.json()
    assert response.status == 200
    assert report["parts"]["slack"] == {"ok": True, "mode": "http", "last_error": None}


async def test_the_url_verification_challenge_is_answered(stack: SlackStack) -> None:
    body = '{"token": "legacy", "challenge": "c-123", "type": "url_verification"}'
    reply = await stack.slack.post(body, "application/json")
    assert reply.status == 200
    assert "c-123" in reply.text


async def test_a_repeated_command_delivery_is_answered_empty_and_runs_once(stack: SlackStack) -> None:
    # Slack shows the text of a command's answer to the user: a dropped repeat must say nothing.
    body = stack.slack.command_body("list", trigger_id="trigger-repeated")
    first = await stack.slack.post(body, "application/x-www-form-urlencoded")
    again = await stack.slack.post(body, "application/x-www-form-urlencoded", retry_num=1)
    await stack.idle()
    assert first.status == again.status == 200
    assert again.text == ""
    assert len(stack.fake.calls_to("response_url")) == 1


async def test_events_without_an_event_id_are_each_handled(stack: SlackStack) -> None:
    # Nothing to recognise a repeat by: each is handled (and none is taken for another).
    for text in ("hello", "hello again"):
        event = {"type": "message", "channel_type": "im", "channel": DM, "user": ADMIN, "text": text}
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM_ID,
                "api_app_id": "A0TEST",
                "type": "event_callback",
                "event": event,
            }
        )
        reply = await stack.slack.post(body, "application/json")
        assert reply.status == 200
    await stack.idle()
    assert len(stack.fake.calls_to("chat.postMessage")) == 2


@pytest.mark.parametrize(
    ("age", "accepted"), [(300.0, True), (300.5, False), (-300.0, True), (-300.5, False), (0.0, True)]
)
async def test_a_signature_is_good_for_five_minutes_either_side_of_now(
    stack: SlackStack, monkeypatch: pytest.MonkeyPatch, age: float, accepted: bool
) -> None:
    # Slack's rule: a request more than five minutes old (or ahead: a skewed clock) is refused.
    stamp = int(time.time())  # Bolt checks the signature again, on the real clock
    clock = SimpleNamespace(time=lambda: stamp + age, perf_counter=time.perf_counter)
    monkeypatch.setattr("adapters.slack.part.time", clock)
    body = stack.slack.command_body("list")
    reply = await stack.slack.post(
        body, "application/x-www-form-urlencoded", timestamp=stamp, signature=sign(body, str(stamp))
    )
    await stack.idle()
    assert reply.status == (200 if accepted else 401)
    assert len(stack.fake.calls_to("response_url")) == (1 if accepted else 0)


async def test_a_signature_header_that_is_not_utf8_is_refused_with_401(stack: SlackStack) -> None:
    body = stack.slack.command_body("list").encode()
    stamp = str(int(time.time())).encode()
    url = urlsplit(stack.slack.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(
            b"POST " + url.path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"X-Slack-Request-Timestamp: " + stamp + b"\r\n"
            b"X-Slack-Signature: v0=\xff\xfe" + b"0" * 60 + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        await writer.drain()
        status_line = await reader.readline()
    finally:
        writer.close()
    assert status_line.split()[1] == b"401"
    await stack.idle()
    assert stack.fake.calls == []


async def test_a_json_body_is_read_by_its_content_type_as_bolt_reads_it(stack: SlackStack) -> None:
    # Not starting with "{" (pretty-printed, say): still JSON, because the content type says so.
    body = '\n  {"token": "legacy", "challenge": "c-456", "type": "url_verification"}'
    reply = await stack.slack.post(body, "application/json")
    assert reply.status == 200
    assert "c-456" in reply.text
