"""The signature and echo rules of Zadarma's pushed events, with fixed vectors.

The expected signatures are written out (computed once with the standard library from the documented rule:
base64 of the lower-case hex HMAC-SHA1 keyed with the API secret) so a change in the product's
function cannot move the expectation with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from bot.zadarma.notifications import CallEvent, ForgedEvent, SmsEvent, read_event

SECRET = "secret"
RESULT = '{"caller_id":"48600100200","caller_did":"48221234567","text":"Kod: 1234"}'
# hex HMAC-SHA1("secret", RESULT), then base64 of those 40 ASCII characters
SMS_SIGNATURE = "ZDhmYWU4MGUxZTc2YWRhYTNiM2FlOTUwMjY2ZjRlNmM1Nzc3NjI1Mw=="
# over "48600100200" + "48221234567" + "2026-12-03 10:00:00"
CALL_SIGNATURE = "YzNkYjc5NDIwOTA0M2FmNGVkNmJkMTcxNDdmYzU2OGM1NjM2YzA4ZQ=="


def test_vectors_follow_the_documented_rule() -> None:
    import base64
    import hashlib
    import hmac

    for data, expected in (
        (RESULT, SMS_SIGNATURE),
        ("48600100200" + "48221234567" + "2026-12-03 10:00:00", CALL_SIGNATURE),
    ):
        mac = hmac.new(SECRET.encode(), data.encode(), hashlib.sha1).hexdigest()
        assert base64.b64encode(mac.encode()).decode() == expected


def test_a_signed_sms_is_read() -> None:
    event = read_event({"event": "SMS", "result": RESULT}, SMS_SIGNATURE, SECRET)
    assert event == SmsEvent("48221234567", "48600100200", "Kod: 1234", RESULT)
    assert isinstance(event, SmsEvent)
    # the identity kept in the outbox's keys is keyed: no plain hash of the text to guess a code from
    assert event.digest != hashlib.sha256(RESULT.encode()).hexdigest()[:32]
    other = read_event({"event": "SMS", "result": RESULT}, by_secret(RESULT, "other"), "other")
    assert isinstance(other, SmsEvent) and other.digest != event.digest
    again = read_event({"event": "SMS", "result": RESULT}, SMS_SIGNATURE, SECRET)
    assert isinstance(again, SmsEvent) and again.digest == event.digest and len(event.digest) == 32


@pytest.mark.parametrize(
    "signature", [None, "", SMS_SIGNATURE[:-4] + "AAA=", CALL_SIGNATURE, SMS_SIGNATURE.lower()]
)
def test_unsigned_or_wrongly_signed_sms_is_refused(signature: str | None) -> None:
    with pytest.raises(ForgedEvent):
        read_event({"event": "SMS", "result": RESULT}, signature, SECRET)
    with pytest.raises(ForgedEvent):
        read_event({"event": "SMS", "result": RESULT}, SMS_SIGNATURE, "other-secret")


def test_a_signed_call_end_is_read_and_a_changed_caller_is_refused() -> None:
    form = {
        "event": "NOTIFY_END",
        "caller_id": "48600100200",
        "called_did": "48221234567",
        "call_start": "2026-12-03 10:00:00",
        "pbx_call_id": "in_1",
        "duration": "0",
        "disposition": "no answer",
    }
    event = read_event(form, CALL_SIGNATURE, SECRET)
    assert isinstance(event, CallEvent) and event.ended and event.missed and event.number == "48221234567"
    with pytest.raises(ForgedEvent):
        read_event({**form, "caller_id": "48600100999"}, CALL_SIGNATURE, SECRET)


def test_other_kinds_are_not_delivered() -> None:
    assert read_event({"event": "NOTIFY_OUT_START"}, None, SECRET) is None


def by_secret(data: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), data.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(mac.encode()).decode()
