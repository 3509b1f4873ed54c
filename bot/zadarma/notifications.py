"""Zadarma's pushed events (SMS, incoming calls): the signature check and the typed events.

Zadarma POSTs a form with a ``Signature`` header, ``base64`` of the lower-case
hex HMAC-SHA1 keyed with the API secret, over:

* ``event=SMS``: the ``result`` field, a JSON string with ``caller_id`` (the
  sender), ``caller_did`` (the account's number) and ``text``;
* ``event=NOTIFY_START`` / ``NOTIFY_END``: ``caller_id + called_did + call_start``.

:func:`read_event` checks the signature in constant time and raises
:class:`ForgedEvent` for a missing or wrong one; events of other kinds are
``None`` (nothing to deliver). Before a URL is used Zadarma sends
``zd_echo=<value>`` and expects the value back as the plain body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field


class ForgedEvent(Exception):
    """The event is unsigned, wrongly signed or unreadable: refuse it (401) and deliver nothing."""


@dataclass(frozen=True)
class SmsEvent:
    """An SMS arrived on ``number`` from ``sender``; ``result`` is the raw signed JSON (its identity)."""

    number: str
    sender: str
    text: str
    result: str
    keyed_digest: str = field(default="", compare=False)

    @property
    def digest(self) -> str:
        """A short, stable identity of this SMS's signed content (retries carry the same one).

        :func:`read_event` keys it with the API secret, so the identity stored
        in the outbox's keys cannot be used to guess a short text (a code) back.
        """
        return self.keyed_digest or hashlib.sha256(self.result.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class CallEvent:
    """``NOTIFY_START`` (``ended`` False) or ``NOTIFY_END`` of an incoming call on ``number``."""

    ended: bool
    number: str
    caller: str
    call_start: str
    pbx_call_id: str
    duration: int = 0
    disposition: str = ""

    @property
    def missed(self) -> bool:
        """Nobody answered (only meaningful for an ended call)."""
        return self.duration <= 0 or self.disposition.strip().lower() != "answered"


def signature_of(data: str, secret: str) -> str:
    """``base64(hex(HMAC-SHA1(secret, data)))``, as Zadarma signs its events."""
    digest = hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def _check(data: str, signature: str | None, secret: str) -> None:
    if not signature or not secret:
        raise ForgedEvent("unsigned event")
    expected = signature_of(data, secret).encode("ascii")
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace")):
        raise ForgedEvent("wrong signature")


def _digits(value: object) -> str:
    return str(value if value is not None else "").strip().lstrip("+")


def read_event(form: Mapping[str, str], signature: str | None, secret: str) -> SmsEvent | CallEvent | None:
    """The verified event of a pushed form, ``None`` for kinds the bot does not deliver.

    Raises :class:`ForgedEvent` when the signature is missing or wrong, or the
    signed content is unreadable.
    """
    kind = form.get("event", "")
    if kind == "SMS":
        result = form.get("result", "")
        _check(result, signature, secret)
        try:
            data = json.loads(result)
        except ValueError:
            raise ForgedEvent("result is not JSON") from None
        if not isinstance(data, dict) or not _digits(data.get("caller_did")):
            raise ForgedEvent("result names no number")
        return SmsEvent(
            _digits(data.get("caller_did")),
            _digits(data.get("caller_id")),
            str(data.get("text") or ""),
            result,
            hmac.new(
                secret.encode("utf-8"), b"sms id\0" + result.encode("utf-8"), hashlib.sha256
            ).hexdigest()[:32],
        )
    if kind in ("NOTIFY_START", "NOTIFY_END"):
        caller, called, start = (
            form.get("caller_id", ""),
            form.get("called_did", ""),
            form.get("call_start", ""),
        )
        _check(caller + called + start, signature, secret)
        if not _digits(called):
            raise ForgedEvent("no called number")
        try:
            duration = int(form.get("duration") or 0)
        except ValueError:
            duration = 0
        return CallEvent(
            kind == "NOTIFY_END",
            _digits(called),
            _digits(caller),
            start,
            form.get("pbx_call_id", ""),
            duration,
            form.get("disposition", ""),
        )
    return None
