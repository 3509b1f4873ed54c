"""What an alert is before it is claimed: its kind, its key and its parameters.

Every alert is identified by a key built from its kind, its number and the
date or state it is about (``expiry:48221234567:2026-12-01:7``); claiming
that key in storage is what makes it exactly once. The one-tap actions an
adapter offers follow from the kind (:data:`ACTIONS`), always acting on the
alert's number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class AlertKind(StrEnum):
    """The kinds of alert the scheduler raises, and the ``params`` each carries.

    Every alert about a number has ``number``, ``description`` (city or type),
    ``status`` and ``zone`` (the account's, e.g. ``UTC+3``). Dates are ISO 8601
    with the account's offset; amounts have two decimals.

    * ``expiry_warning``: ``stop_date``, ``days_left``, ``lead_days``,
      ``monthly_fee``, ``currency``.
    * ``renewal_at_risk``: ``stop_date``, ``days_left``, ``needed`` (what the
      renewals up to and including this one cost) and ``balance``, both in
      ``currency`` (the balance's); ``monthly_fee`` in ``fee_currency``.
    * ``renewed``: ``stop_date`` (the new one), ``previous_stop_date``,
      ``monthly_fee``, ``currency``, ``autorenew`` (``on``/``off``).
    * ``parked``: ``stop_date``, ``parked_until``, ``kept_days`` (7),
      ``cause`` (a code: ``renewal_failed`` when auto-renewal was on, else
      ``not_renewed``).
    * ``activated``, ``documents_needed``: nothing more.
    * ``documents_rejected``: ``reason`` (Zadarma's words, to show as they are).
    * ``balance_low`` (no number): ``balance``, ``needed`` (the renewals due),
      both in ``currency``; ``due_count``, ``shortfall``, ``through`` (last day counted),
      ``within_days``, ``unpriced`` (fees in currencies that could not be
      converted, e.g. ``PLN 25.00``; may be empty), ``zone``.
    * ``digest`` (no number): ``date``, ``within_days``, ``count``, ``items``
      (JSON list, soonest first, at most 50, of objects with ``number``,
      ``stop_date``, ``days_left`` (int), ``autorenew`` (bool), ``status``,
      ``description``), ``more`` (how many were left out), ``parked``,
      ``balance``, ``currency``, ``needed``, ``balance_ok``
      (``true``/``false``), ``unpriced``, ``zone``.
    * ``order_outcome``, ``renewal_outcome`` (raised by the ordering service, not
      the scan): the final outcome of one confirmation, for the person who
      confirmed it. ``outcome`` (``ordered``, ``reserved``, ``reserved_short``
      (reserved until a top-up of ``needed``), ``not_placed``,
      ``taken``, ``refused``, ``contested``; for renewals ``renewed``,
      ``not_renewed``, ``refused``, ``contested``), ``amount`` and
      ``currency`` (what was or would have been paid), ``reason`` (the API's
      words for a refusal), ``stop_date`` (renewed: the new paid-until date).
    * ``money_check`` (team only): a money operation the evidence could not
      settle, or an option that could not be applied. ``what`` (``order`` or
      ``renewal``), ``reason``, ``customer`` (``platform:user``), ``intent``.
    * ``number_reserved`` (team only, raised by the ordering service): an order
      Zadarma answered with a reservation, waiting for the balance to be topped
      up. ``customer``, ``intent``, ``amount`` and ``currency`` (the price),
      ``needed`` (how much the balance is short, in ``currency``; only when
      the price and the balance share a currency) and ``outcome`` (``short``
      when ``needed`` is known, else ``price``).
    * ``sms_received`` (pushed by Zadarma, to the number's owner or the team):
      ``from`` (the sender's digits), ``text``, ``received_at`` (ISO 8601, UTC).
    * ``call_missed``, ``call_ended`` (pushed by Zadarma): ``from``, ``at``
      (the call's start as Zadarma gives it), ``duration`` (seconds).
    """

    EXPIRY_WARNING = "expiry_warning"
    RENEWAL_AT_RISK = "renewal_at_risk"
    RENEWED = "renewed"
    PARKED = "parked"
    ACTIVATED = "activated"
    DOCUMENTS_NEEDED = "documents_needed"
    DOCUMENTS_REJECTED = "documents_rejected"
    BALANCE_LOW = "balance_low"
    DIGEST = "digest"
    ORDER_OUTCOME = "order_outcome"
    RENEWAL_OUTCOME = "renewal_outcome"
    MONEY_CHECK = "money_check"
    NUMBER_RESERVED = "number_reserved"
    SMS_RECEIVED = "sms_received"
    CALL_MISSED = "call_missed"
    CALL_ENDED = "call_ended"


ACTION_PROLONG = "prolong"
"""Show the price of prolonging the number by a month, then prolong it on confirmation."""
ACTION_AUTORENEW_ON = "autorenew_on"
"""Switch the number's auto-renewal on."""
ACTION_UPLOAD_DOCUMENTS = "upload_documents"
"""Open the documents step for the number's document group (upload what is missing or rejected)."""

ACTIONS: Mapping[AlertKind, tuple[str, ...]] = {
    AlertKind.EXPIRY_WARNING: (ACTION_PROLONG, ACTION_AUTORENEW_ON),
    AlertKind.RENEWAL_AT_RISK: (),
    AlertKind.RENEWED: (),
    AlertKind.PARKED: (ACTION_PROLONG,),
    AlertKind.ACTIVATED: (),
    AlertKind.DOCUMENTS_NEEDED: (ACTION_UPLOAD_DOCUMENTS,),
    AlertKind.DOCUMENTS_REJECTED: (ACTION_UPLOAD_DOCUMENTS,),
    AlertKind.BALANCE_LOW: (),
    AlertKind.DIGEST: (),
    AlertKind.ORDER_OUTCOME: (),
    AlertKind.RENEWAL_OUTCOME: (),
    AlertKind.MONEY_CHECK: (),
    AlertKind.NUMBER_RESERVED: (),
    AlertKind.SMS_RECEIVED: (),
    AlertKind.CALL_MISSED: (),
    AlertKind.CALL_ENDED: (),
}
"""The one-tap actions each kind offers; every action applies to the alert's number."""

TEAM_ONLY: frozenset[AlertKind] = frozenset(
    {AlertKind.BALANCE_LOW, AlertKind.DIGEST, AlertKind.MONEY_CHECK, AlertKind.NUMBER_RESERVED}
)
"""Kinds about the whole account: they go to the team's destinations only."""


@dataclass(frozen=True)
class AlertDraft:
    """An alert the rule says is due, not yet claimed.

    ``key`` identifies it for exactly-once delivery; ``number`` is ``None``
    for account-wide kinds (``balance_low``, ``digest``); ``params`` are the
    values the adapters render (all strings; dates are ISO 8601 in the
    account's zone, amounts have two decimals).
    """

    key: str
    kind: AlertKind
    number: str | None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def actions(self) -> tuple[str, ...]:
        """The one-tap actions for this alert's kind."""
        return ACTIONS[self.kind]
