"""The alert scheduler's ``AlertSink`` for Slack: its alerts and digest into the team's channel.

:class:`SlackAlertSink` is registered with the scheduler under the ``"slack"``
prefix; destinations are channel ids. An alert becomes a
:class:`~conversations.notices.Notice` rendered by
:meth:`SlackPart.post_alert`; the digest becomes lines for
:meth:`SlackPart.post_digest`. The part's :class:`DeliveryOutcome` is told
back as the scheduler's :class:`DeliveryResult` (no retry helps: blocked).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adapters.slack.delivery import DeliveryOutcome
from bot.services.alerts import AlertKind, AlertMessage, DeliveryResult
from conversations.formatting import format_phone, status_text
from conversations.i18n import N_, Translator, translator
from conversations.notices import Notice, notice_from_alert

if TYPE_CHECKING:
    from adapters.slack.part import SlackPart


def notice_of(alert: AlertMessage) -> Notice:
    """The notice for one alert (not the digest)."""
    notice = notice_from_alert(str(alert.kind), alert.number, alert.params)
    if notice is None:
        raise ValueError(f"{alert.kind} alerts are not notices")
    return notice


def _items(raw: str) -> list[dict[str, Any]]:
    try:
        items = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _count(raw: object) -> int | None:
    try:
        return int(str(raw))
    except ValueError:
        return None


def _days(tr: Translator, key: str, raw: object) -> str:
    """``7 days`` in the plural form the language needs (``?`` when the value is missing)."""
    days = _count(raw)
    return tr.ngettext(key, days) if days is not None else "?"


def digest_lines(params: Mapping[str, str], tr: Translator | None = None) -> list[str]:
    """The digest's parameters as readable lines in ``tr``'s language (English by default).

    Numbers come soonest expiry first.
    """
    tr = tr or translator("en")
    currency = params.get("currency", "")
    count = _count(params.get("count", "0")) or 0
    within = _days(tr, N_("digest.within_days"), params.get("within_days", "?"))
    lines = [tr.ngettext("digest.expiring", count, date=params.get("date", ""), within=within)]
    for item in _items(params.get("items", "")):
        description = f" ({item['description']})" if item.get("description") else ""
        left = _days(tr, N_("digest.days_left"), item.get("days_left", "?"))
        renew = N_("digest.renew_on") if item.get("autorenew") else N_("digest.renew_off")
        lines.append(
            tr.gettext(
                "digest.item",
                number=format_phone(str(item.get("number", ""))),
                description=description,
                left=left,
                stop=str(item.get("stop_date") or "")[:10],
                renew=tr.gettext(renew),
                status=status_text(tr, str(item.get("status", ""))),
            )
        )
    if params.get("more") not in (None, "", "0"):
        lines.append(tr.gettext("digest.more", count=params["more"]))
    if params.get("parked") not in (None, "", "0"):
        lines.append(tr.gettext("digest.parked", count=params["parked"]))
    if params.get("balance"):
        due = params.get("due_total") or params.get("needed") or "0"
        money = tr.gettext("digest.balance", balance=params["balance"], due=due, currency=currency)
        if params.get("balance_ok") == "false":
            money += tr.gettext("digest.balance_low")
        lines.append(money)
    if params.get("unpriced"):
        lines.append(tr.gettext("digest.unpriced", amounts=params["unpriced"]))
    return lines


def result_of(outcome: DeliveryOutcome) -> DeliveryResult:
    """The scheduler's view of a delivery outcome."""
    if outcome.sent:
        return DeliveryResult.sent()
    if outcome.retry_after is None:
        return DeliveryResult.blocked(outcome.error or "refused")
    return DeliveryResult.retry(outcome.retry_after, outcome.error or "")


class SlackAlertSink:
    """Implements :class:`bot.services.alerts.AlertSink` over a :class:`SlackPart`."""

    def __init__(self, part: SlackPart, *, default_language: str = "en") -> None:
        self._part = part
        self._language = default_language

    async def deliver(self, destination_id: str, alert: AlertMessage) -> DeliveryResult:
        """Post ``alert`` to the channel ``destination_id``; never raises for Slack failures."""
        try:
            if alert.kind == AlertKind.DIGEST:
                language = alert.language or self._language
                outcome = await self._part.post_digest(
                    digest_lines(alert.params, translator(language)),
                    channel=destination_id,
                    language=language,
                )
            else:
                outcome = await self._part.post_alert(
                    notice_of(alert), language=alert.language or self._language, channel=destination_id
                )
        except Exception as exc:  # rendering trouble: try later rather than lose the alert
            return DeliveryResult.retry(300.0, f"slack: {type(exc).__name__}")
        return result_of(outcome)
