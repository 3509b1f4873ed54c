"""Zadarma's notifications in the emulator: the settings, the echo check and signed deliveries.

Zadarma pushes SMS and call events to URLs the account configures:

* ``POST /v1/pbx/webhooks/url`` (``url``) and ``POST /v1/pbx/webhooks/hooks``
  (``sms``, ``number_lookup``, ``call_tracking``, ``speech_recognition``):
  where SMS go and which kinds are on; ``GET /v1/pbx/webhooks`` reads both.
* ``POST /v1/pbx/callinfo/url`` and ``POST /v1/pbx/callinfo/notifications``
  (``notify_start``, ``notify_end``, ...): where call events go and which;
  ``GET /v1/pbx/callinfo`` reads both.

Before a URL is accepted it is checked: ``GET <url>?zd_echo=<random>`` must
answer exactly that value as the body. Events are form POSTs with a
``Signature`` header, ``base64(hex(HMAC-SHA1(secret, data)))``: for an SMS
``data`` is the ``result`` field (a JSON string with ``caller_id``,
``caller_did`` and ``text``); for ``NOTIFY_START``/``NOTIFY_END`` it is
``caller_id + called_did + call_start``.

The signing here is the emulator's own, written apart from the bot's check
(:mod:`bot.zadarma.notifications`) so that a bug in one cannot hide in both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

HOOK_KINDS = ("number_lookup", "call_tracking", "sms", "speech_recognition")
CALL_NOTIFICATIONS = (
    "notify_start",
    "notify_internal",
    "notify_end",
    "notify_out_start",
    "notify_out_end",
    "notify_answer",
)
ECHO_TIMEOUT = 5.0
DELIVERY_TIMEOUT = 10.0


@dataclass
class NotifySettings:
    """The account's notification settings (empty URL: not set; every kind off)."""

    webhook_url: str = ""
    hooks: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(HOOK_KINDS, False))
    callinfo_url: str = ""
    notifications: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(CALL_NOTIFICATIONS, False))


def sign(data: str, secret: str) -> str:
    """``base64`` of the lower-case hex HMAC-SHA1 of ``data`` keyed with ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def sms_event(number: str, sender: str, text: str, secret: str) -> tuple[dict[str, str], str]:
    """The form fields of an SMS event and its ``Signature``."""
    result = json.dumps({"caller_id": sender, "caller_did": number, "text": text}, ensure_ascii=False)
    return {"event": "SMS", "result": result}, sign(result, secret)


def call_events(
    number: str, sender: str, duration: int, started: datetime, call_id: str, secret: str
) -> list[tuple[dict[str, str], str]]:
    """``NOTIFY_START`` and ``NOTIFY_END`` of one incoming call, each with its ``Signature``."""
    call_start = started.strftime("%Y-%m-%d %H:%M:%S")
    common = {"call_start": call_start, "pbx_call_id": call_id, "caller_id": sender, "called_did": number}
    signature = sign(sender + number + call_start, secret)
    end = {
        "event": "NOTIFY_END",
        **common,
        "internal": "",
        "duration": str(duration),
        "disposition": "answered" if duration > 0 else "no answer",
        "status_code": "16" if duration > 0 else "19",
        "is_recorded": "0",
        "call_id_with_rec": "",
    }
    return [({"event": "NOTIFY_START", **common}, signature), (end, signature)]


class Notifier:
    """Makes the emulator's outgoing requests (the echo check, event deliveries)."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport

    def _client(self, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self._transport, timeout=timeout, follow_redirects=False)

    async def echo_problem(self, url: str) -> str | None:
        """``None`` when ``url`` passes the echo check, else why it does not."""
        if not url.startswith(("http://", "https://")):
            return f"url must be an http(s) URL, got {url!r}"
        value = secrets.token_hex(8)
        try:
            async with self._client(ECHO_TIMEOUT) as http:
                response = await http.get(url, params={"zd_echo": value})
        except httpx.HTTPError as exc:
            return f"the URL did not answer the check ({type(exc).__name__})"
        if response.status_code != 200 or response.text.strip() != value:
            return f"the URL did not echo zd_echo (HTTP {response.status_code})"
        return None

    async def post(self, url: str, form: dict[str, str], signature: str) -> dict[str, Any]:
        """POST one signed event; what the receiver answered (``status`` 0 when it did not)."""
        try:
            async with self._client(DELIVERY_TIMEOUT) as http:
                response = await http.post(url, data=form, headers={"Signature": signature})
        except httpx.HTTPError as exc:
            return {"event": form.get("event", ""), "status": 0, "error": type(exc).__name__}
        return {"event": form.get("event", ""), "status": response.status_code}
