"""The emulator's notification settings, its echo check and the signed SMS and call events it delivers.

A real receiver listens on 127.0.0.1; the signatures it gets are recomputed here by hand from the
documented rule (base64 of the hex HMAC-SHA1), not with the product's functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.sandbox import Sandbox
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.errors import ZadarmaAPIError
from bot.zadarma.ratelimit import RateLimiter


@dataclass
class Receiver:
    url: str
    echo_ok: bool = True
    events: list[tuple[dict[str, str], str | None]] = field(default_factory=list)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver("")

    async def handle(request: web.Request) -> web.Response:
        if request.method == "GET":
            echo = request.query.get("zd_echo", "")
            return web.Response(text=echo if state.echo_ok else "nope")
        form = await request.post()
        state.events.append(({k: str(v) for k, v in form.items()}, request.headers.get("Signature")))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/zadarma/events", handle)
    async with TestServer(app, host="127.0.0.1") as server:
        state.url = str(server.make_url("/zadarma/events"))
        yield state


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[ZadarmaClient]:
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        yield ZadarmaClient(
            http,
            base_url="http://sandbox.test",
            key=sandbox.key,
            secret=sandbox.secret,
            limiter=RateLimiter(100),
        )


def by_hand(data: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), data.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(mac.encode()).decode()


async def control(sandbox: Sandbox, path: str, body: dict[str, object]) -> httpx.Response:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox.test") as http:
        return await http.post(path, json=body)


async def test_settings_start_empty_and_are_kept(api: ZadarmaClient, receiver: Receiver) -> None:
    settings = await api.webhook_settings()
    assert settings.url == "" and settings.hooks.sms is False
    assert await api.set_webhook_url(receiver.url) == receiver.url
    hooks = await api.set_webhook_hooks(sms=True)
    assert hooks.sms is True and hooks.call_tracking is False
    assert await api.set_callinfo_url(receiver.url) == receiver.url
    notifications = await api.set_call_notifications(notify_start=True, notify_end=True)
    assert notifications.notify_end and not notifications.notify_answer
    again = await api.webhook_settings()
    assert again.url == receiver.url and again.hooks.sms is True
    calls = await api.callinfo_settings()
    assert calls.url == receiver.url and calls.notifications.notify_start is True


async def test_a_url_that_does_not_echo_is_refused_and_nothing_changes(
    api: ZadarmaClient, receiver: Receiver
) -> None:
    receiver.echo_ok = False
    with pytest.raises(ZadarmaAPIError, match="zd_echo"):
        await api.set_webhook_url(receiver.url)
    with pytest.raises(ZadarmaAPIError):
        await api.set_callinfo_url("http://127.0.0.1:9/nothing-listens-here")
    assert (await api.webhook_settings()).url == ""
    assert (await api.callinfo_settings()).url == ""


async def test_an_sms_is_delivered_signed_over_its_result(
    sandbox: Sandbox, api: ZadarmaClient, receiver: Receiver
) -> None:
    number = sandbox.seed_owned_numbers(1)[0]
    refused = await control(sandbox, "/_sandbox/sms", {"number": number, "from": "48600100200", "text": "x"})
    assert refused.status_code == 400 and "off" in refused.json()["message"]
    await api.set_webhook_url(receiver.url)
    await api.set_webhook_hooks(sms=True)
    answer = await control(
        sandbox, "/_sandbox/sms", {"number": number, "from": "48600100200", "text": "Kod: 1234 ~ żółć"}
    )
    assert answer.status_code == 200 and answer.json()["deliveries"] == [{"event": "SMS", "status": 200}]
    [(form, signature)] = receiver.events
    assert form["event"] == "SMS"
    assert json.loads(form["result"]) == {
        "caller_id": "48600100200",
        "caller_did": number,
        "text": "Kod: 1234 ~ żółć",
    }
    assert signature == by_hand(form["result"], sandbox.secret)
    unknown = await control(sandbox, "/_sandbox/sms", {"number": "48999000111", "from": "1", "text": "x"})
    assert unknown.status_code == 400 and "not yours" in unknown.json()["message"]


async def test_a_call_sends_start_and_end_signed_over_caller_called_and_start(
    sandbox: Sandbox, api: ZadarmaClient, receiver: Receiver
) -> None:
    number = sandbox.seed_owned_numbers(1)[0]
    await api.set_callinfo_url(receiver.url)
    await api.set_call_notifications(notify_start=True, notify_end=True)
    answer = await control(
        sandbox, "/_sandbox/call", {"number": number, "from": "48600100200", "duration": 0}
    )
    assert answer.status_code == 200
    [(start, s1), (end, s2)] = receiver.events
    assert start["event"] == "NOTIFY_START" and end["event"] == "NOTIFY_END"
    assert end["duration"] == "0" and end["disposition"] == "no answer"
    assert start["pbx_call_id"] == end["pbx_call_id"]
    expected = by_hand("48600100200" + number + start["call_start"], sandbox.secret)
    assert s1 == s2 == expected
    await api.set_call_notifications(notify_start=False)
    await control(sandbox, "/_sandbox/call", {"number": number, "from": "48600100200", "duration": 125})
    assert [e["event"] for e, _ in receiver.events[2:]] == ["NOTIFY_END"]
    assert receiver.events[2][0]["duration"] == "125" and receiver.events[2][0]["disposition"] == "answered"


async def test_events_setup_points_both_kinds_at_the_url_and_never_silently_replaces_another(
    api: ZadarmaClient, receiver: Receiver
) -> None:
    from bot.events_setup import describe, setup

    ok, line = await describe(api, receiver.url)
    assert not ok and "(not set)" in line
    other = receiver.url + "?elsewhere=1"
    await api.set_webhook_url(other)
    ok, line = await setup(api, receiver.url)
    assert not ok and "--force" in line
    assert (await api.webhook_settings()).url == other
    ok, line = await setup(api, receiver.url, force=True)
    assert ok, line
    settings, calls = await api.webhook_settings(), await api.callinfo_settings()
    assert settings.url == calls.url == receiver.url
    assert settings.hooks.sms and calls.notifications.notify_start and calls.notifications.notify_end
