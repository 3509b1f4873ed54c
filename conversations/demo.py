"""Texts of the terminal demo's own lines: moving the emulator's clock, waiting on retries, ``/sms``.

They are platform-neutral screens like the rest, so they come from the same
catalogs in every language; only the console adapter shows them.
"""

from __future__ import annotations

from datetime import date

from conversations.formatting import format_phone
from conversations.i18n import N_, translator
from conversations.screens import Screen

MAX_DEMO_DAYS = 366


def days_passed(language: str, days: int, today: date, alerts: int) -> Screen:
    """What ``/days N`` did: the emulator's new date, and how many alerts follow."""
    tr = translator(language)
    text = tr.ngettext("demo.days.passed", days, days=days, date=tr.date(today))
    if alerts:
        text += "\n" + tr.ngettext("demo.days.alerts", alerts, alerts=alerts)
    else:
        text += "\n" + tr.gettext("demo.days.no_alerts")
    return Screen(text, expects="none")


def days_usage(language: str) -> str:
    """How ``/days`` is typed (for a missing or out-of-range number)."""
    return translator(language).gettext("demo.days.usage", max=MAX_DEMO_DAYS)


def days_unavailable(language: str) -> str:
    """``/days`` against an external API, whose clock the demo cannot move."""
    return translator(language).gettext("demo.days.unavailable")


def waiting_for_retry(language: str, seconds: float) -> str:
    """The line shown while a Zadarma call is retried."""
    return translator(language).gettext("demo.retry.waiting", seconds=f"{max(seconds, 0.1):.1f}")


MAX_DEMO_CALL_SECONDS = 3600
DEMO_EVENT_TEXTS = {
    "sms_usage": N_("demo.sms.usage"),
    "call_usage": N_("demo.call.usage"),
    "no_number": N_("demo.events.no_number"),
    "unavailable": N_("demo.events.unavailable"),
    "failed": N_("demo.events.failed"),
    "sms_off": N_("demo.sms.off"),
    "call_off": N_("demo.call.off"),
    "sms_repeat": N_("demo.sms.repeat"),
}
"""What ``/sms`` and ``/call`` say besides the notices themselves, by situation."""


def event_line(language: str, situation: str, number: str | None = None, reason: str = "") -> Screen:
    """A line of the demo's ``/sms`` and ``/call`` (a :data:`DEMO_EVENT_TEXTS` situation)."""
    tr = translator(language)
    shown = format_phone(number) if number else ""
    text = tr.gettext(DEMO_EVENT_TEXTS[situation], number=shown, reason=reason, max=MAX_DEMO_CALL_SECONDS)
    return Screen(text, expects="none")
