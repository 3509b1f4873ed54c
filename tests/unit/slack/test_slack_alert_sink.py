"""The scheduler's alerts as Slack notices and digest lines (pure parts of the sink)."""

from __future__ import annotations

import json

from adapters.slack.alerts import digest_lines, notice_of, result_of
from adapters.slack.delivery import DeliveryOutcome
from bot.services.alerts import AlertKind, AlertMessage, DeliveryResult
from conversations.i18n import translator
from conversations.notices import render_notice_text


def test_alerts_become_notices_with_the_names_notices_use() -> None:
    parked = AlertMessage(
        "parked:1", AlertKind.PARKED, "48221234567", {"kept_days": "7", "cause": "renewal_failed"}
    )
    notice = notice_of(parked)
    assert (notice.kind, notice.number) == ("parked", "48221234567")
    text = render_notice_text(notice, "en")
    assert "the balance did not cover the renewal" in text and "7 more days" in text

    low = notice_of(
        AlertMessage(
            "b", AlertKind.BALANCE_LOW, None, {"balance": "3.00", "currency": "USD", "needed": "9.00"}
        )
    )
    assert "9.00" in render_notice_text(low, "en") and "3.00" in render_notice_text(low, "en")
    assert notice_of(AlertMessage("k", AlertKind.ACTIVATED, "48221234567", {})).kind == "activated"


def test_digest_lines() -> None:
    items = [
        {
            "number": "48221234567",
            "stop_date": "2026-12-01T10:00:00+03:00",
            "days_left": 2,
            "autorenew": False,
            "status": "on",
            "description": "Warsaw",
        }
    ]
    lines = digest_lines(
        {
            "date": "2026-11-29",
            "within_days": "7",
            "count": "3",
            "items": json.dumps(items),
            "more": "2",
            "parked": "1",
            "balance": "4.00",
            "currency": "USD",
            "needed": "12.00",
            "balance_ok": "false",
            "unpriced": "PLN 25.00",
        }
    )
    assert lines[0] == "2026-11-29: 3 numbers expire within 7 days."
    assert (
        lines[1] == "• +48 22 123 45 67 (Warsaw): 2 days left, until 2026-12-01, auto-renewal OFF, ✅ Active"
    )
    assert "… and 2 more" in lines and "Parked now: 1" in lines
    assert "Balance 4.00 USD; renewals due 12.00 USD — not enough, please top up" in lines
    assert lines[-1] == "Not counted (other currencies): PLN 25.00"
    assert digest_lines({"items": "not json"}) == [": 0 numbers expire within ?."]


def test_digest_plurals_and_status_names() -> None:
    item = {"number": "48221234567", "days_left": 1, "autorenew": True, "status": "checking_upload"}
    one = {"date": "2026-11-29", "within_days": "1", "count": "1", "items": json.dumps([item])}
    english = digest_lines(one)
    assert english[0] == "2026-11-29: 1 number expires within 1 day."
    assert "1 day left" in english[1] and "Documents needed" in english[1]
    assert "checking_upload" not in english[1] and "(s)" not in " ".join(english)
    polish = digest_lines({**one, "count": "5", "within_days": "7"}, translator("pl"))
    assert polish[0] == "2026-11-29: 5 numerów wygasa w ciągu 7 dni."
    assert "został 1 dzień" in polish[1] and "checking_upload" not in polish[1]
    assert digest_lines({**one, "count": "22"}, translator("pl"))[0].startswith(
        "2026-11-29: 22 numery wygasają"
    )


def test_outcomes_become_scheduler_results() -> None:
    assert result_of(DeliveryOutcome.delivered("1")) == DeliveryResult.sent()
    assert result_of(DeliveryOutcome.failed("not_in_channel", None)) == DeliveryResult.blocked(
        "not_in_channel"
    )
    assert result_of(DeliveryOutcome.failed("ratelimited", 7.0)) == DeliveryResult.retry(7.0, "ratelimited")
