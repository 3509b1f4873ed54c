"""Alerts as the user reads them: a translated card and its one-tap actions.

:func:`render_notice_text` is pure (the Slack channel uses it with no user
state); :meth:`conversations.engine.ConversationEngine.notice` adds buttons
registered in the user's saved state, so they work later like any button.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeAlias, cast

from conversations.formatting import format_phone
from conversations.i18n import N_, Translator, normalize_language, translator
from conversations.reasons import reason_text
from conversations.state import Action

NoticeKind: TypeAlias = Literal[
    "expiry_warning",
    "renewal_at_risk",
    "renewed",
    "parked",
    "activated",
    "documents_needed",
    "documents_rejected",
    "balance_low",
    "order_outcome",
    "renewal_outcome",
    "money_check",
    "number_reserved",
    "sms_received",
    "call_missed",
    "call_ended",
]

NOTICE_KEYS: dict[str, str] = {
    "expiry_warning": N_("notice.expiry_warning"),
    "renewal_at_risk": N_("notice.renewal_at_risk"),
    "renewed": N_("notice.renewed"),
    "parked": N_("notice.parked"),
    "activated": N_("notice.activated"),
    "documents_needed": N_("notice.documents_needed"),
    "documents_rejected": N_("notice.documents_rejected"),
    "balance_low": N_("notice.balance_low"),
    "order_outcome": N_("notice.order_outcome.ordered"),
    "renewal_outcome": N_("notice.renewal_outcome.renewed"),
    "money_check": N_("notice.money_check"),
    "number_reserved": N_("notice.number_reserved.price"),
    "sms_received": N_("notice.sms_received"),
    "call_missed": N_("notice.call_missed"),
    "call_ended": N_("notice.call_ended"),
}
# The final outcome of a payment: one text per outcome (``params["outcome"]``).
OUTCOME_KEYS: dict[tuple[str, str], str] = {
    ("order_outcome", "ordered"): N_("notice.order_outcome.ordered"),
    ("order_outcome", "reserved"): N_("notice.order_outcome.reserved"),
    ("order_outcome", "reserved_short"): N_("notice.order_outcome.reserved_short"),
    ("order_outcome", "not_placed"): N_("notice.order_outcome.not_placed"),
    ("order_outcome", "taken"): N_("notice.order_outcome.taken"),
    ("order_outcome", "refused"): N_("notice.order_outcome.refused"),
    ("order_outcome", "contested"): N_("notice.order_outcome.contested"),
    ("renewal_outcome", "renewed"): N_("notice.renewal_outcome.renewed"),
    ("renewal_outcome", "not_renewed"): N_("notice.renewal_outcome.not_renewed"),
    ("renewal_outcome", "refused"): N_("notice.renewal_outcome.refused"),
    ("renewal_outcome", "contested"): N_("notice.renewal_outcome.contested"),
    ("number_reserved", "short"): N_("notice.number_reserved.short"),
    ("number_reserved", "price"): N_("notice.number_reserved.price"),
}
# Outcomes after which the number is the customer's, so "open" makes sense.
OWNED_OUTCOMES = frozenset({"ordered", "reserved", "reserved_short", "renewed"})
# Kinds whose text has a plural form, and the parameter that counts.
PLURAL_PARAM: dict[str, str] = {"expiry_warning": "days_left", "parked": "kept_days"}

PROLONG = (N_("notice.button.prolong"), "notice.prolong")
AUTORENEW = (N_("notice.button.autorenew"), "notice.autorenew")
OPEN = (N_("notice.button.open"), "notice.open")
DOCUMENTS = (N_("notice.button.documents"), "notice.documents")
NUMBERS = (N_("notice.button.numbers"), "notice.numbers")

NOTICE_BUTTONS: dict[str, tuple[tuple[str, str], ...]] = {
    "expiry_warning": (PROLONG, AUTORENEW, OPEN),
    "renewal_at_risk": (PROLONG, OPEN),
    "renewed": (OPEN,),
    "parked": (PROLONG, OPEN),
    "activated": (OPEN,),
    "documents_needed": (DOCUMENTS, OPEN),
    "documents_rejected": (DOCUMENTS, OPEN),
    "balance_low": (NUMBERS,),
    "order_outcome": (OPEN,),
    "renewal_outcome": (OPEN,),
    "money_check": (),
    "number_reserved": (),
    "sms_received": (),
    "call_missed": (),
    "call_ended": (),
}
NUMBER_OPS = frozenset({"notice.prolong", "notice.autorenew", "notice.open"})


@dataclass(frozen=True)
class Notice:
    """One alert for one user: its ``kind``, the number concerned and the values it mentions.

    ``params`` are plain strings as the scheduler has them: ``days_left``,
    ``stop_date`` (``YYYY-MM-DD`` with or without a time), ``reason``,
    ``balance``, ``needed``, ``currency``, ``kept_days``.
    """

    kind: NoticeKind
    number: str | None = None
    params: dict[str, str] = field(default_factory=dict)


def notice_from_alert(kind: str, number: str | None, params: Mapping[str, str]) -> Notice | None:
    """The notice for one of the alert scheduler's alerts (None for kinds not shown as notices).

    The scheduler's parameter names are mapped to the ones notices use, in this one place
    for every platform.
    """
    if kind not in NOTICE_KEYS:
        return None
    mapped = dict(params)
    if "keep_days" in mapped:
        mapped.setdefault("kept_days", mapped["keep_days"])
    if kind == "renewal_at_risk" and mapped.get("balance_currency"):
        mapped["currency"] = mapped["balance_currency"]  # the balance and what is needed are in its currency
    if kind == "balance_low" and "needed" not in mapped and mapped.get("due_total"):
        mapped["needed"] = mapped["due_total"]
    return Notice(cast(NoticeKind, kind), number, mapped)


def _date(tr: Translator, raw: str) -> str:
    for parse in (datetime.fromisoformat, date.fromisoformat):
        try:
            return tr.date(parse(raw.strip()))
        except ValueError:
            continue
    return raw


def _money(tr: Translator, raw: str, currency: str) -> str:
    if not currency:
        return raw
    try:
        return tr.money(Decimal(raw.strip()), currency)
    except InvalidOperation:
        return raw


def _count(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        return 0


CAUSES: dict[str, str] = {
    "renewal_failed": N_("notice.cause.renewal_failed"),
    "not_renewed": N_("notice.cause.not_renewed"),
}


def _cause(tr: Translator, code: str) -> str:
    """Why a number was switched off, from the scheduler's language-neutral code."""
    key = CAUSES.get(code)
    return tr.gettext(key) if key else "—"


def notice_params(tr: Translator, notice: Notice) -> dict[str, object]:
    """The placeholders of a notice's text, formatted for ``tr``'s language."""
    raw = notice.params
    currency = raw.get("currency", "")
    return {
        "number": format_phone(notice.number) if notice.number else "—",
        "stop_date": _date(tr, raw["stop_date"]) if raw.get("stop_date") else "—",
        "reason": reason_text(tr, raw["reason"]) if raw.get("reason") else _cause(tr, raw.get("cause", "")),
        "balance": _money(tr, raw["balance"], currency) if raw.get("balance") else "—",
        "needed": _money(tr, raw["needed"], currency) if raw.get("needed") else "—",
        "days_left": raw.get("days_left", "—"),
        "kept_days": raw.get("kept_days", "—"),
        "amount": _money(tr, raw["amount"], currency) if raw.get("amount") else "—",
        "what": raw.get("what", ""),
        "customer": raw.get("customer", ""),
        "intent": raw.get("intent", ""),
        "sender": format_phone(raw["from"]) if raw.get("from") else "—",
        "text": raw.get("text", ""),
        "at": raw.get("at", "—"),
        "minutes": max(1, -(-_count(raw.get("duration", "0")) // 60)),
    }


def render_notice_text(notice: Notice, language: str) -> str:
    """The alert's text in ``language`` (``en``/``pl``, or a locale such as ``pl-PL``)."""
    tr = translator(normalize_language(language) or "en")
    key = OUTCOME_KEYS.get((notice.kind, notice.params.get("outcome", "")), NOTICE_KEYS[notice.kind])
    params = notice_params(tr, notice)
    counted = PLURAL_PARAM.get(notice.kind)
    if counted is not None:
        return tr.ngettext(key, _count(notice.params.get(counted, "0")), **params)
    return tr.gettext(key, **params)


def notice_actions(notice: Notice) -> list[tuple[str, Action]]:
    """The notice's buttons: (label key, action). Number actions only when a number is named."""
    result: list[tuple[str, Action]] = []
    outcome = notice.params.get("outcome")
    if notice.kind in ("order_outcome", "renewal_outcome") and outcome not in OWNED_OUTCOMES:
        return result
    for label, op in NOTICE_BUTTONS[notice.kind]:
        if op in NUMBER_OPS:
            if not notice.number:
                continue
            result.append((label, Action(op=op, ref=notice.number.lstrip("+"), n=1)))
        else:
            result.append((label, Action(op=op)))
    return result
