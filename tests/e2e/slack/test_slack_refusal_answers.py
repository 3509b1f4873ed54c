"""What Slack is answered when a request is refused: 401 for the signature, 400 for the shape."""

from __future__ import annotations

import json

from tests.e2e.slack.slack_helpers import SlackStack


async def test_a_bad_signature_and_a_malformed_body_get_their_own_answers(stack: SlackStack) -> None:
    body = stack.slack.command_body("list")
    reply = await stack.slack.post(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert (reply.status, reply.json()) == (401, {"error": "invalid request"})
    reply = await stack.slack.post('{"type": "event_callback", "event": 5}', "application/json")
    assert (reply.status, reply.json()) == (400, {"error": "malformed request"})
    reply = await stack.slack.post(json.dumps([1, 2]), "application/json")
    assert (reply.status, reply.json()) == (400, {"error": "malformed request"})
    await stack.idle()
    assert stack.fake.calls == []
